"""The *Admins* section of `/vps admin`: the "Add admin" picker and the Remove
buttons.

Module-level listeners, wired by :func:`bot.admin.listeners.register` behind
:func:`bot.core.access.admins_only`. The acting admin and the workspace come from
Bolt's context; the person picked or named on a button is a hint, checked by
:mod:`bot.admin.admins_service`. What a change did, or why it was refused, is
shown in the section itself, right below the picker.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.admin import admins_service
from bot.admin.interaction import JSON, home_again, pressed, view_id_of
from bot.admin.views import Notice
from bot.core.errors import AdminError
from bot.core.services import Services
from bot.core.slack import first_action, team_and_user

__all__ = ["add_admin", "remove_admin"]

log = logging.getLogger(__name__)


async def add_admin(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """A person picked in "Add admin": named, unless Slack says they cannot be."""
    await ack()
    team_id, user_id = team_and_user(context)
    picked = first_action(body).get("selected_user")
    try:
        notice = Notice(
            await admins_service.add_from_slack(
                services,
                client,
                team_id,
                picked if isinstance(picked, str) else "",
                by=user_id,
                enterprise_id=context.enterprise_id,
            )
        )
    except AdminError as exc:
        log.info("adding an admin in %s refused: %s", team_id, exc.message)
        notice = Notice(exc.message, ok=False)
    await home_again(services, client, view_id_of(body), None, context, admins_notice=notice)


async def remove_admin(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Remove (confirmed in Slack's dialog): never yourself, never the last one."""
    await ack()
    team_id, user_id = team_and_user(context)
    try:
        notice = Notice(
            await admins_service.remove(
                services,
                team_id,
                pressed(body),
                by=user_id,
                enterprise_id=context.enterprise_id,
            )
        )
    except AdminError as exc:
        log.info("removing an admin in %s refused: %s", team_id, exc.message)
        notice = Notice(exc.message, ok=False)
    await home_again(services, client, view_id_of(body), None, context, admins_notice=notice)
