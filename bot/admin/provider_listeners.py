"""The providers part of `/vps admin`: the home modal's buttons and menus, and the
add, rename, rotate-token and delete forms.

Module-level listeners, wired by :func:`bot.admin.listeners.register` behind
:func:`bot.core.access.admins_only`; the team and user come from Bolt's context.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.admin import screens
from bot.admin import service as admin_ops
from bot.admin.interaction import (
    GONE,
    JSON,
    field_error,
    form_provider,
    home_again,
    meta_of,
    pressed,
    provider_named_by,
    push,
    submitted_to,
    view_id_of,
)
from bot.admin.provider_forms import add_provider_view, delete_view, rename_view, rotate_view
from bot.admin.views import Notice
from bot.core.blocks import esc
from bot.core.endpoints import chosen_in_slack, slack_choices
from bot.core.errors import AdminError
from bot.core.services import Services
from bot.core.slack import (
    selected,
    selected_many,
    state_values,
    team_and_user,
    typed,
    view_of,
)
from providers.errors import ProviderError
from providers.registry import IMPLEMENTED_TYPES, display_name

__all__ = [
    "VALIDATE_BUDGET",
    "add_submitted",
    "check",
    "delete_submitted",
    "home_submitted",
    "more",
    "open_add",
    "refresh",
    "rename_submitted",
    "rotate_submitted",
    "toggle",
]

log = logging.getLogger(__name__)

#: Seconds a form submission may spend validating a token live (Slack waits 3 s).
VALIDATE_BUDGET = 2.0
_ADD_FIELDS = frozenset({"type", "name", "token", "api_url"})


# ---------------------------------------------------------------------------- home actions


async def open_add(ack: AsyncAck, body: JSON, client: AsyncWebClient, services: Services) -> None:
    await ack()
    types = [(t, display_name(t)) for t in IMPLEMENTED_TYPES]
    endpoints = slack_choices(services.settings)
    await push(client, body, add_provider_view(types, endpoints, root=view_id_of(body)))


async def refresh(
    ack: AsyncAck, body: JSON, client: AsyncWebClient, services: Services, context: AsyncBoltContext
) -> None:
    await ack()
    await home_again(services, client, view_id_of(body), None, context)


async def toggle(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Activate or deactivate a provider (``on:<id>`` / ``off:<id>``)."""
    await ack()
    team_id, user_id = team_and_user(context)
    word, _, provider_id = pressed(body).partition(":")
    row = await provider_named_by(services, provider_id, context)
    if row is None or word not in ("on", "off"):
        notice = Notice(GONE, ok=False)
    else:
        try:
            await admin_ops.set_provider_active(
                services, row.name, word == "on", actor=user_id, team_id=team_id
            )
        except AdminError as exc:  # its API URL is not allowed: it stays off
            notice = Notice(exc.message, ok=False)
        else:
            notice = Notice(
                f"*{esc(row.name)}* is active again: `/vps create` offers it."
                if word == "on"
                else f"*{esc(row.name)}* is deactivated: hidden from `/vps create`; "
                "its servers stay manageable."
            )
    await home_again(services, client, view_id_of(body), notice, context)


