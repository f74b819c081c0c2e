"""Deciding approval requests and expiring requests nobody decided.

A decision is the conditional UPDATE of :func:`db.repo.approvals.decide`: only
a pending, unexpired request moves, and only for someone other than its
requester. An approved create makes that UPDATE the claim's gate, in the same
transaction as the instance row (:func:`bot.create.service.claim`), so double
clicks, two approvers at once, two replicas and Slack retries create one server;
and the spend policy is enforced once more there (a budget spent meanwhile
leaves the request pending and tells the approver why). A denied or expired
request never reaches a provider.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import access
from bot.core.blocks import date, esc
from bot.core.errors import Refusal
from bot.core.services import Services
from bot.core.slack import slack_error, tell
from bot.create import catalog
from bot.create import service as create
from bot.create.draft import Draft
from bot.servers import operations
from bot.spend import requests
from bot.spend.guard import SpendRefused
from bot.spend.policy import Policy, effective
from bot.status import service as status
from db.models import ApprovalRequest, VpsInstance
from db.repo import activity, approvals, leases, spend

__all__ = [
    "Decision",
    "approve",
    "deny",
    "expire_requests",
    "is_approver",
]

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Decision:
    """What the person who clicked is told (ephemerally)."""

    message: str
    request: ApprovalRequest | None = None


async def _policy(services: Services, team_id: str) -> Policy:
    async with services.db.session() as session:
        row = await spend.get_policy(session, team_id)
    return effective(row, None)


async def is_approver(services: Services, team_id: str, policy: Policy, user_id: str) -> bool:
    """Whether ``user_id`` may decide ``team_id``'s requests under ``policy``
    (:func:`bot.core.access.is_approver`: named, in the group, or else an admin)."""
    return await access.is_approver(
        services,
        team_id,
        user_id,
        approver_ids=policy.approver_ids,
        approver_group=policy.approver_group,
    )


async def _load(services: Services, request_id: str, team_id: str) -> ApprovalRequest:
    try:
        parsed = uuid.UUID(request_id)
    except ValueError:
        raise Refusal("That request does not exist.") from None
    async with services.db.session() as session:
        row = await approvals.get(session, parsed)
    if row is None or row.team_id != team_id:
        raise Refusal("That request does not exist.")
    return row


async def _may_decide(services: Services, row: ApprovalRequest, user_id: str) -> None:
    if row.requested_by == user_id:
        raise Refusal("You cannot decide your own request; another approver has to.")
    policy = await _policy(services, row.team_id)
    if not await is_approver(services, row.team_id, policy, user_id):
        raise Refusal("Only the workspace's approvers can decide requests.")
    if row.status != "pending":
        raise Refusal(f"This request was already {row.status}.")


async def _announce(
    services: Services, row: ApprovalRequest, line: str, by: str | None = None
) -> None:
    """The decision on the request's message, in its thread, and to the requester
    (and to the services' decided hooks)."""
    await requests.decided(services, row, by)
    client = await services.slack_for(row.team_id)
    if client is None:
        log.warning("approval %s not announced: %s is not installed", row.id, row.team_id)
        return
    if row.channel_id and row.message_ts:
        try:
            await client.chat_update(
                channel=row.channel_id,
                ts=row.message_ts,
                text=line,
                blocks=requests.request_blocks(row, decided=line),
            )
            await client.chat_postMessage(
                channel=row.channel_id, thread_ts=row.message_ts, text=line
            )
        except SlackApiError as exc:
            log.warning("approval %s not updated: %s", row.id, slack_error(exc))
    await tell(client, row.requester_channel, row.requested_by, line)


async def _audit(services: Services, row: ApprovalRequest, user_id: str | None, what: str) -> None:
    async with services.db.session() as session, session.begin():
        await activity.record(
            session,
            event_type=f"approval.{what}",
            status="info",
            team_id=row.team_id,
            user_id=user_id,
            entity_type="approval",
            entity_id=str(row.id),
            metadata={"kind": row.kind, "requested_by": row.requested_by},
        )


def _nothing(row: ApprovalRequest) -> str:
    return "nothing was changed" if row.kind == "resize" else "nothing was created"


def _label(row: ApprovalRequest) -> str:
    return str(row.summary.get("label") or row.summary.get("draft", {}).get("label") or "server")


async def deny(
    services: Services, request_id: str, team_id: str, user_id: str, *, now: datetime | None = None
) -> Decision:
    row = await _load(services, request_id, team_id)
    await _may_decide(services, row, user_id)
    async with services.db.session() as session, session.begin():
        decided = await approvals.decide(
            session, row.id, team_id=team_id, status="denied", by=user_id, now=now or _now()
        )
    if decided is None:
        return Decision("This request was already decided or has expired.")
    await _audit(services, decided, user_id, "denied")
    await _announce(
        services,
        decided,
        f":no_entry: <@{user_id}> denied *{esc(_label(decided))}*; {_nothing(decided)}.",
        user_id,
    )
    return Decision(f"Denied *{esc(_label(decided))}*.", decided)


async def approve(
    services: Services, request_id: str, team_id: str, user_id: str, *, now: datetime | None = None
) -> Decision:
    """Approve: a create is claimed (exactly once) and sent, a resize sent, a lease extended."""
    when = now or _now()
    row = await _load(services, request_id, team_id)
    await _may_decide(services, row, user_id)
    kinds = {"extend": _approve_extension, "resize": _approve_resize}
    return await kinds.get(row.kind, _approve_create)(services, row, user_id, when)


@dataclass
class _Gate:
    """The approval as the claim's gate: the request is decided in the claim's own
    transaction, so only one approver's claim goes on; ``won`` says whether it was
    this one."""

    row: ApprovalRequest
    user_id: str
    now: datetime
    won: bool = False

    async def __call__(self, session: AsyncSession) -> bool:
        decided = await approvals.decide(
            session,
            self.row.id,
            team_id=self.row.team_id,
            status="approved",
            by=self.user_id,
            now=self.now,
        )
        self.won = decided is not None
        return self.won


async def _approve_create(
    services: Services, row: ApprovalRequest, user_id: str, when: datetime
) -> Decision:
    """Claim the server the draft describes, with the request's decision as the
    claim's gate (exactly once) and the spend policy checked again; then create it."""
    team_id = row.team_id
    draft = Draft.model_validate(row.summary.get("draft") or {})
    data, provider_row, provider = await catalog.gather(services, draft, "review", team_id=team_id)
    if (
        provider_row is None
        or provider is None
        or str(provider_row.id) != row.summary.get("provider_id")
        or data.plan is None
    ):
        return Decision(
            "This server cannot be created as requested any more (its provider or plan is "
            "no longer offered); deny it and ask for a new one."
        )
    try:
        claim = await create.claim(
            services,
            view_id="",
            data=data,
            row=provider_row,
            team_id=team_id,
            user_id=row.requested_by,
            channel_id=row.requester_channel,
            approved=True,
            clock=lambda: when,
            gate=_Gate(row, user_id, when),
        )
    except SpendRefused as exc:
        return Decision(f"Not approved yet: {exc.message}")
    if claim is None:
        return Decision("This request was already decided or has expired.")
    row.status, row.decided_by = "approved", user_id
    await _audit(services, row, user_id, "approved")
    await _announce(
        services,
        row,
        f":white_check_mark: <@{user_id}> approved *{esc(draft.label)}*; it is being created for "
        f"<@{row.requested_by}>, whose generated root password is shown to them once.",
        user_id,
    )
    await create.run_creation(
        services,
        claim=claim,
        view_id="",
        data=data,
        row=provider_row,
        provider=provider,
        team_id=team_id,
        user_id=row.requested_by,
    )
    async with services.db.session() as session:
        created = await session.get(VpsInstance, claim.instance_id)
    if created is None:  # the provider refused: the claim was undone, nothing exists
        provider_name = esc(provider_row.name)
        line = (
            f":x: *{esc(draft.label)}* was approved but {provider_name} refused to create it; "
            "nothing was created. Ask again with other choices."
        )
        await _announce(services, row, line, user_id)
        return Decision(f"Approved, but {provider_name} refused to create *{esc(draft.label)}*.")
    return Decision(f"Approved *{esc(draft.label)}*.", row)


async def _approve_resize(
    services: Services, row: ApprovalRequest, user_id: str, now: datetime
) -> Decision:
    """Send the resize as its requester asked it, with the request's decision as
    the claim's gate (exactly once) and the spend policy checked again under the
    policy lock: a budget spent meanwhile leaves the request pending."""
    gate = _Gate(row, user_id, now)
    try:
        outcome = await operations.execute(
            services,
            instance_id=row.instance_id,
            team_id=row.team_id,
            user_id=row.requested_by,
            action="resize",
            plan_id=str(row.summary.get("plan_id") or ""),
            channel_id=row.requester_channel,
            approved=True,
            gate=gate,
        )
    except Refusal as exc:
        return Decision(f"Not approved yet: {exc.message}")
    if not gate.won:
        return Decision("This request was already decided or has expired.")
    row.status, row.decided_by = "approved", user_id
    await _audit(services, row, user_id, "approved")
    label = esc(_label(row))
    line = (
        f":white_check_mark: <@{user_id}> approved the resize of *{label}*. {outcome.message}"
        if outcome.ok
        else f":x: <@{user_id}> approved the resize of *{label}*, but it failed: {outcome.message}"
    )
    await _announce(services, row, line, user_id)
    if not outcome.ok:
        return Decision(f"Approved, but the resize of *{label}* failed: {outcome.message}", row)
    return Decision(f"Approved the resize of *{label}*.", row)


async def _approve_extension(
    services: Services, row: ApprovalRequest, user_id: str, now: datetime
) -> Decision:
    until = datetime.fromisoformat(str(row.summary.get("until")))
    async with services.db.session() as session, session.begin():
        decided = await approvals.decide(
            session, row.id, team_id=row.team_id, status="approved", by=user_id, now=now
        )
        if decided is None:
            return Decision("This request was already decided or has expired.")
        extended = (
            await leases.extend(session, row.instance_id, row.team_id, until)
            if row.instance_id
            else None
        )
    if extended is None:
        return Decision("Approved, but the server is gone or its lease is ending right now.")
    await _audit(services, decided, user_id, "approved")
    line = f":white_check_mark: <@{user_id}> extended *{esc(extended.label)}* until {date(until)}."
    await _announce(services, decided, line, user_id)
    await status.post_event(services, extended.id, line)
    return Decision(f"Extended *{esc(extended.label)}*.", decided)


async def expire_requests(services: Services, *, now: datetime | None = None) -> int:
    """Expire the pending requests past their time (once across replicas) and tell
    the requesters; returns how many this caller expired."""
    async with services.db.session() as session, session.begin():
        expired = list(await approvals.expire_due(session, now or _now()))
    for row in expired:
        await _audit(services, row, None, "expired")
        await _announce(
            services,
            row,
            f":hourglass: The request for *{esc(_label(row))}* expired before anyone decided; "
            f"{_nothing(row)}. Ask again if it is still needed.",
        )
    return len(expired)
