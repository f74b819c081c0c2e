"""Where a create may run: the workspace's channel policy (``create_channels``).

`/vps create` is refused outside the allowed channels; a create started from the
Home tab (which has no channel) posts its card to the one allowed channel, or lets
the member pick one in step 1 when several are allowed. The claim checks the
channel again (:mod:`bot.create.claim`), so a policy changed meanwhile holds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import InputBlock, Option, PlainTextObject, StaticSelectElement
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.blocks import cut
from bot.core.services import Services
from bot.create.draft import Draft
from bot.spend.policy import effective
from db.repo import spend as spend_repo

__all__ = [
    "CHANNEL_ACTION",
    "CHANNEL_BLOCK",
    "allowed_channels",
    "channel_block",
    "channel_choices",
    "choices_in",
    "chosen_channel",
    "refusal",
    "take_pick",
]

log = logging.getLogger(__name__)

CHANNEL_BLOCK = "channel"
CHANNEL_ACTION = "create_channel"
#: Seconds to wait for channel names before showing ids (the trigger lasts 3 s)
_NAMES_SECONDS = 1.0


async def allowed_channels(services: Services, team_id: str) -> tuple[str, ...]:
    """The channels ``team_id`` allows creates in (empty: anywhere), kept 30 s and
    dropped on every replica when the policy changes (``services.changed``)."""

    async def load() -> tuple[str, ...]:
        async with services.db.session() as session:
            return effective(await spend_repo.get_policy(session, team_id)).create_channels

    return await services.create_channels.get_or_load(team_id, load)


def refusal(allowed: tuple[str, ...], channel_id: str | None) -> str | None:
    """Why a create in ``channel_id`` is not allowed, or None when it is."""
    if not allowed or channel_id in allowed:
        return None
    where = ", ".join(f"<#{c}>" for c in allowed[:10])
    return f"Servers can only be created in {where}."


async def channel_choices(
    client: AsyncWebClient, allowed: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    """(id, name) of each allowed channel, asked of Slack briefly (an id stands in
    for a name Slack does not give in time)."""

    async def name_of(channel: str) -> str:
        try:
            info = await asyncio.wait_for(
                client.conversations_info(channel=channel), _NAMES_SECONDS
            )
        except (SlackApiError, TimeoutError, OSError) as exc:
            log.info("no name for channel %s: %s", channel, type(exc).__name__)
            return channel
        found = (info.get("channel") or {}).get("name")
        return f"#{found}" if isinstance(found, str) and found else channel

    names = await asyncio.gather(*(name_of(c) for c in allowed[:100]))
    return tuple(zip(allowed[:100], names, strict=True))


def channel_block(choices: tuple[tuple[str, str], ...], chosen: str | None) -> InputBlock:
    """Step 1's pick of the channel the server's card goes to."""
    options = [Option(value=cid, text=cut(name)) for cid, name in choices]
    return InputBlock(
        block_id=CHANNEL_BLOCK,
        label="Channel",
        hint=PlainTextObject(text="Where the server's messages go (the channels allowed here)"),
        element=StaticSelectElement(
            action_id=CHANNEL_ACTION,
            placeholder="Choose a channel",
            options=options,
            initial_option=next((o for o in options if o.value == chosen), None),
        ),
    )


def chosen_channel(values: dict[str, Any]) -> str | None:
    """The channel picked in step 1's submission (None when none was)."""
    block = values.get(CHANNEL_BLOCK)
    element = block.get(CHANNEL_ACTION) if isinstance(block, dict) else None
    option = element.get("selected_option") if isinstance(element, dict) else None
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else None


def choices_in(blocks: Any) -> list[tuple[str, str]]:
    """The channel choices a step-1 view offers (a fresh Home create's draft is
    read from its view until the first interaction stores it)."""
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("block_id") == CHANNEL_BLOCK:
            element = block.get("element")
            options = element.get("options") if isinstance(element, dict) else None
            return [
                (str(o["value"]), str((o.get("text") or {}).get("text") or o["value"]))
                for o in options or []
                if isinstance(o, dict) and isinstance(o.get("value"), str)
            ]
    return []


async def take_pick(
    services: Services, team_id: str, draft: Draft, values: dict[str, Any]
) -> tuple[str | None, dict[str, str]]:
    """Step 1's channel pick, checked against the policy as it is now: (the
    channel, no errors) or (None, the error under the channel field)."""
    picked = chosen_channel(values)
    if picked is None:
        return None, {CHANNEL_BLOCK: "Choose the channel for the server's messages."}
    why = refusal(await allowed_channels(services, team_id), picked)
    if why is not None:
        return None, {CHANNEL_BLOCK: why}
    draft.channel = picked
    return picked, {}
