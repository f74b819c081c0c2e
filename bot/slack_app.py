"""Builds the Bolt AsyncApp and registers every listener group."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot import listeners
from bot.services import Services

__all__ = ["build_bolt_app"]


def build_bolt_app(services: Services) -> AsyncApp:
    settings = services.settings
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=services.slack,
        signing_secret=secret.get_secret_value() if secret else "",
        logger=logging.getLogger("bot.bolt"),
        process_before_response=False,
    )
    listeners.register(app, services)
    return app
