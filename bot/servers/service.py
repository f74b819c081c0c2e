"""Day-2 server management: the list, the details, and acting on a server.

Every entry point takes the team and user from the Slack payload and re-loads
the row with :func:`db.repo.instances.get_for_team` — instance ids from buttons,
view ids and private_metadata are untrusted. Acting on a server goes:
permission check → in-flight claim → provider call → row update and watch →
audit → thread reply and status message. A refused or failed call leaves the
row as it was and sends nothing more to the provider.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from bot.core.access import can_act_on, is_admin
from bot.core.actions import ACTIONS
from bot.core.actions import word as action_word
from bot.core.blocks import PlanChoice, plan_choice
from bot.core.errors import Refusal
from bot.core.services import Services
from bot.servers.views import (
    STATUS_FILTERS,
    ActivityLine,
    ListState,
    ServerDetails,
    ServerLine,
)
from bot.status import service as status
from db.models import Plan, ServiceProvider, VpsInstance
from db.repo import activity, instances, plans
from providers.base import Provider
from providers.errors import NotFoundError, ProviderError
from providers.models import ActionResult, Image
from providers.passwords import generate_password
from providers.registry import display_name, type_for_word

__all__ = [
    "Outcome",
    "Target",
    "authorize",
    "details",
    "execute",
    "find_by_label",
    "images_for",
    "list_page",
    "offered_actions",
    "parse_list_text",
    "resize_choices",
    "resize_plan",
]

log = logging.getLogger(__name__)

#: A pending action older than this no longer blocks new ones (the watcher lost it).
PENDING_BLOCKS_FOR = timedelta(minutes=30)

_GONE = "That server does not exist in this workspace."


# --------------------------------------------------------------------------- reading


def parse_list_text(text: str) -> ListState:
    """`/vps list [provider] [status] [text]`: known words are filters, the rest a search."""
    provider = status_ = None
    rest: list[str] = []
    for word in text.split():
        lowered = word.lower()
        if provider is None and (kind := type_for_word(lowered)) is not None:
            provider = kind
        elif status_ is None and lowered in STATUS_FILTERS:
            status_ = lowered
        else:
            rest.append(word)
    return ListState.clean(provider, status_, " ".join(rest))


def _line(listed: instances.Listed) -> ServerLine:
    row, plan = listed.instance, listed.plan
    return ServerLine(
        id=str(row.id),
        label=row.label,
        status=row.status,
        provider_type=row.provider_type,
        provider_name=listed.provider_name,
        region=row.region,
        plan=plan.provider_plan_id if plan else _plan_name(row),
        ipv4=row.ip_address,
        monthly=plan.price_monthly if plan else None,
    )


def _plan_name(row: VpsInstance) -> str | None:
    plan = row.configuration.get("plan")
    return str(plan) if plan else None


async def list_page(
    services: Services, team_id: str, state: ListState, *, page_size: int
) -> tuple[list[ServerLine], int]:
    """One page of the team's servers (newest first) and how many match."""
    filters = instances.ListFilter(
        provider_type=state.provider, status=state.status, text=state.text
    )
    async with services.db.session() as session:
        rows, total = await instances.list_for_team(
            session, team_id, filters, limit=page_size, offset=state.offset
        )
    return [_line(listed) for listed in rows], total


async def find_by_label(services: Services, team_id: str, label: str) -> list[uuid.UUID]:
    """Ids of the team's live servers named ``label`` (any case), newest first."""
    async with services.db.session() as session:
        return [row.id for row in await instances.by_label(session, team_id, label)]


async def details(
    services: Services, team_id: str, instance_id: uuid.UUID
) -> tuple[ServerDetails, VpsInstance] | None:
    """The server's details and recent activity; None if it is not the team's."""
    async with services.db.session() as session:
        listed = await instances.get_listed(session, instance_id, team_id)
        if listed is None:
            return None
        logs = await activity.recent(session, team_id=team_id, entity_id=str(instance_id), limit=5)
    row, plan = listed.instance, listed.plan
    image = row.configuration.get("image")
    return (
        ServerDetails(
            id=str(row.id),
            label=row.label,
            status=row.status,
            raw_status=row.configuration.get("raw_status"),
            provider_type=row.provider_type,
            provider_name=listed.provider_name,
            region=row.region,
            image=str(image) if image else None,
            ipv4=row.ip_address,
            ipv6=row.ipv6_address,
            created_by=row.created_by,
            created_at=row.created_at,
            plan=plan_choice(plan) if plan else None,
            plan_name=_plan_name(row),
            note=row.configuration.get("note"),
            activity=tuple(
                ActivityLine(
                    when=log_.created_at,
                    event=log_.event_type,
                    status=log_.status,
                    user_id=log_.user_id,
                )
                for log_ in logs
            ),
        ),
        row,
    )


