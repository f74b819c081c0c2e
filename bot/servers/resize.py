"""A resize is a spend decision, judged like a create.

The plan's price where the server runs (:func:`price_of`, the one place a
resize is priced: the modal shows it, the check judges it, the row is charged
it) goes through the create's spend check (:func:`bot.spend.guard.check`) on
what it adds to the owner's month: shown at the modal without a lock, enforced
with the workspace's policy row locked in the transaction that claims the action.
A dearer plan above the approval threshold becomes an approval request naming
the server and both prices; the approver's yes sends it through the same claim.
The row keeps its plan and price until the provider confirms the resize (the
watcher, :func:`db.repo.instances.end_resize`); meanwhile the resize counts in
the budget sums.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.blocks import PlanChoice, esc, plan_choice
from bot.core.errors import Refusal
from bot.core.pricing import BackupsUnpriced, plan_price
from bot.core.services import Services
from bot.spend import cost, guard, requests
from db.models import Plan, VpsInstance
from db.repo import plans
from providers.base import Provider
from providers.errors import ProviderError

__all__ = [
    "NeedsApproval",
    "Price",
    "ask_approval",
    "backups_on",
    "choices",
    "current_price",
    "difference",
    "judge",
    "plan_for",
    "price_of",
    "priced",
    "target_of",
]


@dataclass(frozen=True)
class Price:
    """What a server on a plan is charged: marked up, in its region."""

    hourly: Decimal
    monthly: Decimal


def backups_on(row: VpsInstance) -> bool:
    """Whether the server was created with backups (they go on costing after a resize)."""
    return bool((row.configuration or {}).get("backups"))


def price_of(plan: PlanChoice, region: str | None, *, backups: bool = False) -> Price:
    """The price of ``plan`` in ``region``, backups included when on: shown in the resize
    modal, judged by the spend check and charged on the row once the provider confirms.
    It is the create's :func:`bot.core.pricing.plan_price`, so a server costs the same
    whether it was created on a plan or resized to it. Raises
    :class:`~bot.core.pricing.BackupsUnpriced` for backups on a plan without their price."""
    charged = plan_price(plan, region, backups=backups)
    return Price(hourly=charged.hourly, monthly=charged.monthly)


def priced(plans: list[PlanChoice], row: VpsInstance) -> list[PlanChoice]:
    """The plans a server can be resized to at a known price (with its backups, if on)."""
    if not backups_on(row):
        return plans
    return [p for p in plans if p.backups_in(row.region) is not None]


def current_price(row: VpsInstance, plan: PlanChoice | None) -> Price | None:
    """What the server is charged now: the row's price, else its plan's in its region."""
    if row.price_monthly is not None and row.price_hourly is not None:
        return Price(row.price_hourly, row.price_monthly)
    if plan is None:
        return None
    return price_of(plan, row.region, backups=backups_on(row))


def difference(new: Price, old: Price | None) -> str:
    """``+$12.00/mo`` (or ``-$3.00/mo``) from ``old`` to ``new``; empty when unknown."""
    if old is None:
        return ""
    delta = new.monthly - old.monthly
    return f"{'+' if delta >= 0 else '-'}${abs(delta):.2f}/mo"


async def choices(
    services: Services, row: VpsInstance, provider_id: uuid.UUID, provider: Provider | None = None
) -> tuple[list[PlanChoice], PlanChoice | None]:
    """Active plans of the server's provider that can run in its region now (the
    region's own word on sold-out plans when ``provider`` can say, else the plans'
    stored regions; a plan with none runs nowhere), and the current plan."""
    async with services.db.session() as session:
        offered = await plans.list_for_provider(session, provider_id, active_only=True)
        current = await plans.get(session, row.plan_id) if row.plan_id else None
    here = None
    if provider is not None:
        try:
            here = next((r for r in await provider.get_regions() if r.id == row.region), None)
        except ProviderError:
            here = None
    found = [
        choice
        for choice in (plan_choice(p) for p in offered if p.id != row.plan_id)
        if (choice.runs_in(here) if here is not None else row.region in choice.regions)
    ]
    return priced(found, row), plan_choice(current) if current else None


async def plan_for(
    services: Services,
    row: VpsInstance,
    provider_id: uuid.UUID,
    plan_id: str | None,
    provider: Provider | None = None,
) -> Plan:
    """The plan a resize of ``row`` asks for, if its provider offers it where the server
    runs, else :class:`Refusal`."""
    try:
        parsed = uuid.UUID(plan_id or "")
    except ValueError:
        raise Refusal("Choose a plan to resize to.") from None
    async with services.db.session() as session:
        plan = await plans.get(session, parsed)
    if plan is None or plan.provider_id != provider_id or not plan.active:
        raise Refusal("That plan is not offered for this server's provider.")
    if plan.id == row.plan_id:
        raise Refusal(f"*{esc(row.label)}* already runs on {esc(plan.provider_plan_id)}.")
    offered, _ = await choices(services, row, provider_id, provider)
    if str(plan.id) not in {choice.id for choice in offered}:
        where = esc(row.region or "its region")
        raise Refusal(f"{esc(plan.provider_plan_id)} cannot be created in {where} now.")
    return plan


def _usage(row: VpsInstance, old: Price) -> cost.Usage:
    return cost.Usage(
        created_at=row.created_at, deleted_at=None, hourly=old.hourly, monthly=old.monthly
    )


class NeedsApproval(Exception):
    """The resize is over the approval threshold and nobody approved it yet."""

    def __init__(self, verdict: guard.Check) -> None:
        super().__init__("needs approval")
        self.verdict = verdict


async def judge(
    session: AsyncSession,
    row: VpsInstance,
    plan: Plan,
    *,
    lock: bool,
    approved: bool = False,
    now: datetime | None = None,
) -> dict[str, str]:
    """Check a resize of ``row`` to ``plan`` against the owner's and the workspace's
    policy; the resize's target for the in-flight claim. Raises :class:`Refusal`
    (over a budget or the server cap) or :class:`NeedsApproval`."""
    choice = plan_choice(plan)
    try:
        new = price_of(choice, row.region, backups=backups_on(row))
    except BackupsUnpriced:
        raise Refusal(
            f"*{esc(row.label)}* has backups on, and {esc(plan.provider_plan_id)} has no backups "
            "price in its region; pick another plan."
        ) from None
    # a row without a price is summed as costing nothing: the resize adds it all
    old = current_price(row, None) or Price(Decimal(0), Decimal(0))
    verdict = await guard.check(
        session,
        team_id=row.team_id or "",
        user_id=row.created_by or "",
        hourly=new.hourly,
        monthly=new.monthly,
        now=now or datetime.now(UTC),
        lock=lock,
        replacing=_usage(row, old),
    )
    if verdict.refusal is not None:
        raise Refusal(verdict.refusal)
    if verdict.needs_approval and not approved:
        raise NeedsApproval(verdict)
    return target_of(plan, new)


def target_of(plan: Plan, price: Price) -> dict[str, str]:
    """A resize's target as the row keeps it while the provider works."""
    return {
        "plan_id": str(plan.id),
        "plan": plan.provider_plan_id,
        "hourly": str(price.hourly),
        "monthly": str(price.monthly),
    }


