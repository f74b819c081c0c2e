"""Day-2 server management, acting: power, reboot, rebuild, resize, delete.

Acting on a server goes: permission check → in-flight claim → provider call →
row update and watch → audit → thread reply and status card. A refused or
failed call leaves the row as it was and sends nothing more to the provider.
Instance ids come from untrusted buttons and metadata and are re-checked against
the workspace and user every time (:func:`authorize`).
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.access import can_act_on
from bot.core.actions import ACTIONS, VPSBOT
from bot.core.actions import word as action_word
from bot.core.blocks import esc
from bot.core.errors import Refusal
from bot.core.services import Services
from bot.servers import resize
from bot.status import service as status
from db.models import Plan, ServiceProvider, VpsInstance
from db.repo import activity, instances
from providers.base import Provider
from providers.errors import NotFoundError, ProviderError
from providers.models import ActionResult, Image, InstanceStatus
from providers.passwords import generate_password
from providers.registry import display_name

__all__ = [
    "PENDING_BLOCKS_FOR",
    "Gate",
    "LeaseEnded",
    "Outcome",
    "Target",
    "authorize",
    "execute",
    "images_for",
    "status_at_provider",
]

log = logging.getLogger(__name__)

#: A pending action older than this no longer blocks new ones (the watcher lost it).
PENDING_BLOCKS_FOR = timedelta(minutes=30)

_GONE = "That server does not exist in this workspace."

#: An approved request's exactly-once condition, run in the claim's transaction.
Gate = Callable[[AsyncSession], Awaitable[bool]]


class LeaseEnded(Refusal):
    """Turning on a server whose lease ended; the way out is Extend (its button)."""

    def __init__(self, instance_id: uuid.UUID, message: str) -> None:
        super().__init__(message)
        self.instance_id = instance_id


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
    if known.starts and row.lease_ended_at is not None:
        raise LeaseEnded(
            row.id,
            f"The lease of *{label}* ended, so it stays off. Extend the lease first (the "
            "Extend button, here or on the lease reminder; past the policy's maximum an "
            "approver has to agree), then power it on.",
        )
    pending = row.configuration.get("pending_action")
    if action != "delete" and _pending_blocks(pending):
        word = action_word(str((pending or {}).get("action")))
        raise Refusal(f"{word} of *{label}* is still in progress; try again when it finishes.")
    return Target(row, provider_row, provider)


async def status_at_provider(services: Services, row: VpsInstance) -> InstanceStatus | None:
    """The server's status as its provider reports it now, asked once: None when the
    provider no longer has it (404), UNKNOWN when it cannot tell (no provider, an error).

    For callers that must not repeat an action the provider may already have
    carried out (a lease end run again after its sweeper died).
    """
    if not row.provider_instance_id or row.provider_id is None:
        return InstanceStatus.UNKNOWN
    async with services.db.session() as session:
        provider_row = await session.get(ServiceProvider, row.provider_id)
    if provider_row is None:
        return InstanceStatus.UNKNOWN
    try:
        found = await services.provider_for(provider_row).get_instance(row.provider_instance_id)
    except NotFoundError:
        return None
    except ProviderError as exc:
        log.warning("status of %s at the provider unknown: %r", row.id, exc)
        return InstanceStatus.UNKNOWN
    return found.status


async def images_for(target: Target) -> list[Image]:
    return await target.provider.get_images()


async def _record(
    session: AsyncSession,
    target: Target,
    user_id: str | None,
    action: str,
    result: str,
    **meta: object,
) -> None:
    """The audit row of ``action`` on the target's server, in ``session``."""
    row = target.row
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


async def _audit(
    services: Services,
    target: Target,
    user_id: str | None,
    action: str,
    result: str,
    **meta: object,
) -> None:
    async with services.db.session() as session, session.begin():
        await _record(session, target, user_id, action, result, **meta)