def offered_actions(row: VpsInstance, provider: Provider | None) -> tuple[str, ...]:
    """The buttons that make sense for the row's current state and provider."""
    if row.status == "error" and not row.provider_instance_id:
        return ("delete",)  # never created at the provider: only the row is left to clear
    if provider is None or row.status in ("deleted", "deleting") or not row.provider_instance_id:
        return ()
    supported = set(provider.capabilities.actions)
    return tuple(
        name
        for name, action in ACTIONS.items()
        if row.status in action.offered_when and (name in supported or not action.needs_capability)
    )


async def provider_of(services: Services, row: VpsInstance) -> Provider | None:
    if row.provider_id is None:
        return None
    async with services.db.session() as session:
        provider_row = await session.get(ServiceProvider, row.provider_id)
    return services.provider_for(provider_row) if provider_row is not None else None


async def may_manage(services: Services, row: VpsInstance, team_id: str, user_id: str) -> bool:
    return row.created_by == user_id or await is_admin(services, team_id, user_id)


# --------------------------------------------------------------------------- acting


@dataclass
class Target:
    """A server the user may act on, with its provider."""

    row: VpsInstance
    provider_row: ServiceProvider
    provider: Provider

    @property
    def provider_type(self) -> str:
        return self.provider_row.type


@dataclass(frozen=True)
class Outcome:
    """What happened, in one line for the requester."""

    ok: bool
    message: str
    label: str
    #: A generated root password to show the requester once (never logged).
    password: str | None = field(default=None, repr=False)


def _parse_id(raw: str | uuid.UUID | None) -> uuid.UUID:
    if isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(str(raw or ""))
    except ValueError:
        raise Refusal(_GONE) from None


def _pending_blocks(pending: object) -> bool:
    if not isinstance(pending, dict):
        return False
    at = pending.get("at")
    if not isinstance(at, int | float):
        return True
    return time.time() - at < PENDING_BLOCKS_FOR.total_seconds()


async def authorize(
    services: Services,
    instance_id: str | uuid.UUID | None,
    team_id: str,
    user_id: str,
    action: str,
) -> Target:
    """The row and provider if ``user_id`` may do ``action`` now, else :class:`Refusal`."""
    known = ACTIONS.get(action)
    if known is None:
        raise Refusal("vpsbot does not know that action.")
    parsed = _parse_id(instance_id)
    async with services.db.session() as session:
        row = await instances.get_for_team(session, parsed, team_id)
        row = await can_act_on(services, row, team_id, user_id)
        provider_row = (
            await session.get(ServiceProvider, row.provider_id) if row.provider_id else None
        )
    label = row.label
    if row.status == "deleted":
        raise Refusal(f"*{label}* has been deleted.")
    if (
        row.status == "deleting"
        or (row.configuration.get("pending_action") or {}).get("action") == "delete"
    ):
        raise Refusal(f"*{label}* is being deleted.")
    if not row.provider_instance_id and not (action == "delete" and row.status == "error"):
        raise Refusal(f"*{label}* is not created at the provider yet; try again in a minute.")
    if provider_row is None:
        raise Refusal(f"The provider of *{label}* was removed from vpsbot; ask an admin.")
    provider = services.provider_for(provider_row)
    if known.needs_capability and action not in provider.capabilities.actions:
        kind = display_name(provider_row.type)
        raise Refusal(f"{kind} servers do not support {known.word.lower()}.")
    pending = row.configuration.get("pending_action")
    if action != "delete" and _pending_blocks(pending):
        word = action_word(str((pending or {}).get("action")))
        raise Refusal(f"{word} of *{label}* is still in progress; try again when it finishes.")
    return Target(row, provider_row, provider)


async def resize_choices(
    services: Services, target: Target
) -> tuple[list[PlanChoice], PlanChoice | None]:
    """Active plans of the server's provider (in its region), and the current plan."""
    row = target.row
    async with services.db.session() as session:
        offered = await plans.list_for_provider(session, target.provider_row.id, active_only=True)
        current = await plans.get(session, row.plan_id) if row.plan_id else None
    choices = [
        plan_choice(p)
        for p in offered
        if p.id != row.plan_id
        and (not p.specifications.get("regions") or row.region in p.specifications["regions"])
    ]
    return choices, plan_choice(current) if current else None


async def images_for(target: Target) -> list[Image]:
    return await target.provider.get_images()


async def resize_plan(services: Services, target: Target, plan_id: str | None) -> Plan:
    try:
        parsed = uuid.UUID(plan_id or "")
    except ValueError:
        raise Refusal("Choose a plan to resize to.") from None
    async with services.db.session() as session:
        plan = await plans.get(session, parsed)
    if plan is None or plan.provider_id != target.provider_row.id or not plan.active:
        raise Refusal("That plan is not offered for this server's provider.")
    if plan.id == target.row.plan_id:
        raise Refusal(f"*{target.row.label}* already runs on {plan.provider_plan_id}.")
    return plan


async def _audit(
    services: Services, target: Target, user_id: str, action: str, result: str, **meta: object
) -> None:
    row = target.row
    async with services.db.session() as session, session.begin():
        await activity.record(
            session,
            event_type=f"vps.{action}",
            status=result,
            team_id=row.team_id,
            user_id=user_id,
            entity_type="vps",
            entity_id=str(row.id),
            metadata={"label": row.label, "provider": target.provider_row.name, **meta},
        )


