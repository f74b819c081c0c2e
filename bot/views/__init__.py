"""Pure builders of Block Kit views and messages (slack_sdk.models), tested on output."""