async def ask_approval(
    services: Services,
    row: VpsInstance,
    plan: Plan,
    verdict: guard.Check,
    user_id: str,
    channel_id: str | None,
) -> str:
    """Store the resize's approval request, post it to the approvers; what to tell
    the requester."""
    policy = verdict.policy
    label = row.label
    if not policy.approval_channel:
        raise Refusal(
            f"Resizing *{esc(label)}* to {esc(plan.provider_plan_id)} needs approval, but no "
            "approval channel is set; ask a vpsbot admin."
        )
    new = price_of(plan_choice(plan), row.region, backups=backups_on(row))
    old = current_price(row, None)
    now = datetime.now(UTC)
    from_line = f"${old.monthly:.2f}/month" if old is not None else "unknown"
    await requests.ask_about_server(
        services,
        row,
        kind="resize",
        user_id=user_id,
        fields={"plan_id": str(plan.id)},
        lines=[
            ["Now", f"{row.configuration.get('plan') or '?'} at {from_line}"],
            ["Resize to", f"{plan.provider_plan_id} at ${new.monthly:.2f}/month"],
            ["Difference", difference(new, old) or "unknown"],
        ],
        hourly=new.hourly,
        monthly=new.monthly,
        channel=policy.approval_channel,
        expires_at=now + timedelta(hours=policy.approval_ttl_hours),
        requester_channel=channel_id,
        audit={"label": label, "kind": "resize", "monthly": str(new.monthly)},
    )
    return (
        f":raised_hand: Resizing *{esc(label)}* to {esc(plan.provider_plan_id)} "
        f"(${new.monthly:.2f}/month is over ${policy.approval_threshold or 0:,.2f}) needs "
        "approval. The approvers were asked; nothing changes until one says yes."
    )
