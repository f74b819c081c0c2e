"""Test helpers shared by the e2e suites (the Slack stand-in lives in standins/playground)."""
