"""What every feature shares: settings, the services container, logging, access checks.

Lowest layer of ``bot/``: nothing in here imports a feature package or ``bot.app``.
"""
