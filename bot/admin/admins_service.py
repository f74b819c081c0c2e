"""A workspace's named vpsbot admins, changed from `/vps admin` or the CLI.

Named admins are the people vpsbot itself makes admins of one workspace (the
installing user first), besides ``VPSBOT_ADMINS`` and Slack's own workspace
admins and owners (:func:`bot.core.access.is_admin`). From Slack, a person is
checked with ``users.info`` before being named (no bots, no deactivated or
foreign accounts), nobody removes themselves, and the last named admin stays.
Every change is audited (``admin.add`` / ``admin.remove``) and drops the cached
admin verdicts of the workspace here at once, and in every other replica through
a NOTIFY sent when the change commits.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.views import AdminRow
from bot.core.errors import AdminError
from bot.core.services import Services
from bot.core.slack import slack_error
from db.repo import activity, workspaces

__all__ = [
    "MAX_NAMED",
    "USERS_INFO_SECONDS",
    "add",
    "add_from_slack",
    "check_person",
    "org_of",
    "remove",
    "rows",
]

log = logging.getLogger(__name__)

#: Named admins a workspace may have from Slack: the admin screen lists them all.
MAX_NAMED = 10
#: Seconds to wait for Slack to say who someone is (after the ack: no 3 s limit).
USERS_INFO_SECONDS = 5.0

_USER = re.compile(r"[UW][A-Z0-9]{2,31}")


async def org_of(services: Services, team_id: str, enterprise_id: str | None) -> str | None:
    """The Grid org of ``team_id`` (whose org-wide named admins count here too)."""
    if enterprise_id or services.single_workspace:
        return enterprise_id
    return await services.org_of(team_id)


async def rows(services: Services, team_id: str, enterprise_id: str | None) -> list[AdminRow]:
    """The named admins the admin screen lists: the workspace's (installer first),
    then those an org-wide install named for the whole org."""
    org = await org_of(services, team_id, enterprise_id)
    async with services.db.session() as session:
        found = await workspaces.named_admins(session, [team_id, org or ""])
    own = [r for r in found if r.team_id == team_id]
    whole_org = [r for r in found if r.team_id != team_id]
    return [
        AdminRow(
            user_id=r.user_id,
            added_by=r.added_by,
            added_at=r.created_at,
            org_wide=r.team_id != team_id,
        )
        for r in own + whole_org
    ]


def _mention(user_id: str) -> str:
    return f"<@{user_id}>" if _USER.fullmatch(user_id) else "That person"


async def check_person(
    client: AsyncWebClient, team_id: str, enterprise_id: str | None, user_id: str
) -> None:
    """:class:`AdminError` unless Slack says ``user_id`` is a person, active, of this
    workspace (or of its Grid org)."""
    if not _USER.fullmatch(user_id):
        raise AdminError("Pick a person from the list.", field="admin")
    who = _mention(user_id)
    try:
        async with asyncio.timeout(USERS_INFO_SECONDS):
            info = await client.users_info(user=user_id)
    except SlackApiError as exc:
        error = slack_error(exc)
        if error == "user_not_found":
            raise AdminError("Slack does not know that person.", field="admin") from None
        log.warning("users.info for %s failed: %s", user_id, error)
        raise AdminError(
            f"Slack could not say who {who} is just now; try again.", field="admin"
        ) from None
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("users.info for %s failed: %s", user_id, type(exc).__name__)
        raise AdminError(
            f"Slack could not say who {who} is just now; try again.", field="admin"
        ) from None
    found = info.get("user")
    user: dict[str, Any] = found if isinstance(found, dict) else {}
    if user.get("is_bot") or user.get("is_app_user") or user_id == "USLACKBOT":
        raise AdminError(f"{who} is a bot: only people can be vpsbot admins.", field="admin")
    if user.get("deleted"):
        raise AdminError(f"{who} is deactivated in Slack.", field="admin")
    home = user.get("team_id")
    grid = user.get("enterprise_user")
    org = grid.get("enterprise_id") if isinstance(grid, dict) else None
    if home and home != team_id and not (enterprise_id and org == enterprise_id):
        raise AdminError(f"{who} is not a member of this workspace.", field="admin")


async def _changed(
    session: AsyncSession, team_id: str, user_id: str, event: str, by: str | None, via: str
) -> None:
    """Audit one change, and have every replica drop the workspace's verdicts."""
    await activity.record(
        session,
        event_type=event,
        status="success",
        team_id=team_id,
        user_id=by,
        entity_type="admin",
        entity_id=user_id,
        metadata={"admin": user_id, "via": via},
    )
    await workspaces.announce_admins(session, team_id)


