"""Spend policy rows and the month's spend, summed in SQL for the claim-time check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Numeric, func, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MemberPolicy, ServiceProvider, SpendTotal, VpsInstance, WorkspacePolicy

__all__ = [
    "RESIZING",
    "Standing",
    "TotalCheck",
    "UsageRow",
    "check_totals",
    "get_member",
    "get_policy",
    "lock_policy",
    "owned",
    "pending_resizes",
    "save_member",
    "save_policy",
    "standing",
    "usages",
    "workspace_projected",
]


async def get_policy(session: AsyncSession, team_id: str) -> WorkspacePolicy | None:
    return await session.get(WorkspacePolicy, team_id)


async def lock_policy(
    session: AsyncSession, team_id: str, defaults: dict[str, Any]
) -> WorkspacePolicy:
    """The workspace's policy row, locked until the transaction ends (created with
    ``defaults`` if missing): claims in one workspace wait for each other here."""
    query = (
        select(WorkspacePolicy)
        .where(WorkspacePolicy.team_id == team_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = (await session.execute(query)).scalar_one_or_none()
    if found is not None:
        return found
    await session.execute(
        insert(WorkspacePolicy).values(team_id=team_id, **defaults).on_conflict_do_nothing()
    )
    return (await session.execute(query)).scalar_one()


async def save_policy(
    session: AsyncSession, team_id: str, values: dict[str, Any], updated_by: str
) -> WorkspacePolicy:
    """Write the policy's fields in ``values`` (insert or update), return the row."""
    statement = (
        insert(WorkspacePolicy)
        .values(team_id=team_id, updated_by=updated_by, **values)
        .on_conflict_do_update(
            index_elements=[WorkspacePolicy.team_id],
            set_={**values, "updated_by": updated_by, "updated_at": func.now()},
        )
        .returning(WorkspacePolicy)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one()


async def get_member(session: AsyncSession, team_id: str, user_id: str) -> MemberPolicy | None:
    return await session.get(MemberPolicy, (team_id, user_id))


async def save_member(
    session: AsyncSession,
    team_id: str,
    user_id: str,
    *,
    monthly_budget: Decimal | None,
    max_servers: int | None,
    updated_by: str,
) -> None:
    """Set (or, with both None, drop) one member's overrides."""
    if monthly_budget is None and max_servers is None:
        row = await get_member(session, team_id, user_id)
        if row is not None:
            await session.delete(row)
        return
    values = {"monthly_budget": monthly_budget, "max_servers": max_servers}
    await session.execute(
        insert(MemberPolicy)
        .values(team_id=team_id, user_id=user_id, updated_by=updated_by, **values)
        .on_conflict_do_update(
            index_elements=[MemberPolicy.team_id, MemberPolicy.user_id],
            set_={**values, "updated_by": updated_by, "updated_at": func.now()},
        )
    )


def _charge(month_start: datetime, month_end: datetime) -> ColumnElement[Decimal]:
    """One server's projected charge this month: ``vps_month_charge`` (migration
    0009), the SQL twin of :mod:`bot.spend.cost` (a test holds them equal)."""
    return func.vps_month_charge(
        VpsInstance.created_at,
        VpsInstance.deleted_at,
        VpsInstance.price_hourly,
        VpsInstance.price_monthly,
        literal(month_start),
        literal(month_end),
        type_=Numeric(14, 2),
    )


def _this_month(team_id: str, month_start: datetime, month_end: datetime) -> list[Any]:
    return [
        VpsInstance.team_id == team_id,
        VpsInstance.created_at < month_end,
        (VpsInstance.deleted_at.is_(None)) | (VpsInstance.deleted_at > month_start),
    ]


@dataclass(frozen=True)
class Standing:
    """Where a member and their workspace stand this month, before a new server."""

    member_projected: Decimal
    workspace_projected: Decimal
    member_servers: int
    #: the member's own overrides (None: the workspace default applies)
    member_budget: Decimal | None = None
    member_max_servers: int | None = None


async def workspace_projected(
    session: AsyncSession,
    team_id: str,
    month_start: datetime,
    month_end: datetime,
    *,
    keep: bool = False,
) -> Decimal:
    """The workspace's projected spend this month: its ``spend_totals`` row (kept
    by a trigger), else the full sum — stored as the row when ``keep`` (call it so
    only under the policy row lock, where claims cannot add servers meanwhile)."""
    found = (
        await session.execute(
            select(SpendTotal.projected).where(
                SpendTotal.team_id == team_id, SpendTotal.month_start == month_start
            )
        )
    ).scalar_one_or_none()
    if found is not None:
        return Decimal(found)
    full = (
        select(func.coalesce(func.sum(_charge(month_start, month_end)), 0))
        .where(*_this_month(team_id, month_start, month_end))
        .scalar_subquery()
    )
    if not keep:
        return Decimal((await session.execute(select(full))).scalar_one())
    stored = await session.execute(
        insert(SpendTotal)
        .values(team_id=team_id, month_start=month_start, month_end=month_end, projected=full)
        .on_conflict_do_nothing()
        .returning(SpendTotal.projected)
    )
    value = stored.scalar_one_or_none()
    if value is None:  # another caller made it first
        return await workspace_projected(session, team_id, month_start, month_end)
    return Decimal(value)


async def standing(
    session: AsyncSession,
    team_id: str,
    user_id: str,
    month_start: datetime,
    month_end: datetime,
    *,
    keep: bool = False,
) -> Standing:
    """Projected month spend of the member (their servers, over the spend index)
    and of the workspace (its ``spend_totals`` row), the member's live servers and
    overrides: one round trip (two the first time in a month)."""
    charge = _charge(month_start, month_end)
    mine = (
        select(
            func.coalesce(func.sum(charge), 0).label("projected"),
            func.count().filter(VpsInstance.deleted_at.is_(None)).label("servers"),
        )
        .where(*_this_month(team_id, month_start, month_end), VpsInstance.created_by == user_id)
        .subquery()
    )
    total = (
        select(SpendTotal.projected)
        .where(SpendTotal.team_id == team_id, SpendTotal.month_start == month_start)
        .scalar_subquery()
    )
    override = select(MemberPolicy).where(
        MemberPolicy.team_id == team_id, MemberPolicy.user_id == user_id
    )
    budget = override.with_only_columns(MemberPolicy.monthly_budget).scalar_subquery()
    most = override.with_only_columns(MemberPolicy.max_servers).scalar_subquery()
    query = select(mine.c.projected, mine.c.servers, total, budget, most)
    member, servers, workspace, member_budget, member_max = (await session.execute(query)).one()
    if workspace is None:
        workspace = await workspace_projected(session, team_id, month_start, month_end, keep=keep)
    return Standing(
        Decimal(member),
        Decimal(workspace),
        int(servers),
        Decimal(member_budget) if member_budget is not None else None,
        member_max,
    )


#: ``configuration`` key of a resize sent and not yet confirmed by the provider:
#: ``{"plan_id", "plan", "hourly", "monthly"}`` (the plan and prices it moves to).
RESIZING = "resizing"


async def pending_resizes(
    session: AsyncSession,
    team_id: str,
    user_id: str,
    month_start: datetime,
    month_end: datetime,
) -> tuple[Decimal, Decimal]:
    """What the resizes still waiting for their provider will add to this month's
    projection, (the member's, the workspace's): the rows keep their old price
    until the provider confirms, but the budget they will need is spoken for. A
    smaller plan counts as nothing until it is done."""
    target = type_coerce(VpsInstance.configuration, JSONB)[RESIZING]
    resized = func.vps_month_charge(
        VpsInstance.created_at,
        VpsInstance.deleted_at,
        target["hourly"].astext.cast(Numeric),
        target["monthly"].astext.cast(Numeric),
        literal(month_start),
        literal(month_end),
        type_=Numeric(14, 2),
    )
    more = func.greatest(resized - _charge(month_start, month_end), 0)
    query = select(
        func.coalesce(func.sum(more).filter(VpsInstance.created_by == user_id), 0),
        func.coalesce(func.sum(more), 0),
    ).where(
        *_this_month(team_id, month_start, month_end),
        VpsInstance.deleted_at.is_(None),
        type_coerce(VpsInstance.configuration, JSONB).has_key(RESIZING),
    )
    member, workspace = (await session.execute(query)).one()
    return Decimal(member), Decimal(workspace)


@dataclass(frozen=True)
class UsageRow:
    created_at: datetime
    deleted_at: datetime | None
    hourly: Decimal
    monthly: Decimal
    user_id: str
    provider: str


async def usages(
    session: AsyncSession,
    team_id: str,
    month_start: datetime,
    month_end: datetime,
    *,
    user_id: str | None = None,
) -> list[UsageRow]:
    """The servers that cost something in the month, with their prices and provider."""
    conditions = _this_month(team_id, month_start, month_end)
    if user_id is not None:
        conditions.append(VpsInstance.created_by == user_id)
    query = (
        select(
            VpsInstance.created_at,
            VpsInstance.deleted_at,
            VpsInstance.price_hourly,
            VpsInstance.price_monthly,
            VpsInstance.created_by,
            func.coalesce(ServiceProvider.name, VpsInstance.provider_type),
        )
        .outerjoin(ServiceProvider, ServiceProvider.id == VpsInstance.provider_id)
        .where(*conditions)
    )
    return [
        UsageRow(c, d, h or Decimal(0), m or Decimal(0), u or "", p or "")
        for c, d, h, m, u, p in await session.execute(query)
    ]


async def owned(
    session: AsyncSession, team_id: str, user_id: str, *, limit: int
) -> tuple[list[tuple[VpsInstance, str]], int]:
    """A member's live servers, newest first (at most ``limit``, with the provider's
    name), and how many they have in all."""
    where = [
        VpsInstance.team_id == team_id,
        VpsInstance.created_by == user_id,
        VpsInstance.deleted_at.is_(None),
    ]
    total = int(
        (
            await session.execute(select(func.count()).select_from(VpsInstance).where(*where))
        ).scalar_one()
    )
    query = (
        select(VpsInstance, func.coalesce(ServiceProvider.name, VpsInstance.provider_type))
        .outerjoin(ServiceProvider, ServiceProvider.id == VpsInstance.provider_id)
        .where(*where)
        .order_by(VpsInstance.created_at.desc(), VpsInstance.id.desc())
        .limit(limit)
    )
    return [(row, str(name)) for row, name in await session.execute(query)], total


@dataclass(frozen=True)
class TotalCheck:
    """One kept ``spend_totals`` row against the sum of its servers' charges."""

    team_id: str
    month_start: datetime
    stored: Decimal
    recomputed: Decimal

    @property
    def matches(self) -> bool:
        return self.stored == self.recomputed


async def check_totals(session: AsyncSession, team_id: str | None = None) -> list[TotalCheck]:
    """Every kept total (of ``team_id``, or of all workspaces) next to the total
    recomputed from the charges (``vps_month_charge`` of each server that cost
    something that month), by workspace and month: what the trigger should hold."""
    charge = func.vps_month_charge(
        VpsInstance.created_at,
        VpsInstance.deleted_at,
        VpsInstance.price_hourly,
        VpsInstance.price_monthly,
        SpendTotal.month_start,
        SpendTotal.month_end,
        type_=Numeric(14, 2),
    )
    recomputed = (
        select(func.coalesce(func.sum(charge), 0))
        .where(
            VpsInstance.team_id == SpendTotal.team_id,
            VpsInstance.created_at < SpendTotal.month_end,
            VpsInstance.deleted_at.is_(None) | (VpsInstance.deleted_at > SpendTotal.month_start),
        )
        .correlate(SpendTotal)
        .scalar_subquery()
    )
    query = select(
        SpendTotal.team_id, SpendTotal.month_start, SpendTotal.projected, recomputed
    ).order_by(SpendTotal.team_id, SpendTotal.month_start)
    if team_id is not None:
        query = query.where(SpendTotal.team_id == team_id)
    return [
        TotalCheck(team, start, Decimal(stored), Decimal(again))
        for team, start, stored, again in await session.execute(query)
    ]
