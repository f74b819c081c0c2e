"""Workspaces: OAuth installs, uninstalls and revocations (OAuth mode)."""
