"""vpsbot's Slack surface: listeners, views, the CLI and the HTTP server."""
