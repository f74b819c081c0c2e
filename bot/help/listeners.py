"""``/vps help`` (and ``/vps`` alone)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.services import Services
from bot.core.slack import Subcommand
from bot.help.views import help_blocks, help_text, suggest

__all__ = ["SUBCOMMANDS", "help_command", "unknown_command"]


async def help_command(
    services: Services,
    command: dict[str, Any],
    rest: str,
    ack: AsyncAck,
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    await ack(response_type="ephemeral", text=help_text(), blocks=help_blocks())


async def unknown_command(ack: AsyncAck, word: str, known: Iterable[str]) -> None:
    """A first word vpsbot does not know: the help, with the word quoted and the
    command it most likely meant."""
    maybe = suggest(word, known)
    text = f"Did you mean `/vps {maybe}`?\n{help_text()}" if maybe else help_text()
    await ack(
        response_type="ephemeral", text=text, blocks=help_blocks(unknown=word, suggestion=maybe)
    )


SUBCOMMANDS: dict[str, Subcommand] = {"help": help_command}
