"""`/vps admin` and `/vps log`: providers, plans, allowlists, the spend policy and the
named vpsbot admins from Slack, for admins.

Thin Slack glue: the `/vps` words here, the providers' buttons and forms in
:mod:`bot.admin.provider_listeners`, plans and allowlists in
:mod:`bot.admin.plan_listeners`, the spend policy in
:mod:`bot.admin.policy_listeners`, the *Admins* section in
:mod:`bot.admin.admins_listeners`. The changes are :mod:`bot.admin.service`,
:mod:`bot.admin.plans_service` and :mod:`bot.admin.admins_service` (which
validate, audit and invalidate caches), the screens' data :mod:`bot.admin.screens`.
``register`` only wires: every action and submission runs behind
:func:`bot.core.access.admins_only` (Bolt listener middleware), the `/vps` words
behind :func:`bot.core.access.requires_admin`. The team and user come from Bolt's
context; ids in button values and ``private_metadata`` are untrusted hints, and
what they name is looked up again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.admin import admins_listeners as admins
from bot.admin import plan_listeners as plans
from bot.admin import policy_listeners as policy
from bot.admin import provider_listeners as providers
from bot.admin import screens, views
from bot.admin.interaction import JSON
from bot.admin.log_views import log_message
from bot.admin.provider_listeners import VALIDATE_BUDGET
from bot.core.access import admins_only, requires_admin
from bot.core.services import Services
from bot.core.slack import Subcommand, slack_error

__all__ = ["SUBCOMMANDS", "VALIDATE_BUDGET", "admin_command", "log_command", "register"]

log = logging.getLogger(__name__)

LOG_DEFAULT = 20
LOG_MAX = 50


async def admin_command(
    services: Services,
    command: JSON,
    rest: str,
    ack: AsyncAck,
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    """`/vps admin`: the home modal."""
    await ack()
    trigger = str(command.get("trigger_id") or "")
    home = await screens.home(
        services,
        str(command.get("team_id") or ""),
        viewer=str(command.get("user_id") or ""),
        enterprise_id=str(command.get("enterprise_id") or "") or None,
    )
    try:
        await client.views_open(trigger_id=trigger, view=home)
    except SlackApiError as exc:
        log.warning("views.open of the admin home failed: %s", slack_error(exc))


async def log_command(
    services: Services,
    command: JSON,
    rest: str,
    ack: AsyncAck,
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    """`/vps log [n]`: the workspace's latest n audit events."""
    words = rest.split()
    word = words[0] if words else ""
    if word and not re.fullmatch(r"\d{1,6}", word):
        await ack(
            response_type="ephemeral",
            text=f"Usage: `/vps log [n]` — the latest n events (1 to {LOG_MAX}).",
        )
        return
    limit = min(max(int(word), 1), LOG_MAX) if word else LOG_DEFAULT
    entries = await screens.log_entries(services, str(command.get("team_id") or ""), limit)
    text, blocks = log_message(entries, limit)
    await ack(response_type="ephemeral", text=text, blocks=blocks)


SUBCOMMANDS: dict[str, Subcommand] = {
    "admin": requires_admin(admin_command),
    "log": requires_admin(log_command),
}


# ---------------------------------------------------------------------------- wiring

Listener = Callable[..., Awaitable[None]]

_ACTIONS: dict[str, Listener] = {
    views.ADD_ACTION: providers.open_add,
    views.REFRESH_ACTION: providers.refresh,
    views.TOGGLE_ACTION: providers.toggle,
    views.CHECK_ACTION: providers.check,
    views.MORE_ACTION: providers.more,
    views.PLANS_ACTION: plans.open_plans,
    views.ALLOW_ACTION: plans.open_allowlist,
    views.IMPORT_ACTION: plans.open_import,
    views.PAGE_ACTION: plans.page,
    views.PLAN_ACTION: plans.plan_action,
    policy.POLICY_ACTION: policy.open_policy,
    views.ADD_ADMIN_ACTION: admins.add_admin,
    views.REMOVE_ADMIN_ACTION: admins.remove_admin,
}

_SUBMISSIONS: dict[str, Listener] = {
    views.HOME: providers.home_submitted,
    views.ADD: providers.add_submitted,
    views.RENAME: providers.rename_submitted,
    views.ROTATE: providers.rotate_submitted,
    views.DELETE: providers.delete_submitted,
    views.IMPORT: plans.import_submitted,
    views.MARKUP: plans.markup_submitted,
    views.ALLOW: plans.allow_submitted,
    policy.POLICY: policy.policy_submitted,
}


def register(app: AsyncApp) -> None:
    """Wire the admin listeners, each behind :func:`admins_only` (the `/vps` words
    are in :data:`SUBCOMMANDS`)."""
    for action_id, listener in _ACTIONS.items():
        app.action(action_id, middleware=[admins_only])(listener)
    for callback_id, listener in _SUBMISSIONS.items():
        app.view(callback_id, middleware=[admins_only])(listener)
