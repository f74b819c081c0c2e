"""`/vps admin` and `/vps log`: providers, plans and allowlists from Slack, for admins.

Thin Slack glue: the changes themselves are :mod:`bot.admin.service` (which validates,
audits and invalidates caches), the views are :mod:`bot.admin.views`. Every
command, action and submission re-checks that the user is an admin; ids in
button values and view metadata are untrusted and looked up again.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.admin import service as admin_ops
from bot.admin import views
from bot.admin.service import AdminError, Markup
from bot.admin.views import Capability, LogEntry, Notice, PlanRow, ProviderStatus
from bot.core.access import is_admin
from bot.core.services import Services
from bot.help.listeners import subcommands
from db.crypto import SecretError
from db.models import ServiceProvider
from db.repo import plans, providers
from providers.errors import ProviderError
from providers.registry import IMPLEMENTED_TYPES, UnsupportedProviderError, display_name

__all__ = ["VALIDATE_BUDGET", "register"]

log = logging.getLogger(__name__)

#: Seconds a form submission may spend validating a token live (Slack waits 3 s).
VALIDATE_BUDGET = 2.0
LOG_DEFAULT = 20
LOG_MAX = 50
_REFUSED = "Only vpsbot admins can use `/vps {what}`."
_KINDS = {"oneclick": "1-Click apps", "stackscript": "StackScripts"}
_MARKUP_MAX = Decimal(100000)


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    return team, user.get("id", "")


# ---------------------------------------------------------------------------- data for views


def _status(
    services: Services, row: ServiceProvider, servers: int, counts: plans.PlanCounts
) -> ProviderStatus:
    capabilities: tuple[Capability, ...] = ()
    kind = ""
    problem = None
    budget = None
    last_success = row.last_success_at
    try:
        client = services.provider_for(row)
    except UnsupportedProviderError:
        problem = "type not supported by this vpsbot"
    except SecretError:  # a token the configured keys cannot decrypt
        log.warning("provider %s (%s): stored token unusable", row.name, row.id)
        problem = "stored token cannot be decrypted; rotate it"
    else:
        caps = client.capabilities
        kind = caps.deployment_kind
        capabilities = (
            Capability(_KINDS.get(kind, kind or "deployments"), bool(kind)),
            Capability("VPC", caps.vpc),
            Capability("IPv6", caps.ipv6),
            Capability("monitoring", caps.monitoring),
        )
        budget = getattr(client, "rate_budget", None)
        seen = getattr(client, "last_success", None)
        if seen is not None:
            stamp = datetime.fromtimestamp(seen, UTC)
            if last_success is None or stamp > last_success:
                last_success = stamp
    allowed = row.configuration.get("allowed_deployments")
    return ProviderStatus(
        id=str(row.id),
        name=row.name,
        type=row.type,
        active=row.active,
        credentials_valid=row.credentials_valid,
        last_checked_at=row.last_checked_at,
        last_success_at=last_success,
        rate_limit=getattr(budget, "limit", None),
        rate_remaining=getattr(budget, "remaining", None),
        rate_reset_at=getattr(budget, "reset_at", None),
        capabilities=capabilities,
        deployment_kind=kind,
        servers=servers,
        plans_total=counts.total,
        plans_active=counts.active,
        allowed_deployments=len(allowed) if isinstance(allowed, list) else None,
        api_url=row.configuration.get("api_url") or None,
        problem=problem,
    )


async def _statuses(services: Services) -> list[ProviderStatus]:
    async with services.db.session() as session:
        rows = await providers.list_all(session)
        counts = await plans.counts_by_provider(session)
        servers = {row.id: await providers.count_instances(session, row.id) for row in rows}
    return [
        _status(services, row, servers[row.id], counts.get(row.id, plans.PlanCounts()))
        for row in rows
    ]


async def _one_status(services: Services, row: ServiceProvider) -> ProviderStatus:
    async with services.db.session() as session:
        servers = await providers.count_instances(session, row.id)
        counts = await plans.counts_by_provider(session)
    return _status(services, row, servers, counts.get(row.id, plans.PlanCounts()))


async def _plan_rows(services: Services, row: ServiceProvider) -> list[PlanRow]:
    async with services.db.session() as session:
        found = await plans.list_for_provider(session, row.id)
    return [
        PlanRow(
            id=str(p.id),
            provider_plan_id=p.provider_plan_id,
            name=p.name,
            base_price=p.base_price,
            markup_price=p.markup_price,
            active=p.active,
            vcpus=int(p.specifications.get("vcpus", 0) or 0),
            memory_mb=int(p.specifications.get("memory_mb", 0) or 0),
            disk_gb=int(p.specifications.get("disk_gb", 0) or 0),
        )
        for p in found
    ]


async def _home(services: Services, notice: Notice | None = None) -> View:
    return views.home_view(await _statuses(services), notice)


async def _plans(
    services: Services, row: ServiceProvider, *, root: str, page: int, notice: Notice | None
) -> View:
    status = await _one_status(services, row)
    return views.plans_view(
        status, await _plan_rows(services, row), root=root, page=page, notice=notice
    )


async def _update(client: AsyncWebClient, view_id: str | None, view: View) -> None:
    if not view_id:
        return
    try:
        await client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:  # the admin closed the modal meanwhile
        log.info("views.update of %s skipped: %s", view_id, exc.response.get("error"))


async def _refresh_home(
    services: Services, client: AsyncWebClient, view_id: str | None, notice: Notice | None
) -> None:
    await _update(client, view_id, await _home(services, notice))


async def _refresh_plans(
    services: Services,
    client: AsyncWebClient,
    meta: dict[str, Any],
    row: ServiceProvider,
    notice: Notice | None,
) -> None:
    view = await _plans(
        services, row, root=str(meta.get("root") or ""), page=_int(meta.get("page")), notice=notice
    )
    await _update(client, str(meta.get("parent") or ""), view)


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# ---------------------------------------------------------------------------- form values


def _value(values: dict[str, Any], block: str) -> str:
    entry = (values.get(block) or {}).get(block) or {}
    if "selected_option" in entry:
        return str((entry.get("selected_option") or {}).get("value") or "")
    return str(entry.get("value") or "").strip()


def _selected(values: dict[str, Any], block: str) -> list[str]:
    entry = (values.get(block) or {}).get(block) or {}
    return [str(o.get("value")) for o in entry.get("selected_options") or [] if o.get("value")]


def _markup(values: dict[str, Any]) -> Markup:
    """The markup a form asks for, or :class:`AdminError` at the ``markup`` field."""
    kind = _value(values, "markup_kind") or "percent"
    raw = _value(values, "markup").replace("$", "").replace("%", "").strip()
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise AdminError("enter a number, e.g. 20 or 1.50", field="markup") from None
    if not amount.is_finite() or amount < 0 or amount > _MARKUP_MAX:
        raise AdminError("enter a number from 0 to 100000", field="markup")
    return Markup(percent=amount) if kind == "percent" else Markup(amount=amount)


def _api_url(raw: str) -> str | None:
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AdminError("an API URL starts with https:// (or http://)", field="api_url")
    return raw.rstrip("/")


def _errors(problem: AdminError, fields: set[str], fallback: str) -> dict[str, str]:
    field = problem.field if problem.field in fields else fallback
    return {field: problem.message[:300]}


def _log_entry(row: Any) -> LogEntry:
    meta = dict(row.metadata_ or {})
    return LogEntry(
        when=row.created_at,
        event_type=row.event_type,
        status=row.status,
        user_id=row.user_id,
        entity_type=row.entity_type,
        entity_name=str(meta.get("label") or meta.get("name") or "") or None,
        detail=views.detail_of(row.event_type, meta),
    )


# ---------------------------------------------------------------------------- registration


def register(app: AsyncApp, services: Services) -> None:
    async def admin(
        services: Services,
        command: dict[str, Any],
        rest: str,
        ack: AsyncAck,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        if not await is_admin(services, command["team_id"], command["user_id"]):
            await ack(response_type="ephemeral", text=_REFUSED.format(what="admin"))
            return
        await ack()
        await client.views_open(trigger_id=command["trigger_id"], view=await _home(services))

    async def activity_log(
        services: Services,
        command: dict[str, Any],
        rest: str,
        ack: AsyncAck,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        team_id = command["team_id"]
        if not await is_admin(services, team_id, command["user_id"]):
            await ack(response_type="ephemeral", text=_REFUSED.format(what="log"))
            return
        word = rest.split()[0] if rest.split() else ""
        if word and not re.fullmatch(r"\d{1,6}", word):
            await ack(
                response_type="ephemeral",
                text=f"Usage: `/vps log [n]` — the latest n events (1 to {LOG_MAX}).",
            )
            return
        limit = min(max(int(word), 1), LOG_MAX) if word else LOG_DEFAULT
        rows = await admin_ops.recent_activity(services, team_id, limit=limit)
        text, blocks = views.log_message([_log_entry(r) for r in rows], limit)
        await ack(response_type="ephemeral", text=text, blocks=blocks)

    subcommands["admin"] = admin
    subcommands["log"] = activity_log

    async def allowed(body: dict[str, Any]) -> tuple[str, str] | None:
        team_id, user_id = _who(body)
        if await is_admin(services, team_id, user_id):
            return team_id, user_id
        log.warning("admin interaction by non-admin %s in %s refused", user_id, team_id)
        return None

    async def provider(value: str) -> ServiceProvider | None:
        try:
            return await admin_ops.provider_by_id(services, value)
        except AdminError:
            return None

    async def submitted_by(
        body: dict[str, Any],
    ) -> tuple[Any, dict[str, Any], ServiceProvider | None]:
        """(admin or None, the view's metadata, the provider it names or None) for a
        submitted admin form; the metadata is untrusted, so the row is looked up."""
        who = await allowed(body)
        meta = views.metadata(body["view"])
        return who, meta, await provider(str(meta.get("provider") or ""))

    async def pressed_on(body: dict[str, Any]) -> ServiceProvider | None:
        """The provider a button names, if an admin pressed it (values are untrusted)."""
        if await allowed(body) is None:
            return None
        return await provider(str(body["actions"][0].get("value") or ""))

    # -------------------------------------------------------------- home actions

    @app.action(views.ADD_ACTION)
    async def open_add(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if await allowed(body) is None:
            return
        types = [(t, display_name(t)) for t in IMPLEMENTED_TYPES]
        await client.views_push(
            trigger_id=body["trigger_id"],
            view=views.add_provider_view(types, root=body["view"]["id"]),
        )

    @app.action(views.REFRESH_ACTION)
    async def refresh(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if await allowed(body) is None:
            return
        await _refresh_home(services, client, body["view"]["id"], None)

    @app.action(views.TOGGLE_ACTION)
    async def toggle(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        who = await allowed(body)
        if who is None:
            return
        word, _, provider_id = str(body["actions"][0].get("value") or "").partition(":")
        row = await provider(provider_id)
        if row is None or word not in ("on", "off"):
            notice = Notice("That provider no longer exists.", ok=False)
        else:
            await admin_ops.set_provider_active(
                services, row.name, word == "on", actor=who[1], team_id=who[0]
            )
            notice = Notice(
                f"*{row.name}* is active again: `/vps create` offers it."
                if word == "on"
                else f"*{row.name}* is deactivated: hidden from `/vps create`; "
                "its servers stay manageable."
            )
        await _refresh_home(services, client, body["view"]["id"], notice)

    @app.action(views.CHECK_ACTION)
    async def check(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        who = await allowed(body)
        if who is None:
            return
        row = await provider(str(body["actions"][0].get("value") or ""))
        if row is None:
            notice = Notice("That provider no longer exists.", ok=False)
        else:
            result = await admin_ops.check_provider(
                services, row.name, actor=who[1], team_id=who[0]
            )
            notice = Notice(f"*{row.name}*: {result.message}", ok=bool(result.valid))
        await _refresh_home(services, client, body["view"]["id"], notice)

    @app.action(views.MORE_ACTION)
    async def more(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if await allowed(body) is None:
            return
        picked = (body["actions"][0].get("selected_option") or {}).get("value") or ""
        what, _, provider_id = str(picked).partition(":")
        row = await provider(provider_id)
        root = body["view"]["id"]
        if row is None:
            await _refresh_home(
                services, client, root, Notice("That provider no longer exists.", ok=False)
            )
            return
        status = await _one_status(services, row)
        builders = {"rename": views.rename_view, "rotate": views.rotate_view}
        if what in builders:
            view = builders[what](status, root=root)
        elif what == "delete":
            view = views.delete_view(status, root=root)
        else:
            return
        await client.views_push(trigger_id=body["trigger_id"], view=view)

    @app.action(views.PLANS_ACTION)
    async def open_plans(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        row = await pressed_on(body)
        if row is None:
            return
        view = await _plans(services, row, root=body["view"]["id"], page=0, notice=None)
        await client.views_push(trigger_id=body["trigger_id"], view=view)

    @app.action(views.ALLOW_ACTION)
    async def open_allowlist(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        row = await pressed_on(body)
        if row is None:
            return
        root = body["view"]["id"]
        status = await _one_status(services, row)
        current = row.configuration.get("allowed_deployments")
        chosen = [str(i) for i in current] if isinstance(current, list) else None
        # the catalogue may be cold: show the form loading, fill it in when it arrives
        pushed = await client.views_push(
            trigger_id=body["trigger_id"],
            view=views.allowlist_view(status, None, chosen, root=root),
        )
        view_id = pushed["view"]["id"]
        try:
            options = await services.provider_for(row).get_deployment_options()
        except ProviderError as exc:
            view = views.allowlist_view(status, [], chosen, root=root, error=exc.user_message())
        except (SecretError, UnsupportedProviderError) as exc:
            view = views.allowlist_view(status, [], chosen, root=root, error=str(exc))
        else:
            view = views.allowlist_view(status, options, chosen, root=root)
        await _update(client, view_id, view)

    # -------------------------------------------------------------- plans actions

    @app.action(views.IMPORT_ACTION)
    async def open_import(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        row = await pressed_on(body)
        if row is None:
            return
        meta = views.metadata(body["view"])
        view = views.import_view(
            await _one_status(services, row),
            parent=body["view"]["id"],
            root=str(meta.get("root") or ""),
            page=_int(meta.get("page")),
        )
        await client.views_push(trigger_id=body["trigger_id"], view=view)

    @app.action(views.PAGE_ACTION)
    async def page(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if await allowed(body) is None:
            return
        meta = views.metadata(body["view"])
        row = await provider(str(meta.get("provider") or ""))
        if row is None:
            return
        view = await _plans(
            services,
            row,
            root=str(meta.get("root") or ""),
            page=_int(body["actions"][0].get("value")),
            notice=None,
        )
        await _update(client, body["view"]["id"], view)

    @app.action(views.PLAN_ACTION)
    async def plan_action(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        who = await allowed(body)
        if who is None:
            return
        meta = views.metadata(body["view"])
        meta["parent"] = body["view"]["id"]
        row = await provider(str(meta.get("provider") or ""))
        if row is None:
            return
        picked = (body["actions"][0].get("selected_option") or {}).get("value") or ""
        what, _, plan_id = str(picked).partition(":")
        plan_uuid = admin_ops.provider_uuid(plan_id)
        found = None
        if plan_uuid is not None:
            async with services.db.session() as session:
                found = await plans.get_for_provider(session, row.id, plan_uuid)
        if found is None:
            await _refresh_plans(
                services, client, meta, row, Notice("That plan no longer exists.", ok=False)
            )
            return
        if what == "markup":
            status = await _one_status(services, row)
            plan_row = next(p for p in await _plan_rows(services, row) if p.id == str(found.id))
            view = views.markup_view(
                status,
                plan_row,
                parent=meta["parent"],
                root=str(meta.get("root") or ""),
                page=_int(meta.get("page")),
            )
            await client.views_push(trigger_id=body["trigger_id"], view=view)
            return
        if what not in ("enable", "disable"):
            return
        await admin_ops.set_plan_active(
            services,
            row.name,
            found.provider_plan_id,
            what == "enable",
            actor=who[1],
            team_id=who[0],
        )
        shown = "offered again" if what == "enable" else "disabled: no longer offered"
        await _refresh_plans(
            services, client, meta, row, Notice(f"`{found.provider_plan_id}` {shown}.")
        )

    # -------------------------------------------------------------- submissions

    @app.view(views.HOME)
    async def home_submitted(ack: AsyncAck) -> None:
        await ack()

    @app.view(views.ADD)
    async def add_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        who = await allowed(body)
        if who is None:
            await ack(response_action="errors", errors={"name": "Only vpsbot admins can do this."})
            return
        values = body["view"]["state"]["values"]
        type_ = _value(values, "type")
        name = _value(values, "name")
        token = _value(values, "token")
        fields = {"type", "name", "token", "api_url"}
        try:
            api_url = _api_url(_value(values, "api_url"))
            row = await admin_ops.add_provider(
                services,
                type=type_,
                name=name,
                token=token,
                api_url=api_url,
                actor=who[1],
                team_id=who[0],
                validate_timeout=VALIDATE_BUDGET,
            )
        except (AdminError, ProviderError, UnsupportedProviderError) as exc:
            problem = admin_ops.validation_problem(
                exc, type=type_, token=token, api_url=_value(values, "api_url") or None
            )
            log.info("add provider %r refused: %s", name, problem.message)
            await ack(response_action="errors", errors=_errors(problem, fields, "token"))
            return
        await ack()
        root = views.metadata(body["view"]).get("root")
        notice = Notice(
            f"Added *{row.name}* ({display_name(row.type)}): token checked and "
            "stored encrypted. Import its plans under *Plans*."
        )
        await _refresh_home(services, client, str(root or ""), notice)

    @app.view(views.RENAME)
    async def rename_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        who, meta, row = await submitted_by(body)
        if who is None or row is None:
            await ack(response_action="errors", errors={"name": "This provider is gone."})
            return
        try:
            renamed = await admin_ops.rename_provider(
                services,
                row.name,
                _value(body["view"]["state"]["values"], "name"),
                actor=who[1],
                team_id=who[0],
            )
        except AdminError as exc:
            await ack(response_action="errors", errors={"name": exc.message[:300]})
            return
        await ack()
        notice = Notice(f"*{row.name}* is now called *{renamed.name}*.")
        await _refresh_home(services, client, str(meta.get("root") or ""), notice)

    @app.view(views.ROTATE)
    async def rotate_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        who, meta, row = await submitted_by(body)
        if who is None or row is None:
            await ack(response_action="errors", errors={"token": "This provider is gone."})
            return
        token = _value(body["view"]["state"]["values"], "token")
        try:
            await admin_ops.rotate_token(
                services,
                row.name,
                token,
                actor=who[1],
                team_id=who[0],
                validate_timeout=VALIDATE_BUDGET,
            )
        except (AdminError, ProviderError, UnsupportedProviderError) as exc:
            problem = admin_ops.validation_problem(exc, type=row.type, token=token)
            log.info("token rotation for %r refused: %s", row.name, problem.message)
            await ack(response_action="errors", errors={"token": problem.message[:300]})
            return
        await ack()
        notice = Notice(f"*{row.name}*: new token checked and stored encrypted.")
        await _refresh_home(services, client, str(meta.get("root") or ""), notice)

    @app.view(views.DELETE)
    async def delete_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        who = await allowed(body)
        view = body["view"]
        meta = views.metadata(view)
        root = str(meta.get("root") or "")
        row = await provider(str(meta.get("provider") or ""))
        if who is None or row is None:
            await ack()
            await _refresh_home(services, client, root, None)
            return
        confirmed = "force" in _selected(view["state"]["values"], "confirm")
        status = await _one_status(services, row)
        if status.servers and not confirmed:
            has_box = any(b.get("block_id") == "confirm" for b in view.get("blocks") or [])
            if has_box:
                await ack(
                    response_action="errors",
                    errors={
                        "confirm": f"{status.servers} server(s) still use {row.name}: tick "
                        "the box to delete it anyway, or deactivate it instead."
                    },
                )
            else:  # a server appeared since the form opened: ask again, with the box
                await ack(response_action="update", view=views.delete_view(status, root=root))
            return
        try:
            await admin_ops.remove_provider(
                services, row.name, force=confirmed, actor=who[1], team_id=who[0]
            )
        except AdminError:
            await ack(response_action="update", view=views.delete_view(status, root=root))
            return
        await ack()
        lost = f"; {status.servers} server(s) lost their provider" if confirmed else ""
        await _refresh_home(services, client, root, Notice(f"Deleted *{row.name}*{lost}."))

    @app.view(views.IMPORT)
    async def import_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        who, meta, row = await submitted_by(body)
        if who is None or row is None:
            await ack(response_action="errors", errors={"markup": "This provider is gone."})
            return
        try:
            markup = _markup(body["view"]["state"]["values"])
        except AdminError as exc:
            await ack(response_action="errors", errors={"markup": exc.message})
            return
        await ack()  # the catalogue may take a while: the plans view shows the result
        try:
            count = await admin_ops.import_plans(
                services, row.name, markup, actor=who[1], team_id=who[0]
            )
        except (AdminError, ProviderError, SecretError, UnsupportedProviderError) as exc:
            if isinstance(exc, AdminError):
                message = exc.message
            elif isinstance(exc, ProviderError):
                message = exc.user_message()
            else:
                message = str(exc)
            notice = Notice(f"Import failed: {message}", ok=False)
        else:
            notice = Notice(f"Imported {count} plan(s) with a {markup.describe()} markup.")
        await _refresh_plans(services, client, meta, row, notice)

    @app.view(views.MARKUP)
    async def markup_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        who, meta, row = await submitted_by(body)
        plan_uuid = admin_ops.provider_uuid(str(meta.get("plan") or ""))
        found = None
        if row is not None and plan_uuid is not None:
            async with services.db.session() as session:
                found = await plans.get_for_provider(session, row.id, plan_uuid)
        if who is None or row is None or found is None:
            await ack(response_action="errors", errors={"markup": "This plan is gone."})
            return
        try:
            markup = _markup(body["view"]["state"]["values"])
            updated = await admin_ops.set_plan_markup(
                services, row.name, found.provider_plan_id, markup, actor=who[1], team_id=who[0]
            )
        except AdminError as exc:
            await ack(response_action="errors", errors={"markup": exc.message})
            return
        await ack()
        notice = Notice(
            f"`{updated.provider_plan_id}` now costs users "
            f"${updated.base_price + updated.markup_price:.2f}/mo "
            f"(markup ${updated.markup_price:.2f})."
        )
        await _refresh_plans(services, client, meta, row, notice)

    @app.view(views.ALLOW)
    async def allow_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        who, meta, row = await submitted_by(body)
        if who is None or row is None:
            await ack(response_action="errors", errors={"mode": "This provider is gone."})
            return
        values = body["view"]["state"]["values"]
        chosen = None if _value(values, "mode") != "selected" else _selected(values, "allowed")
        await admin_ops.set_allowlist(services, row.name, chosen, actor=who[1], team_id=who[0])
        await ack()
        status = await _one_status(services, row)
        what = status.deployment_name
        notice = Notice(
            f"*{row.name}*: all {what} allowed."
            if chosen is None
            else f"*{row.name}*: {len(chosen)} {what} allowed."
        )
        await _refresh_home(services, client, str(meta.get("root") or ""), notice)
