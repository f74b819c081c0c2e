"""Reading an admin interaction and answering it: what every admin listener shares.

Payload reads go through the tolerant readers of :mod:`bot.core.slack`, so a forged
or truncated payload renders nothing instead of raising. Ids found in a payload
are hints: :func:`provider_named_by` reads the provider again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.admin import screens, views
from bot.admin import service as admin_ops
from bot.admin.views import Notice
from bot.core.errors import AdminError, VpsbotError
from bot.core.services import Services
from bot.core.slack import first_action, slack_error, team_and_user, update_view, view_of
from db.models import ServiceProvider
from providers.errors import ProviderError

__all__ = [
    "GONE",
    "JSON",
    "failure",
    "field_error",
    "form_provider",
    "home_again",
    "meta_of",
    "page_number",
    "plans_again",
    "pressed",
    "provider_named_by",
    "push",
    "submitted_to",
    "view_id_of",
]

log = logging.getLogger(__name__)

JSON = dict[str, Any]

GONE = "That provider no longer exists."


def view_id_of(body: JSON) -> str:
    """The id of the view the interaction happened in ('' when none)."""
    return str(view_of(body).get("id") or "")


def meta_of(body: JSON) -> JSON:
    """The submitted or acted-on view's metadata: hints only, never trusted."""
    return views.metadata(view_of(body))


def page_number(value: object) -> int:
    """A page number from a button or metadata (0 when it is not one)."""
    try:
        return int(str(value))
    except ValueError:
        return 0


def pressed(body: JSON) -> str:
    """The value of the button pressed or the menu item chosen ('' when none)."""
    action = first_action(body)
    option = action.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else action.get("value")
    return value if isinstance(value, str) else ""


async def provider_named_by(
    services: Services, provider_id: object, context: Mapping[str, Any]
) -> ServiceProvider | None:
    """The provider an untrusted id names, read again, if the request's workspace
    owns it (None when it is gone or another workspace's)."""
    team_id, _ = team_and_user(context)
    try:
        return await admin_ops.provider_by_id(services, provider_id, team_id)
    except AdminError:
        return None


def failure(exc: Exception) -> str:
    """A failed change as one line for an admin: never a traceback or a token."""
    if isinstance(exc, VpsbotError):
        return exc.message
    if isinstance(exc, ProviderError):
        return exc.user_message()
    return str(exc)


async def field_error(ack: AsyncAck, field: str, message: str) -> None:
    """Keep the form open with ``message`` under ``field``."""
    await ack(response_action="errors", errors={field: message[:300]})


# ---------------------------------------------------------------------------- answers


async def push(client: AsyncWebClient, body: JSON, view: View) -> str | None:
    """``views.push`` on the pressed button's trigger; the new view's id, or None."""
    trigger = body.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        return None
    try:
        pushed = await client.views_push(trigger_id=trigger, view=view)
    except SlackApiError as exc:  # the trigger expired, or the stack is full
        log.info("views.push skipped: %s", slack_error(exc))
        return None
    found = pushed.get("view")
    return str(found.get("id")) if isinstance(found, dict) else None


async def home_again(
    services: Services,
    client: AsyncWebClient,
    view_id: str,
    notice: Notice | None,
    context: Mapping[str, Any],
    *,
    admins_notice: Notice | None = None,
) -> None:
    """Render the home modal ``view_id`` as it stands now for the person acting,
    ``notice`` on top (``admins_notice`` in the admins section)."""
    team_id, user_id = team_and_user(context)
    view = await screens.home(
        services,
        team_id,
        notice,
        viewer=user_id,
        enterprise_id=str(context.get("enterprise_id") or "") or None,
        admins_notice=admins_notice,
    )
    await update_view(client, view_id, view)


async def plans_again(
    services: Services,
    client: AsyncWebClient,
    meta: JSON,
    row: ServiceProvider,
    notice: Notice | None,
) -> None:
    """Render the plans modal ``meta`` names as its parent, at its page."""
    view = await screens.plans_screen(
        services,
        row,
        root=str(meta.get("root") or ""),
        page=page_number(meta.get("page")),
        notice=notice,
    )
    await update_view(client, str(meta.get("parent") or ""), view)


async def submitted_to(
    services: Services, body: JSON, context: Mapping[str, Any]
) -> tuple[JSON, ServiceProvider | None]:
    """(the form's metadata, the provider it names, read again, or None when gone)."""
    meta = meta_of(body)
    return meta, await provider_named_by(services, meta.get("provider"), context)


async def form_provider(
    services: Services, body: JSON, context: Mapping[str, Any], ack: AsyncAck, field: str
) -> tuple[JSON, ServiceProvider] | None:
    """The form's metadata and the provider it names; None (and the form refused at
    ``field``) when that provider is gone."""
    meta, row = await submitted_to(services, body, context)
    if row is None:
        await field_error(ack, field, "This provider is gone.")
        return None
    return meta, row