async def _forget(services: Services, target: Target, user_id: str) -> Outcome:
    """Delete a row whose server was never created: nothing to ask the provider."""
    row = target.row
    async with services.db.session() as session, session.begin():
        await instances.mark(session, row.id, status="deleted", watch_next_at=None)
        await activity.record(
            session,
            event_type="vps.delete",
            status="success",
            team_id=row.team_id,
            user_id=user_id,
            entity_type="vps",
            entity_id=str(row.id),
            metadata={
                "label": row.label,
                "provider": target.provider_row.name,
                "stage": "never created",
            },
        )
    await status.publish(services, row.id, note=f"Removed from the list by <@{user_id}>.")
    return Outcome(True, f"*{row.label}* was never created at the provider; removed it.", row.label)


async def execute(
    services: Services,
    *,
    instance_id: str | uuid.UUID | None,
    team_id: str,
    user_id: str,
    action: str,
    image: str | None = None,
    plan_id: str | None = None,
    root_password: str | None = None,
) -> Outcome:
    """Ask the provider for ``action`` on the team's server, on behalf of ``user_id``.

    Raises :class:`Refusal` (nothing sent to the provider) when the user may not,
    or the request makes no sense; provider failures come back as a failed
    :class:`Outcome` with the row unchanged.
    """
    target = await authorize(services, instance_id, team_id, user_id, action)
    row, provider = target.row, target.provider
    word = action_word(action)
    extra: dict[str, object] = {}
    plan: Plan | None = None
    generated: str | None = None
    if action == "rebuild":
        if not image or len(image) > 150:
            raise Refusal("Choose an image to rebuild with.")
        extra["image"] = image
        if provider.capabilities.rebuild_password:
            if root_password:
                problem = provider.password_error(root_password)
                if problem:
                    raise Refusal(f"The root password {problem}.")
            else:
                root_password = generated = generate_password()
        else:
            root_password = None
    elif action == "resize":
        plan = await resize_plan(services, target, plan_id)
        extra["plan"] = plan.provider_plan_id
    if action == "delete" and not row.provider_instance_id:
        return await _forget(services, target, user_id)
    async with services.db.session() as session, session.begin():
        claimed = await instances.claim_action(
            session, row.id, team_id, {"action": action, "by": user_id, "at": time.time()}
        )
    if not claimed:
        raise Refusal(f"Another request for *{row.label}* is being sent right now.")
    server_id = row.provider_instance_id or ""
    result: ActionResult | None = None
    try:
        if action == "delete":
            try:
                await provider.delete_instance(server_id)
            except NotFoundError:
                log.info("delete of %s: already gone at the provider", row.id)
        else:
            result = await provider.perform_action(
                server_id,
                action,
                image=image if action == "rebuild" else None,
                plan=plan.provider_plan_id if plan else None,
                root_password=root_password,
            )
    except ProviderError as exc:
        async with services.db.session() as session, session.begin():
            await instances.release_action(session, row.id)
        log.warning("%s of %s failed: %r", action, row.id, exc)
        await _audit(services, target, user_id, action, "error", error=exc.as_dict(), **extra)
        return Outcome(False, f"{word} of *{row.label}* failed: {exc.user_message()}", row.label)
    except Exception:
        async with services.db.session() as session, session.begin():
            await instances.release_action(session, row.id)
        log.exception("%s of %s failed unexpectedly", action, row.id)
        await _audit(services, target, user_id, action, "error", error="internal", **extra)
        return Outcome(
            False,
            f"{word} of *{row.label}* could not be sent: something went wrong on "
            "vpsbot's side. Please try again.",
            row.label,
        )
    pending = {
        "id": result.id if result is not None else "",
        "action": action,
        "by": user_id,
        "at": time.time(),
    }
    updates: dict[str, object] = {}
    if action == "rebuild":
        updates["image"] = image
    if plan is not None:
        updates["plan"] = plan.provider_plan_id
    async with services.db.session() as session, session.begin():
        await instances.record_action_request(
            session,
            row.id,
            status=ACTIONS[action].transition,
            pending=pending,
            configuration=updates,
            plan_id=plan.id if plan else None,
        )
        await instances.schedule_watch(session, row.id, delay=2.0)
        await activity.record(
            session,
            event_type=f"vps.{action}",
            status="info",
            team_id=row.team_id,
            user_id=user_id,
            entity_type="vps",
            entity_id=str(row.id),
            metadata={
                "label": row.label,
                "provider": target.provider_row.name,
                "action_id": pending["id"],
                "stage": "requested",
                **extra,
            },
        )
    await status.post_event(
        services, row.id, f"<@{user_id}> requested {word.lower()} of *{row.label}*."
    )
    await status.publish(services, row.id, note=f"{word} requested by <@{user_id}>.")
    where = f" Follow it in <#{row.channel_id}>." if row.channel_id else ""
    return Outcome(True, f"{word} of *{row.label}* requested.{where}", row.label, generated)
