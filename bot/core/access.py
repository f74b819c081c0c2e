"""Who may do what: members act on their own servers, admins on the workspace's.

Admins are the user IDs in ``VPSBOT_ADMINS`` plus Slack workspace admins and
owners (``users.info``, cached for five minutes). Every check runs server-side
against the database; button values and view ids are untrusted input.
"""

from __future__ import annotations

import logging

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError

from bot.core.services import Services
from db.models import VpsInstance

__all__ = ["Refusal", "can_act_on", "is_admin"]

log = logging.getLogger(__name__)

_slack_admins: TTLCache[tuple[str, str], bool] = TTLCache(maxsize=4096, ttl=300)


class Refusal(Exception):
    """The user may not do this; the message is one line to show them."""


async def is_admin(services: Services, team_id: str, user_id: str) -> bool:
    if user_id in services.admins:
        return True
    key = (team_id, user_id)
    cached = _slack_admins.get(key)
    if cached is not None:
        return cached
    try:
        info = await services.slack.users_info(user=user_id)
    except SlackApiError as exc:
        log.warning("users.info for %s failed: %s", user_id, exc.response.get("error"))
        return False
    user = info.get("user") or {}
    verdict = bool(
        user.get("team_id", team_id) == team_id
        and (user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    )
    _slack_admins[key] = verdict
    return verdict


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
