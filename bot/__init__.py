"""vpsbot's Slack surface, one package per feature.

``app`` (the process: CLI, HTTP server, Bolt wiring) → ``create``, ``servers``,
``admin``, ``help`` (features: listeners, views, service side by side) →
``status`` (channel cards, watcher, drift) → ``core`` (what features share).
A feature never imports another; nothing imports ``app``.
"""
