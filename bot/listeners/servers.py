"""`/vps list`, `/vps show` and the server action buttons (issue: day-2)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services

__all__ = ["register"]


def register(app: AsyncApp, services: Services) -> None:
    """Registers nothing yet."""
