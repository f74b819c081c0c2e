"""One server's details message as a given person sees it, and bringing an open one
up to date after an action (a button's reply, or a modal's saved ``response_url``).

Shared by the server listeners and the features that act on a server from its
details (the lease's Extend), so the message reads the same after every action.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block

from bot.core.names import image_name_of, region_name
from bot.core.services import Services
from bot.core.slack import answer
from bot.servers import service as servers
from bot.servers.details import details_message

__all__ = ["details_for", "refresh_at"]

log = logging.getLogger(__name__)


async def details_for(
    services: Services,
    team_id: str,
    user_id: str,
    instance_id: Any,
    note: str | None = None,
) -> tuple[str, list[Block]] | None:
    """(text, blocks) of the team's server for ``user_id``: the actions they may
    take; None when the id is not one of the team's servers."""
    try:
        parsed = uuid.UUID(instance_id if isinstance(instance_id, str) else "")
    except ValueError:
        return None
    found = await servers.details(services, team_id, parsed)
    if found is None:
        return None
    shown, row = found
    provider = await servers.provider_of(services, row)
    shown = dataclasses.replace(
        shown,
        region_name=await region_name(provider, row.region),
        image=await image_name_of(provider, shown.image),
    )
    possible = servers.offered_actions(row, provider)
    allowed = bool(possible) and await servers.may_manage(services, row, team_id, user_id)
    return details_message(
        shown,
        possible if allowed else (),
        managed_by=row.created_by if possible and not allowed else None,
        note=note,
    )


async def refresh_at(
    services: Services,
    response_url: str | None,
    team_id: str,
    user_id: str,
    instance_id: Any,
    note: str | None = None,
) -> bool:
    """Replace the details message behind ``response_url`` (kept from the button
    that opened a modal) with the server as it is now; False when there is none
    or Slack no longer takes it (the reply said what happened anyway)."""
    if not response_url:
        return False
    message = await details_for(services, team_id, user_id, instance_id, note)
    if message is None:
        return False
    text, blocks = message
    respond = AsyncRespond(response_url=response_url)
    return await answer(respond, text=text, blocks=blocks, replace_original=True)
