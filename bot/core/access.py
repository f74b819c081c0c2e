"""Who may do what: members act on their own servers, admins on the workspace's.

Admins are the user IDs in ``VPSBOT_ADMINS`` (the operator, every workspace), the
workspace's named vpsbot admins (the installing user first, ``workspace_admins``;
named and removed from `/vps admin` by :mod:`bot.admin.admins_service`, or the
CLI) plus Slack workspace admins and owners (``users.info`` with that workspace's
own token); verdicts are cached five minutes by the services container, and a
workspace's are dropped on every replica when its named admins change. Every
check runs server-side against the database; button values, view ids and ``private_metadata`` are
untrusted input. Admin-only listeners are wired with :func:`admins_only` as
Bolt listener middleware, admin-only ``/vps`` words with :func:`requires_admin`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core.errors import Refusal
from bot.core.services import Services
from bot.core.slack import Subcommand, slack_error, team_and_user
from db.models import VpsInstance
from db.repo import workspaces

__all__ = [
    "ADMINS_ONLY",
    "admins_only",
    "can_act_on",
    "is_admin",
    "is_approver",
    "requires_admin",
]

log = logging.getLogger(__name__)

#: What a member who is not an admin is told.
ADMINS_ONLY = "Only vpsbot admins can do this."

#: What a Slack user id looks like (``U0123ABCD``, ``W…`` on Grid): anything else
#: in a payload is forged and never sent on to Slack or into a log line.
_SLACK_ID = re.compile(r"[A-Z0-9]{1,32}")

#: Seconds the admin and approver checks wait for Slack (``users.info``,
#: ``usergroups.users.list``), retries included. They run before the
#: acknowledgement, and Slack gives up on an answer after 3 s; a Slack that cannot
#: say in time gets the member the plain refusal.
USERS_INFO_DEADLINE = 1.5


async def _ask(call: Awaitable[AsyncSlackResponse], what: str) -> AsyncSlackResponse | None:
    """``call``'s answer within :data:`USERS_INFO_DEADLINE`; None (logged) when Slack
    refused, could not be reached or took too long."""
    try:
        async with asyncio.timeout(USERS_INFO_DEADLINE):
            return await call
    except SlackClientError as exc:
        reason = slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
    except (aiohttp.ClientError, TimeoutError) as exc:
        reason = type(exc).__name__
    log.warning("%s failed: %s", what, reason)
    return None


async def is_admin(
    services: Services, team_id: str, user_id: str, enterprise_id: str | None = None
) -> bool:
    """Whether ``user_id`` administers vpsbot in ``team_id``; False when Slack cannot say."""
    if not _SLACK_ID.fullmatch(user_id):
        return False  # not a Slack user id (forged): nothing to ask Slack about
    if user_id in services.admins:
        return True
    key = (team_id, user_id)
    cached = services.admin_verdicts.get(key)
    if cached is not None:
        return cached
    if enterprise_id is None and not services.single_workspace:
        enterprise_id = await services.org_of(team_id)
    async with services.db.session() as session:
        named = await workspaces.is_named_admin(session, [team_id, enterprise_id or ""], user_id)
    if named:
        services.admin_verdicts[key] = True
        return True
    client = await services.slack_for(team_id, enterprise_id)
    if client is None:
        log.warning("no installation for %s: cannot ask Slack about %s", team_id, user_id)
        return False
    info = await _ask(client.users_info(user=user_id), f"users.info for {user_id}")
    if info is None:
        return False
    found = info.get("user")
    user: dict[str, Any] = found if isinstance(found, dict) else {}
    verdict = bool(
        user.get("team_id", team_id) == team_id
        and (user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    )
    services.admin_verdicts[key] = verdict
    return verdict


async def _group_members(
    services: Services, team_id: str, group: str, enterprise_id: str | None
) -> frozenset[str] | None:
    """Who is in user group ``group`` of ``team_id`` (cached a minute); None when
    Slack cannot say in time (the check runs before the acknowledgement)."""
    key = (team_id, group)
    cached = services.group_members.get(key)
    if cached is not None:
        return cached
    client = await services.slack_for(team_id, enterprise_id)
    if client is None:
        return None
    found = await _ask(
        client.usergroups_users_list(usergroup=group), f"usergroups.users.list for {group}"
    )
    if found is None:
        return None
    users = found.get("users")
    members = (
        frozenset(u for u in users if isinstance(u, str))
        if isinstance(users, list)
        else frozenset()
    )
    services.group_members[key] = members
    return members


async def is_approver(
    services: Services,
    team_id: str,
    user_id: str,
    *,
    approver_ids: Sequence[str] = (),
    approver_group: str | None = None,
    enterprise_id: str | None = None,
) -> bool:
    """Whether ``user_id`` may decide spend requests in ``team_id``: a named approver
    or a member of the approver user group (asked with the workspace's own token);
    with neither set, the workspace's vpsbot admins. False when Slack cannot say."""
    if not user_id:
        return False
    if user_id in approver_ids:
        return True
    if approver_group:
        members = await _group_members(services, team_id, approver_group, enterprise_id)
        return members is not None and user_id in members
    if approver_ids:
        return False
    return await is_admin(services, team_id, user_id, enterprise_id)


async def admins_only(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    services: Services,
    next: Callable[[], Awaitable[None]],
) -> BoltResponse | None:
    """Listener middleware: run the listener only for an admin of the request's
    workspace. Anyone else gets a plain refusal in place of the form; nothing an
    admin would see (providers, URLs) is rendered for them. The refusal is returned
    as the response: a middleware that neither calls ``next`` nor answers makes
    Bolt report the request as unhandled (404)."""
    team_id, user_id = team_and_user(context)
    if await is_admin(services, team_id, user_id, context.enterprise_id):
        await next()
        return None
    log.warning("admin %s by non-admin %s in %s refused", body.get("type"), user_id, team_id)
    if body.get("type") == "view_submission":
        refused = View(
            type="modal",
            title="vpsbot",
            close="Close",
            blocks=[SectionBlock(text=MarkdownTextObject(text=ADMINS_ONLY))],
        )
        return await ack(response_action="update", view=refused)
    if body.get("type") == "block_suggestion":
        return await ack(options=[])
    return await ack()


def requires_admin(handler: Subcommand) -> Subcommand:
    """A ``/vps`` word for admins only; anyone else is told so, ephemerally."""

    @functools.wraps(handler)
    async def guarded(
        services: Services,
        command: dict[str, Any],
        rest: str,
        ack: AsyncAck,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        team_id, user_id = str(command.get("team_id") or ""), str(command.get("user_id") or "")
        enterprise_id = str(command.get("enterprise_id") or "") or None
        if not await is_admin(services, team_id, user_id, enterprise_id):
            word = (str(command.get("text") or "").split() or ["admin"])[0][:20]
            await ack(response_type="ephemeral", text=f"Only vpsbot admins can use `/vps {word}`.")
            return
        await handler(services, command, rest, ack, respond, client)

    return guarded


async def can_act_on(
    services: Services, row: VpsInstance | None, team_id: str, user_id: str
) -> VpsInstance:
    """``row`` if ``user_id`` may act on it, else :class:`Refusal` (one line)."""
    if row is None or row.team_id != team_id:
        # another workspace's server looks exactly like a missing one
        raise Refusal("That server does not exist in this workspace.")
    if row.created_by == user_id or await is_admin(services, team_id, user_id):
        return row
    raise Refusal(f"Only <@{row.created_by}> or a vpsbot admin can manage *{row.label}*.")
