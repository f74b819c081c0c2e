"""vpsbot's Slack surface, one package per feature.

``app`` (the process: CLI, HTTP server, Bolt wiring) → ``approvals`` and ``home``
(surfaces over other features) → ``create``, ``servers``, ``admin``, ``help``,
``workspaces`` (features: listeners, views, service side by side) → ``status``
and ``spend`` → ``core`` (what features share). Nothing imports back up; the
``playground`` (the local Slack) is imported by ``app`` only and imports nothing
of ``bot``.
"""
