"""Claiming a create, exactly once: the draft, the spend policy and the row, together.

The instance row (status provisioning, unique tag) is written in the same
transaction that claims the draft, so a double click, a Slack retry or a second
replica finds the draft claimed and creates nothing; the spend policy is checked
again in that transaction, with the workspace's policy row locked, so two
members racing for the last of a budget cannot both pass.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.pricing import BackupsUnpriced, Price, plan_price
from bot.core.services import Services
from bot.core.tags import instance_tag
from bot.create import channels
from bot.create.draft import Draft
from bot.create.frame import StepData
from bot.create.review import software_shown
from bot.spend import guard
from bot.spend.policy import lease_for
from db.models import ServiceProvider
from db.repo import activity, drafts, instances

__all__ = ["CREATIONS", "PROVIDER_CHOICES", "Claim", "claim"]

CREATIONS = Counter(
    "vpsbot_creations_total", "Server creations by provider and result", ["provider", "result"]
)
PROVIDER_CHOICES = Counter(
    "vpsbot_provider_choice_total", "Providers picked in step 1 of /vps create", ["provider"]
)


@dataclass
class Claim:
    instance_id: uuid.UUID
    tag: str
    draft: Draft
    channel_id: str | None


def _now() -> datetime:
    return datetime.now(UTC)


async def claim(
    services: Services,
    *,
    view_id: str,
    data: StepData,
    row: ServiceProvider,
    team_id: str,
    user_id: str,
    channel_id: str | None,
    approved: bool = False,
    clock: Callable[[], datetime] = _now,
    gate: Callable[[AsyncSession], Awaitable[bool]] | None = None,
) -> Claim | None:
    """Claim the draft and write the pending instance row; None for a repeat submission.

    The spend policy is enforced here, in the claim's transaction, with the
    workspace's policy row locked (see :mod:`bot.spend.guard`): a create the
    budget or server cap no longer allows, or one that needs approval it does not
    have (``approved``), raises :class:`~bot.spend.guard.SpendRefused` and
    nothing is claimed.

    ``gate`` replaces the draft's claim as the exactly-once condition (an approved
    request's conditional UPDATE): it runs first in the same transaction, and
    False means another caller got there first.
    """
    draft = data.draft
    instance_id = uuid.uuid4()
    price = _price(data)
    now = clock()
    async with services.db.session() as session, session.begin():
        if gate is not None:
            if not await gate(session):
                return None
        elif await drafts.claim_for_create(session, view_id, instance_id) is None:
            return None
        verdict = await guard.check(
            session,
            team_id=team_id,
            user_id=user_id,
            hourly=price.hourly,
            monthly=price.monthly,
            now=now,
            lock=True,
        )
        _enforce(verdict, channel_id, approved=approved)
        lease = lease_for(verdict.policy, draft.lease_hours, no_expiry=draft.no_expiry)
        pending = _Pending(instance_id, data, row, team_id, user_id, price, now)
        await _write_pending(
            session,
            pending,
            channel_id=services.settings.vpsbot_notify_channel or channel_id,
            expires_at=now + timedelta(hours=lease) if lease else None,
        )
    CREATIONS.labels(row.type, "started").inc()
    return Claim(instance_id, pending.tag, draft, channel_id)


def _price(data: StepData) -> Price:
    """What is charged: the price where the server runs, with the options chosen."""
    plan, draft = data.plan, data.draft
    try:
        return (
            plan_price(plan, draft.region, backups=draft.backups)
            if plan
            else Price(Decimal(0), Decimal(0))
        )
    except BackupsUnpriced as exc:
        raise guard.SpendRefused(exc.message, field="review") from None


def _enforce(verdict: guard.Check, channel_id: str | None, *, approved: bool) -> None:
    """Raise :class:`~bot.spend.guard.SpendRefused` unless the policy allows the create now."""
    if verdict.refusal is not None:
        raise guard.SpendRefused(verdict.refusal, field="review")
    if (elsewhere := channels.refusal(verdict.policy.create_channels, channel_id)) is not None:
        raise guard.SpendRefused(elsewhere, field="review")  # the policy changed meanwhile
    if verdict.needs_approval and not approved:
        raise guard.SpendRefused(
            "This server needs an approver's yes first; submit it again to ask for one.",
            field="review",
        )


@dataclass(frozen=True)
class _Pending:
    """The claimed server as the row and the audit log record it."""

    instance_id: uuid.UUID
    data: StepData
    row: ServiceProvider
    team_id: str
    user_id: str
    price: Price
    now: datetime

    @property
    def tag(self) -> str:
        return instance_tag(self.instance_id)


async def _write_pending(
    session: AsyncSession, pending: _Pending, *, channel_id: str | None, expires_at: datetime | None
) -> None:
    """The instance row (status provisioning, its unique tag) and the audit entry."""
    draft, plan, row = pending.data.draft, pending.data.plan, pending.row
    created = await instances.create_pending(
        session,
        instance_id=pending.instance_id,
        team_id=pending.team_id,
        created_by=pending.user_id,
        label=draft.label,
        provider_id=row.id,
        provider_type=row.type,
        plan_id=uuid.UUID(plan.id) if plan else None,
        region=draft.region or "",
        tag=pending.tag,
        channel_id=channel_id,
        configuration={
            "plan": plan.provider_plan_id if plan else None,
            "image": draft.image,
            "deployment_id": draft.deployment_id,
            # what the card and details show without asking the provider again
            "software": software_shown(pending.data),
            "backups": draft.backups,
            "backups_monthly": str(pending.price.backups_monthly),
            "options": draft.options,
            "ssh_keys": len(draft.ssh_key_ids),
        },
    )
    created.created_at = pending.now  # billing starts at the claim, by the same clock
    created.price_hourly = pending.price.hourly
    created.price_monthly = pending.price.monthly
    created.expires_at = expires_at
    await activity.record(
        session,
        event_type="vps.create",
        status="info",
        team_id=pending.team_id,
        user_id=pending.user_id,
        entity_type="vps",
        entity_id=str(pending.instance_id),
        metadata={
            "label": draft.label,
            "provider": row.name,
            "plan": plan.provider_plan_id if plan else None,
            "region": draft.region,
            "stage": "requested",
        },
    )
