"""Spend guardrails: what servers cost, the workspace's policy, budget checks."""
