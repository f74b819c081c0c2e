"""Queries on ``vps_plans``: provider sizes offered to users, with a markup."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Plan, ServiceProvider

__all__ = [
    "PlanCounts",
    "PlanInput",
    "by_provider_plan_id",
    "counts_by_provider",
    "get",
    "get_for_provider",
    "id_for",
    "list_for_provider",
    "list_offered",
    "regionless",
    "set_active",
    "set_markup",
    "set_region_prices",
    "unpriced",
    "upsert",
]


@dataclass(frozen=True)
class PlanCounts:
    total: int = 0
    active: int = 0


@dataclass(frozen=True)
class PlanInput:
    """One plan to import. ``region_prices`` maps a region id to the provider's
    prices there (``{"monthly": "6.00", "hourly": "0.009"}``) where they differ
    from ``base_price``."""

    provider_plan_id: str
    name: str
    base_price: Decimal
    markup_price: Decimal
    specifications: dict[str, Any]
    region_prices: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the backups add-on's provider prices (``vps_plans.backups_prices``; {} unknown)
    backups_prices: dict[str, Any] = field(default_factory=dict)


async def upsert(
    session: AsyncSession,
    provider_id: uuid.UUID,
    plans: list[PlanInput],
    *,
    update_markup: bool = True,
) -> int:
    """Insert or update plans by (provider, provider_plan_id); never duplicates.

    The same id twice in ``plans`` (a catalogue repeating an item across a page
    boundary) is written once, the last one winning. A plan without a price
    (zero or missing) is stored inactive, so it is never offered at $0.00; see
    :func:`unpriced`. With ``update_markup=False`` existing plans keep the markup
    an admin set; only new plans take the given one.
    """
    unique = list({plan.provider_plan_id: plan for plan in plans}.values())
    if not unique:
        return 0
    statement = insert(Plan).values(
        [
            {
                "provider_id": provider_id,
                "provider_plan_id": plan.provider_plan_id,
                "name": plan.name,
                "base_price": plan.base_price,
                "markup_price": plan.markup_price,
                "specifications": plan.specifications,
                "region_prices": plan.region_prices,
                "backups_prices": plan.backups_prices,
                "active": plan.base_price > 0,
            }
            for plan in unique
        ]
    )
    updates = {
        "name": statement.excluded.name,
        "base_price": statement.excluded.base_price,
        "specifications": statement.excluded.specifications,
        "region_prices": statement.excluded.region_prices,
        "backups_prices": statement.excluded.backups_prices,
        # a plan that lost its price stops being offered; one that has a price
        # keeps whatever an admin chose
        "active": case((statement.excluded.base_price <= 0, False), else_=Plan.active),
        "updated_at": func.now(),
    }
    if update_markup:
        updates["markup_price"] = statement.excluded.markup_price
    statement = statement.on_conflict_do_update(
        constraint="uq_vps_plans_provider_plan", set_=updates
    )
    await session.execute(statement)
    return len(unique)


async def set_region_prices(
    session: AsyncSession,
    provider_id: uuid.UUID,
    prices: dict[str, dict[str, dict[str, str]]],
) -> int:
    """Store each plan's per-region prices (provider plan id → region → prices);
    plans not named are left alone. Returns how many rows changed."""
    changed = 0
    for provider_plan_id, by_region in prices.items():
        result = await session.execute(
            update(Plan)
            .where(Plan.provider_id == provider_id, Plan.provider_plan_id == provider_plan_id)
            .where(Plan.region_prices != by_region)
            .values(region_prices=by_region, updated_at=func.now())
        )
        changed += int(result.rowcount)  # type: ignore[attr-defined]
    return changed


async def unpriced(session: AsyncSession, provider_id: uuid.UUID) -> list[str]:
    """Provider plan ids stored without a price (imported inactive), for telling
    whoever imported them."""
    result = await session.execute(
        select(Plan.provider_plan_id)
        .where(Plan.provider_id == provider_id, Plan.base_price <= 0)
        .order_by(Plan.provider_plan_id)
    )
    return list(result.scalars())


def _runs_somewhere() -> Any:
    """A plan whose ``specifications.regions`` lists at least one region. An empty
    (or missing) list means no region can run it now: it is offered nowhere."""
    regions = Plan.specifications["regions"]
    return (
        case((func.jsonb_typeof(regions) == "array", func.jsonb_array_length(regions)), else_=0) > 0
    )


async def regionless(session: AsyncSession, provider_id: uuid.UUID) -> list[str]:
    """Provider plan ids with a price that no region can run now (so not offered),
    for telling whoever imported them."""
    result = await session.execute(
        select(Plan.provider_plan_id)
        .where(Plan.provider_id == provider_id, Plan.base_price > 0, ~_runs_somewhere())
        .order_by(Plan.provider_plan_id)
    )
    return list(result.scalars())


async def get(session: AsyncSession, plan_id: uuid.UUID) -> Plan | None:
    return await session.get(Plan, plan_id)


async def get_for_provider(
    session: AsyncSession, provider_id: uuid.UUID, plan_id: uuid.UUID
) -> Plan | None:
    """The plan ``plan_id`` if it belongs to ``provider_id`` (ids from Slack are untrusted)."""
    result = await session.execute(
        select(Plan).where(Plan.id == plan_id, Plan.provider_id == provider_id)
    )
    return result.scalar_one_or_none()


async def by_provider_plan_id(
    session: AsyncSession, provider_id: uuid.UUID, provider_plan_id: str
) -> Plan | None:
    """A provider's plan by the provider's own size/type id, if it was imported."""
    result = await session.execute(
        select(Plan).where(
            Plan.provider_id == provider_id, Plan.provider_plan_id == provider_plan_id
        )
    )
    return result.scalar_one_or_none()


async def id_for(
    session: AsyncSession, provider_id: uuid.UUID, provider_plan_id: str
) -> uuid.UUID | None:
    """The ``vps_plans`` id of a provider's size/type, if it was imported."""
    result = await session.execute(
        select(Plan.id).where(
            Plan.provider_id == provider_id, Plan.provider_plan_id == provider_plan_id
        )
    )
    return result.scalar_one_or_none()


