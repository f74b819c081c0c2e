"""The ``/vps`` slash command: one entry point, dispatched on its first word.

Each feature exports the words it answers in a ``SUBCOMMANDS`` mapping; this
module only puts them together, so adding a word never touches another feature.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.admin.listeners import SUBCOMMANDS as ADMIN
from bot.core.services import Services
from bot.core.slack import Subcommand
from bot.create.listeners import SUBCOMMANDS as CREATE
from bot.help.listeners import SUBCOMMANDS as HELP
from bot.help.listeners import unknown_command
from bot.home.listeners import SUBCOMMANDS as HOME
from bot.servers.listeners import SUBCOMMANDS as SERVERS

__all__ = ["SUBCOMMANDS", "vps_command"]

SUBCOMMANDS: dict[str, Subcommand] = {**HELP, **CREATE, **SERVERS, **ADMIN, **HOME}


async def vps_command(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """``/vps <word> [rest]``: hand the rest to the word's feature (help by default)."""
    text = str(command.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    handler = SUBCOMMANDS.get(word.lower() or "help")
    if handler is None:
        await unknown_command(ack, word, SUBCOMMANDS)
        return
    await handler(services, command, rest.strip(), ack, respond, client)