async def _forget(services: Services, target: Target, user_id: str) -> Outcome:
    """Delete a row whose server was never created: nothing to ask the provider."""
    row = target.row
    async with services.db.session() as session, session.begin():
        await instances.mark(session, row.id, status="deleted", watch_next_at=None)
        await _record(session, target, user_id, "delete", "success", stage="never created")
    await status.publish(services, row.id, note=f"Removed from the list by <@{user_id}>.")
    return Outcome(
        True, f"*{esc(row.label)}* was never created at the provider; removed it.", row.label
    )


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
    channel_id: str | None = None,
    approved: bool = False,
    gate: Gate | None = None,
    by_vpsbot: bool = False,
) -> Outcome:
    """Ask the provider for ``action`` on the team's server, on behalf of ``user_id``.

    Raises :class:`Refusal` (nothing sent to the provider) when the user may not,
    or the request makes no sense; provider failures come back as a failed
    :class:`Outcome` with the row unchanged. A resize is a spend decision
    (:mod:`bot.servers.resize`): over the approval threshold and not ``approved``
    it becomes a request to the approvers instead. ``gate`` (an approved request's
    conditional UPDATE) runs first in the claim's transaction; False: nothing is
    done. ``by_vpsbot``: vpsbot itself acts (a lease end), not ``user_id``.
    """
    target = await authorize(services, instance_id, team_id, user_id, action)
    row = target.row
    extra: dict[str, object] = {}
    plan: Plan | None = None
    generated: str | None = None
    if action == "rebuild":
        root_password, generated = _rebuild_password(target, image, root_password)
        extra["image"] = image
    elif action == "resize":
        plan = await resize.plan_for(
            services, row, target.provider_row.id, plan_id, target.provider
        )
        extra["plan"] = plan.provider_plan_id
    if action == "delete" and not row.provider_instance_id:
        return await _forget(services, target, user_id)
    actor = VPSBOT if by_vpsbot else user_id
    try:
        async with services.db.session() as session, session.begin():
            if gate is not None and not await gate(session):
                return Outcome(False, "This request was already decided or has expired.", row.label)
            resizing = (
                await resize.judge(session, row, plan, lock=True, approved=approved)
                if plan is not None
                else None
            )
            claimed = await instances.claim_action(
                session,
                row.id,
                team_id,
                {"action": action, "by": actor, "at": time.time()},
                resizing=resizing,
            )
            if not claimed:
                raise Refusal(f"Another request for *{row.label}* is being sent right now.")
    except resize.NeedsApproval as wait:
        assert plan is not None
        line = await resize.ask_approval(services, row, plan, wait.verdict, user_id, channel_id)
        return Outcome(True, line, row.label)
    outcome = await _send(services, target, actor, action, image, plan, root_password, extra)
    return dataclasses.replace(outcome, password=generated) if outcome.ok else outcome


def _rebuild_password(
    target: Target, image: str | None, root_password: str | None
) -> tuple[str | None, str | None]:
    """(the root password to send, the one generated to show) for a rebuild."""
    if not image or len(image) > 150:
        raise Refusal("Choose an image to rebuild with.")
    if not target.provider.capabilities.rebuild_password:
        return None, None
    if root_password:
        problem = target.provider.password_error(root_password)
        if problem:
            raise Refusal(f"The root password {problem}.")
        return root_password, None
    generated = generate_password()
    return generated, generated


def _who(actor: str) -> str:
    return "vpsbot" if actor == VPSBOT else f"<@{actor}>"


async def _send(
    services: Services,
    target: Target,
    actor: str,
    action: str,
    image: str | None,
    plan: Plan | None,
    root_password: str | None,
    extra: dict[str, object],
) -> Outcome:
    """The claimed action to the provider, then the row, the watch, the audit and
    the thread; a failure releases the claim and leaves the row as it was."""
    row, provider, word = target.row, target.provider, action_word(action)
    user_id = None if actor == VPSBOT else actor
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
        failed = f"{word} of *{esc(row.label)}* failed: {esc(exc.user_message())}"
        return Outcome(False, failed, row.label)
    except Exception:
        async with services.db.session() as session, session.begin():
            await instances.release_action(session, row.id)
        log.exception("%s of %s failed unexpectedly", action, row.id)
        await _audit(services, target, user_id, action, "error", error="internal", **extra)
        return Outcome(
            False,
            f"{word} of *{esc(row.label)}* could not be sent: something went wrong on "
            "vpsbot's side. Please try again.",
            row.label,
        )
    pending = {
        "id": result.id if result is not None else "",
        "action": action,
        "by": actor,
        "at": time.time(),
    }
    async with services.db.session() as session, session.begin():
        # a resize's plan and price change when the provider confirms (the watcher)
        await instances.record_action_request(
            session,
            row.id,
            status=ACTIONS[action].transition,
            pending=pending,
            configuration={"image": image} if action == "rebuild" else {},
        )
        await instances.schedule_watch(session, row.id, delay=2.0)
        await _record(
            session,
            target,
            user_id,
            action,
            "info",
            action_id=pending["id"],
            stage="requested",
            **extra,
        )
    await status.post_event(
        services, row.id, f"{_who(actor)} requested {word.lower()} of *{esc(row.label)}*."
    )
    await status.publish(services, row.id, note=f"{word} requested by {_who(actor)}.")
    where = f" Follow it in <#{row.channel_id}>." if row.channel_id else ""
    return Outcome(True, f"{word} of *{esc(row.label)}* requested.{where}", row.label)
