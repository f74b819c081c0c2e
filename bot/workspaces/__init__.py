"""Workspaces: OAuth installs, uninstalls and revocations, and the sweep of the
OAuth states abandoned installs leave (OAuth mode)."""
