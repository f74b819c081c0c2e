"""Following servers: the channel status card, the status watcher and drift reconciliation."""
