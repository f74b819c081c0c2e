"""The resize and rebuild modals' external selects: the plans and images, searched
as the person types.

Each load authorizes again from Bolt's context and the modal's ``private_metadata``
(a server id that is only a hint); a load that may not answer gets no options.
Wired by :func:`bot.servers.listeners.register`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext

from bot.core.blocks import image_option_groups
from bot.core.errors import Refusal
from bot.core.services import Services
from bot.core.slack import query_of, team_and_user, view_of
from bot.servers import operations, resize
from bot.servers.modals import ModalTarget, resize_options
from providers.errors import ProviderError

__all__ = ["image_options_load", "plan_options_load"]


async def _target_or_nothing(
    ack: AsyncAck, services: Services, body: dict[str, Any], context: AsyncBoltContext, action: str
) -> operations.Target | None:
    """The modal's server if the user may still do ``action`` to it; else None, and
    the load is answered with no options."""
    team_id, user_id = team_and_user(context)
    instance_id, _ = ModalTarget.decode(view_of(body).get("private_metadata"))
    try:
        return await operations.authorize(services, instance_id, team_id, user_id, action)
    except Refusal:
        await ack(options=[])
        return None


async def image_options_load(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, services: Services
) -> None:
    target = await _target_or_nothing(ack, services, body, context, "rebuild")
    if target is None:
        return
    try:
        images = await operations.images_for(target)
    except ProviderError:
        await ack(options=[])
        return
    await ack(option_groups=image_option_groups(images, query_of(body)))


async def plan_options_load(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, services: Services
) -> None:
    target = await _target_or_nothing(ack, services, body, context, "resize")
    if target is None:
        return
    choices, current = await resize.choices(
        services, target.row, target.provider_row.id, target.provider
    )
    charged = resize.current_price(target.row, current)
    await ack(
        options=resize_options(
            choices, query_of(body), target.row.region, charged, resize.backups_on(target.row)
        )
    )