async def counts_by_provider(session: AsyncSession) -> dict[uuid.UUID, PlanCounts]:
    """How many plans each provider has, and how many of them are offered."""
    result = await session.execute(
        select(
            Plan.provider_id,
            func.count(),
            func.count().filter(Plan.active.is_(True)),
        ).group_by(Plan.provider_id)
    )
    return {
        provider_id: PlanCounts(total=int(total), active=int(active))
        for provider_id, total, active in result.all()
    }


async def list_for_provider(
    session: AsyncSession, provider_id: uuid.UUID, *, active_only: bool = False
) -> list[Plan]:
    query = select(Plan).where(Plan.provider_id == provider_id)
    if active_only:
        query = query.where(Plan.active.is_(True))
    query = query.order_by(Plan.base_price + Plan.markup_price, Plan.provider_plan_id)
    return list((await session.execute(query)).scalars())


async def list_offered(session: AsyncSession, provider_id: uuid.UUID) -> list[Plan]:
    """Active plans of an active provider that some region can run: what
    `/vps create` may show."""
    query = (
        select(Plan)
        .join(ServiceProvider, ServiceProvider.id == Plan.provider_id)
        .where(
            Plan.provider_id == provider_id,
            Plan.active.is_(True),
            ServiceProvider.active.is_(True),
            _runs_somewhere(),
        )
        .order_by(Plan.base_price + Plan.markup_price, Plan.provider_plan_id)
    )
    return list((await session.execute(query)).scalars())


async def set_markup(
    session: AsyncSession, provider_id: uuid.UUID, provider_plan_id: str, markup: Decimal
) -> bool:
    result = await session.execute(
        update(Plan)
        .where(Plan.provider_id == provider_id, Plan.provider_plan_id == provider_plan_id)
        .values(markup_price=markup, updated_at=func.now())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_active(
    session: AsyncSession, provider_id: uuid.UUID, provider_plan_id: str, active: bool
) -> bool:
    result = await session.execute(
        update(Plan)
        .where(Plan.provider_id == provider_id, Plan.provider_plan_id == provider_plan_id)
        .values(active=active, updated_at=func.now())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