async def add(
    services: Services,
    team_id: str,
    user_id: str,
    *,
    by: str | None,
    via: str = "slack",
    limit: int | None = None,
) -> bool:
    """Name ``user_id`` an admin of ``team_id``; False when already one. With
    ``limit``, :class:`AdminError` once the workspace has that many."""
    async with services.db.session() as session, session.begin():
        if limit is not None:
            await workspaces.lock_admins(session, team_id)
        if limit is not None and await workspaces.count_admins(session, team_id) >= limit:
            raise AdminError(
                f"This workspace already has {limit} named vpsbot admins, the most this "
                "screen lists: remove one first. (Slack workspace admins and owners are "
                "vpsbot admins without being named.)",
                field="admin",
            )
        added = await workspaces.add_admin(
            session, team_id, user_id, added_by=by if via == "slack" else "operator"
        )
        if added:
            await _changed(session, team_id, user_id, "admin.add", by, via)
    services.forget_admins(team_id)
    if added:
        log.info("%s named a vpsbot admin of %s by %s", user_id, team_id, by or via)
    return added


async def add_from_slack(
    services: Services,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    *,
    by: str,
    enterprise_id: str | None = None,
) -> str:
    """An admin names ``user_id`` from `/vps admin`: what to tell them, or
    :class:`AdminError` saying why not."""
    org = await org_of(services, team_id, enterprise_id)
    await check_person(client, team_id, org, user_id)
    if not await add(services, team_id, user_id, by=by, limit=MAX_NAMED):
        return f"{_mention(user_id)} is already a named vpsbot admin."
    return f"{_mention(user_id)} is now a vpsbot admin of this workspace."


async def remove(
    services: Services,
    team_id: str,
    user_id: str,
    *,
    by: str | None,
    via: str = "slack",
    enterprise_id: str | None = None,
) -> str:
    """Remove ``user_id`` from the named admins: what to tell the admin, or
    :class:`AdminError` saying why not. From Slack nobody removes themselves and
    the last named admin stays; the operator's CLI (``via="cli"``) may do both."""
    who = _mention(user_id)
    if via == "slack" and user_id == by:
        raise AdminError(
            "You cannot remove yourself: another vpsbot admin has to, so nobody "
            "locks themselves out by a slip.",
            field="admin",
        )
    org = await org_of(services, team_id, enterprise_id)
    outcome: workspaces.Removal
    async with services.db.session() as session, session.begin():
        if via == "slack":
            outcome = await workspaces.remove_admin_unless_last(session, team_id, user_id, org)
        else:
            removed = await workspaces.remove_admin(session, team_id, user_id)
            outcome = "removed" if removed else "absent"
        if outcome == "removed":
            await _changed(session, team_id, user_id, "admin.remove", by, via)
    services.forget_admins(team_id)
    if outcome == "last":
        raise AdminError(
            f"{who} is the last named vpsbot admin here: name another admin first.",
            field="admin",
        )
    if outcome == "org":
        raise AdminError(
            f"{who} was named for the whole Enterprise Grid org, not this workspace: "
            "the operator changes that (`vpsbot workspaces admins`).",
            field="admin",
        )
    if outcome == "absent":
        raise AdminError(f"{who} is not a named vpsbot admin here.", field="admin")
    log.info("%s no longer a vpsbot admin of %s (by %s)", user_id, team_id, by or via)
    return f"{who} is no longer a named vpsbot admin."
