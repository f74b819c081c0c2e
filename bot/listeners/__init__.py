"""Slack listeners grouped by kind; each module has ``register(app, services)``."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import admin, commands, create, servers
from bot.services import Services

__all__ = ["register"]


def register(app: AsyncApp, services: Services) -> None:
    commands.register(app, services)
    create.register(app, services)
    servers.register(app, services)
    admin.register(app, services)
