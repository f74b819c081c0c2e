"""The plans and allowlist part of `/vps admin`: a provider's plans (pages, import,
markup, enable/disable) and which 1-Click apps / StackScripts users may deploy.

Module-level listeners, wired by :func:`bot.admin.listeners.register` behind
:func:`bot.core.access.admins_only`; the team and user come from Bolt's context.
Plan ids in menus and metadata are looked up again, and only within the provider.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.admin import screens
from bot.admin import service as admin_ops
from bot.admin.changes import client_of
from bot.admin.interaction import (
    JSON,
    failure,
    field_error,
    form_provider,
    home_again,
    meta_of,
    page_number,
    plans_again,
    pressed,
    provider_named_by,
    push,
    submitted_to,
    view_id_of,
)
from bot.admin.plan_views import allowlist_view, import_view, markup_view
from bot.admin.plans_service import Markup, plan_of, regionless_plans, unpriced_plans
from bot.admin.views import Notice
from bot.core.blocks import esc
from bot.core.errors import AdminError, reference
from bot.core.services import Services
from bot.core.slack import (
    selected,
    selected_many,
    state_values,
    team_and_user,
    typed,
    update_view,
)
from providers.errors import ProviderError

__all__ = [
    "allow_submitted",
    "import_submitted",
    "markup_submitted",
    "open_allowlist",
    "open_import",
    "open_plans",
    "page",
    "plan_action",
]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- plans


async def open_plans(
    ack: AsyncAck, body: JSON, client: AsyncWebClient, services: Services, context: AsyncBoltContext
) -> None:
    await ack()
    row = await provider_named_by(services, pressed(body), context)
    if row is not None:
        view = await screens.plans_screen(services, row, root=view_id_of(body), page=0, notice=None)
        await push(client, body, view)


async def open_import(
    ack: AsyncAck, body: JSON, client: AsyncWebClient, services: Services, context: AsyncBoltContext
) -> None:
    await ack()
    row = await provider_named_by(services, pressed(body), context)
    if row is None:
        return
    meta = meta_of(body)
    view = import_view(
        await screens.status_of(services, row),
        parent=view_id_of(body),
        root=str(meta.get("root") or ""),
        page=page_number(meta.get("page")),
    )
    await push(client, body, view)


async def page(
    ack: AsyncAck, body: JSON, client: AsyncWebClient, services: Services, context: AsyncBoltContext
) -> None:
    """Previous / next page of the plans modal."""
    await ack()
    meta = meta_of(body)
    row = await provider_named_by(services, meta.get("provider"), context)
    if row is not None:
        root = str(meta.get("root") or "")
        view = await screens.plans_screen(
            services, row, root=root, page=page_number(pressed(body)), notice=None
        )
        await update_view(client, view_id_of(body), view)


async def plan_action(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """A plan's overflow menu: edit its markup, enable or disable it."""
    await ack()
    team_id, user_id = team_and_user(context)
    meta = {**meta_of(body), "parent": view_id_of(body)}
    row = await provider_named_by(services, meta.get("provider"), context)
    if row is None:
        return
    what, _, plan_id = pressed(body).partition(":")
    found = await plan_of(services, row, plan_id)
    if found is None:
        await plans_again(
            services, client, meta, row, Notice("That plan no longer exists.", ok=False)
        )
        return
    if what == "markup":
        view = markup_view(
            await screens.status_of(services, row),
            screens.plan_row(found),
            parent=meta["parent"],
            root=str(meta.get("root") or ""),
            page=page_number(meta.get("page")),
        )
        await push(client, body, view)
        return
    if what not in ("enable", "disable"):
        return
    await admin_ops.set_plan_active(
        services,
        row.name,
        found.provider_plan_id,
        what == "enable",
        actor=user_id,
        team_id=team_id,
    )
    shown = "offered again" if what == "enable" else "disabled: no longer offered"
    notice = Notice(f"`{esc(found.provider_plan_id)}` {shown}.")
    await plans_again(services, client, meta, row, notice)