async def check(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Check now: validate the stored token live and show the verdict."""
    await ack()
    team_id, user_id = team_and_user(context)
    row = await provider_named_by(services, pressed(body), context)
    if row is None:
        notice = Notice(GONE, ok=False)
    else:
        try:
            result = await admin_ops.check_provider(
                services, row.name, actor=user_id, team_id=team_id
            )
        except AdminError as exc:  # its API URL is not allowed: nothing is sent to it
            notice = Notice(exc.message, ok=False)
        else:
            notice = Notice(f"*{esc(row.name)}*: {esc(result.message)}", ok=bool(result.valid))
    await home_again(services, client, view_id_of(body), notice, context)


_PROVIDER_FORMS = {"rename": rename_view, "rotate": rotate_view, "delete": delete_view}


async def more(
    ack: AsyncAck, body: JSON, client: AsyncWebClient, services: Services, context: AsyncBoltContext
) -> None:
    """The provider's overflow menu: the rename, rotate or delete form."""
    await ack()
    what, _, provider_id = pressed(body).partition(":")
    row = await provider_named_by(services, provider_id, context)
    root = view_id_of(body)
    if row is None:
        await home_again(services, client, root, Notice(GONE, ok=False), context)
        return
    form = _PROVIDER_FORMS.get(what)
    if form is not None:
        await push(client, body, form(await screens.status_of(services, row), root=root))


# ---------------------------------------------------------------------------- forms


async def home_submitted(ack: AsyncAck) -> None:
    await ack()


async def add_submitted(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Add a provider: the token is checked live (within :data:`VALIDATE_BUDGET`)."""
    team_id, user_id = team_and_user(context)
    values = state_values(body)
    type_ = selected(values, "type") or ""
    name = typed(values, "name")
    token = typed(values, "token")
    api_url: str | None = selected(values, "api_url") or None
    try:
        # only the official API or an endpoint the operator lists: never a typed URL
        api_url = chosen_in_slack(services.settings, api_url)
        row = await admin_ops.add_provider(
            services,
            type=type_,
            name=name,
            token=token,
            api_url=api_url,
            actor=user_id,
            team_id=team_id,
            validate_timeout=VALIDATE_BUDGET,
        )
    except (AdminError, ProviderError) as exc:
        problem = admin_ops.validation_problem(exc, type=type_, token=token, api_url=api_url)
        log.info("add provider %r refused: %s", name, problem.message)
        field = problem.field if problem.field in _ADD_FIELDS else "token"
        await field_error(ack, field, problem.message)
        return
    await ack()
    notice = Notice(
        f"Added *{esc(row.name)}* ({display_name(row.type)}): token checked and "
        "stored encrypted. Import its plans under *Plans*."
    )
    await home_again(services, client, str(meta_of(body).get("root") or ""), notice, context)


async def rename_submitted(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    team_id, user_id = team_and_user(context)
    form = await form_provider(services, body, context, ack, "name")
    if form is None:
        return
    meta, row = form
    new_name = typed(state_values(body), "name")
    try:
        renamed = await admin_ops.rename_provider(
            services, row.name, new_name, actor=user_id, team_id=team_id
        )
    except AdminError as exc:
        await field_error(ack, "name", exc.message)
        return
    await ack()
    notice = Notice(f"*{esc(row.name)}* is now called *{esc(renamed.name)}*.")
    await home_again(services, client, str(meta.get("root") or ""), notice, context)


async def rotate_submitted(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    team_id, user_id = team_and_user(context)
    form = await form_provider(services, body, context, ack, "token")
    if form is None:
        return
    meta, row = form
    token = typed(state_values(body), "token")
    try:
        await admin_ops.rotate_token(
            services,
            row.name,
            token,
            actor=user_id,
            team_id=team_id,
            validate_timeout=VALIDATE_BUDGET,
        )
    except (AdminError, ProviderError) as exc:
        problem = admin_ops.validation_problem(exc, type=row.type, token=token)
        log.info("token rotation for %r refused: %s", row.name, problem.message)
        await field_error(ack, "token", problem.message)
        return
    await ack()
    notice = Notice(f"*{esc(row.name)}*: new token checked and stored encrypted.")
    await home_again(services, client, str(meta.get("root") or ""), notice, context)


async def delete_submitted(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Delete a provider; with servers on it only once the admin ticks the box."""
    team_id, user_id = team_and_user(context)
    meta, row = await submitted_to(services, body, context)
    root = str(meta.get("root") or "")
    if row is None:
        await ack()
        await home_again(services, client, root, None, context)
        return
    confirmed = "force" in selected_many(state_values(body), "confirm")
    status = await screens.status_of(services, row)
    if status.servers and not confirmed:
        blocks = view_of(body).get("blocks")
        shown = blocks if isinstance(blocks, list) else []
        if any(isinstance(b, dict) and b.get("block_id") == "confirm" for b in shown):
            await field_error(
                ack,
                "confirm",
                f"{status.servers} server(s) still use {row.name}: tick the box to "
                "delete it anyway, or deactivate it instead.",
            )
        else:  # a server appeared since the form opened: ask again, with the box
            await ack(response_action="update", view=delete_view(status, root=root))
        return
    try:
        await admin_ops.remove_provider(
            services, row.name, force=confirmed, actor=user_id, team_id=team_id
        )
    except AdminError:  # a server appeared meanwhile
        await ack(response_action="update", view=delete_view(status, root=root))
        return
    await ack()
    lost = f"; {status.servers} server(s) lost their provider" if confirmed else ""
    await home_again(services, client, root, Notice(f"Deleted *{esc(row.name)}*{lost}."), context)
