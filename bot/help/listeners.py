"""The `/vps` slash command: one entry point, dispatched on its first word."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.services import Services
from bot.help.views import help_blocks, help_text

__all__ = ["Subcommand", "register", "subcommands"]

log = logging.getLogger(__name__)

Subcommand = Callable[
    [Services, dict[str, Any], str, AsyncAck, AsyncRespond, AsyncWebClient], Awaitable[None]
]

#: Sub-command handlers by first word; other listener modules add theirs.
subcommands: dict[str, Subcommand] = {}


async def _help(
    services: Services,
    command: dict[str, Any],
    rest: str,
    ack: AsyncAck,
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    await ack(response_type="ephemeral", text=help_text(), blocks=help_blocks())


subcommands["help"] = _help


def register(app: AsyncApp, services: Services) -> None:
    @app.command("/vps")
    async def vps(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        text = (command.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        handler = subcommands.get(word.lower() or "help")
        if handler is None:
            await ack(response_type="ephemeral", text=help_text(), blocks=help_blocks(unknown=word))
            return
        await handler(services, command, rest.strip(), ack, respond, client)