def _markup(body: JSON) -> Markup:
    values = state_values(body)
    return Markup.parse(selected(values, "markup_kind"), typed(values, "markup"))


async def import_submitted(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Import the catalogue; the plans modal underneath shows the outcome."""
    team_id, user_id = team_and_user(context)
    form = await form_provider(services, body, context, ack, "markup")
    if form is None:
        return
    meta, row = form
    try:
        markup = _markup(body)
    except AdminError as exc:
        await field_error(ack, "markup", exc.message)
        return
    await ack()  # the catalogue may take a while
    try:
        count = await admin_ops.import_plans(
            services, row.name, markup, actor=user_id, team_id=team_id
        )
        unpriced = await unpriced_plans(services, row.name, team_id)
        regionless = await regionless_plans(services, row.name, team_id)
    except (AdminError, ProviderError) as exc:
        notice = Notice(f"Import failed: {failure(exc)}", ok=False)
    except SQLAlchemyError:
        ref = reference()
        log.exception("plan import for %s failed in the database [reference %s]", row.name, ref)
        notice = Notice(f"Import failed: the database refused it (reference {ref}).", ok=False)
    else:
        text = f"Imported {count} plan(s) with a {markup.describe()} markup."
        if unpriced:
            text += (
                f" {len(unpriced)} came without a price and stay disabled "
                f"(never offered at $0.00): {', '.join(unpriced[:10])}."
            )
        if regionless:
            text += (
                f" {len(regionless)} no region can run now (sold out) are not offered: "
                f"{', '.join(regionless[:10])}."
            )
        notice = Notice(text)
    await plans_again(services, client, meta, row, notice)


async def markup_submitted(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    team_id, user_id = team_and_user(context)
    meta, row = await submitted_to(services, body, context)
    found = await plan_of(services, row, meta.get("plan")) if row is not None else None
    if row is None or found is None:
        await field_error(ack, "markup", "This plan is gone.")
        return
    try:
        updated = await admin_ops.set_plan_markup(
            services,
            row.name,
            found.provider_plan_id,
            _markup(body),
            actor=user_id,
            team_id=team_id,
        )
    except AdminError as exc:
        await field_error(ack, "markup", exc.message)
        return
    await ack()
    notice = Notice(
        f"`{esc(updated.provider_plan_id)}` now costs users "
        f"${updated.base_price + updated.markup_price:.2f}/mo "
        f"(markup ${updated.markup_price:.2f})."
    )
    await plans_again(services, client, meta, row, notice)


# ---------------------------------------------------------------------------- allowlist


async def open_allowlist(
    ack: AsyncAck, body: JSON, client: AsyncWebClient, services: Services, context: AsyncBoltContext
) -> None:
    """The allowlist form: pushed at once (loading), filled in when the catalogue arrives."""
    await ack()
    row = await provider_named_by(services, pressed(body), context)
    if row is None:
        return
    root = view_id_of(body)
    status = await screens.status_of(services, row)
    current = row.configuration.get("allowed_deployments")
    chosen = [str(i) for i in current] if isinstance(current, list) else None
    view_id = await push(client, body, allowlist_view(status, None, chosen, root=root))
    if view_id is None:
        return
    try:
        options = await client_of(services, row).get_deployment_options()
    except (AdminError, ProviderError) as exc:
        view = allowlist_view(status, [], chosen, root=root, error=failure(exc))
    else:
        view = allowlist_view(status, options, chosen, root=root)
    await update_view(client, view_id, view)


async def allow_submitted(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    team_id, user_id = team_and_user(context)
    form = await form_provider(services, body, context, ack, "mode")
    if form is None:
        return
    meta, row = form
    values = state_values(body)
    chosen = selected_many(values, "allowed") if selected(values, "mode") == "selected" else None
    await admin_ops.set_allowlist(services, row.name, chosen, actor=user_id, team_id=team_id)
    await ack()
    what = (await screens.status_of(services, row)).deployment_name
    count = "all" if chosen is None else str(len(chosen))
    notice = Notice(f"*{esc(row.name)}*: {count} {what} allowed.")
    await home_again(services, client, str(meta.get("root") or ""), notice, context)
