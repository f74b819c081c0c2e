"""The spend policy screen of `/vps admin`: every field of :mod:`bot.spend.policy`
in one form (Slack's pickers: :mod:`bot.admin.policy_views`); every bad value
comes back under its field at once, a good edit is audited
(:func:`bot.spend.manage.update`)."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.admin.interaction import JSON, field_error, push
from bot.admin.policy_views import POLICY, form_values, policy_view
from bot.core.errors import InputError
from bot.core.services import Services
from bot.core.slack import slack_error, state_values, team_and_user
from bot.spend import manage
from bot.spend.policy import FIELDS, check_changes

__all__ = ["POLICY", "POLICY_ACTION", "open_policy", "policy_submitted", "policy_view"]

log = logging.getLogger(__name__)

POLICY_ACTION = "admin_policy"


async def user_groups(client: AsyncWebClient) -> list[tuple[str, str]] | None:
    """The workspace's live user groups (id, "name (@handle)"); None when Slack
    does not list them (no scope, a plan without groups, a failure)."""
    try:
        answer = await client.usergroups_list()
    except SlackApiError as exc:
        log.info("usergroups.list failed: %s", slack_error(exc))
        return None
    found = answer.get("usergroups")
    groups = []
    for group in found if isinstance(found, list) else []:
        if not isinstance(group, dict) or group.get("date_delete"):
            continue
        group_id, name, handle = group.get("id"), group.get("name"), group.get("handle")
        if isinstance(group_id, str) and isinstance(name, str):
            groups.append((group_id, f"{name} (@{handle})" if handle else name))
    return sorted(groups, key=lambda g: g[1].lower())


async def open_policy(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    await ack()
    team_id, _ = team_and_user(context)
    values = manage.display(await manage.current(services, team_id))
    await push(client, body, policy_view(values, await user_groups(client)))


async def policy_submitted(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    services: Services,
) -> None:
    """Save the form; every bad field keeps it open with the reason under it."""
    team_id, user_id = team_and_user(context)
    raw, errors = form_values(state_values(body))
    _, problems = check_changes(raw, await manage.current(services, team_id))
    errors = {name: message[:300] for name, message in {**problems, **errors}.items()}
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    try:
        await manage.update(services, team_id, raw, user_id)
    except InputError as exc:  # changed meanwhile by another admin
        await field_error(ack, exc.field or next(iter(FIELDS)), exc.message)
        return
    await ack()
