"""Queries on ``vps_instances``: ownership-checked reads and watcher leasing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from db.metrics import WATCHER_LAG_SECONDS
from db.models import Plan, ServiceProvider, VpsInstance
from db.repo.spend import RESIZING

__all__ = [
    "ACTIVE_STATUSES",
    "RESIZING",
    "ListFilter",
    "Listed",
    "claim_action",
    "claim_card",
    "create_pending",
    "end_resize",
    "get",
    "get_for_team",
    "get_listed",
    "labels_starting",
    "lease_due",
    "list_for_team",
    "mark",
    "mark_card",
    "merged_configuration",
    "record_action_request",
    "release_action",
    "schedule_watch",
    "tagged_missing",
    "without_pending_action",
]

#: Statuses the watcher follows until they settle.
ACTIVE_STATUSES = ("provisioning", "rebooting", "deleting", "pending")


async def create_pending(
    session: AsyncSession,
    *,
    instance_id: uuid.UUID,
    team_id: str,
    created_by: str,
    label: str,
    provider_id: uuid.UUID,
    provider_type: str,
    plan_id: uuid.UUID | None,
    region: str,
    tag: str,
    channel_id: str | None,
    configuration: dict[str, Any],
) -> VpsInstance:
    """The row written before the provider is called: status provisioning, unique tag."""
    row = VpsInstance(
        id=instance_id,
        team_id=team_id,
        created_by=created_by,
        label=label,
        status="provisioning",
        provider_id=provider_id,
        provider_type=provider_type,
        plan_id=plan_id,
        region=region,
        tag=tag,
        channel_id=channel_id,
        configuration=configuration,
        watch_next_at=func.now() + timedelta(seconds=5),
    )
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, instance_id: uuid.UUID) -> VpsInstance | None:
    return await session.get(VpsInstance, instance_id)


async def get_for_team(
    session: AsyncSession, instance_id: uuid.UUID, team_id: str, *, lock: bool = False
) -> VpsInstance | None:
    """The instance only if it belongs to ``team_id`` — the ownership check."""
    query = select(VpsInstance).where(VpsInstance.id == instance_id, VpsInstance.team_id == team_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def by_label(session: AsyncSession, team_id: str, label: str) -> list[VpsInstance]:
    query = (
        select(VpsInstance)
        .where(
            VpsInstance.team_id == team_id,
            func.lower(VpsInstance.label) == label.lower(),
            VpsInstance.status != "deleted",
        )
        .order_by(VpsInstance.created_at.desc())
    )
    return list((await session.execute(query)).scalars())


@dataclass(frozen=True)
class ListFilter:
    provider_type: str | None = None
    status: str | None = None
    text: str | None = None
    include_deleted: bool = False


@dataclass(frozen=True)
class Listed:
    instance: VpsInstance
    provider_name: str | None
    plan: Plan | None


async def list_for_team(
    session: AsyncSession,
    team_id: str,
    filters: ListFilter = ListFilter(),
    *,
    limit: int = 10,
    offset: int = 0,
) -> tuple[list[Listed], int]:
    """One page of the team's servers, newest first, and the total that match."""
    conditions = [VpsInstance.team_id == team_id]
    if filters.provider_type:
        conditions.append(
            func.coalesce(VpsInstance.provider_type, "linode") == filters.provider_type
        )
    if filters.status:
        conditions.append(VpsInstance.status == filters.status)
    elif not filters.include_deleted:
        conditions.append(VpsInstance.status != "deleted")
    if filters.text:
        escaped = filters.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(VpsInstance.label.ilike(f"%{escaped}%", escape="\\"))
    where = and_(*conditions)
    total = int(
        (
            await session.execute(select(func.count()).select_from(VpsInstance).where(where))
        ).scalar_one()
    )
    query = (
        select(VpsInstance, ServiceProvider.name, Plan)
        .outerjoin(ServiceProvider, ServiceProvider.id == VpsInstance.provider_id)
        .outerjoin(Plan, Plan.id == VpsInstance.plan_id)
        .where(where)
        .order_by(VpsInstance.created_at.desc(), VpsInstance.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = [Listed(inst, name, plan) for inst, name, plan in await session.execute(query)]
    return rows, total


async def get_listed(session: AsyncSession, instance_id: uuid.UUID, team_id: str) -> Listed | None:
    """One of the team's instances with its provider name and plan (None: not the team's)."""
    query = (
        select(VpsInstance, ServiceProvider.name, Plan)
        .outerjoin(ServiceProvider, ServiceProvider.id == VpsInstance.provider_id)
        .outerjoin(Plan, Plan.id == VpsInstance.plan_id)
        .where(VpsInstance.id == instance_id, VpsInstance.team_id == team_id)
    )
    found = (await session.execute(query)).first()
    if found is None:
        return None
    inst, name, plan = found
    return Listed(inst, name, plan)


#: ``configuration`` key holding an action request that is being sent to the provider.
REQUESTING = "requesting"


def _config() -> ColumnElement[Any]:
    return type_coerce(VpsInstance.configuration, JSONB)


async def claim_action(
    session: AsyncSession,
    instance_id: uuid.UUID,
    team_id: str,
    claim: dict[str, Any],
    *,
    stale_after: timedelta = timedelta(minutes=2),
    resizing: dict[str, Any] | None = None,
) -> bool:
    """Mark an action request as in flight, unless another one is (double clicks, retries).

    ``claim`` must carry ``at`` (epoch seconds); a claim older than ``stale_after``
    (its process died mid-request) no longer blocks. True if this caller holds it now.
    ``resizing`` (a resize's plan and prices) is kept until the provider confirms
    or refuses it (:func:`end_resize`), counted meanwhile in the budget sums.
    """
    config = _config()
    claimed_at = config[REQUESTING]["at"].astext.cast(Float)
    stale = func.extract("epoch", func.now()) - stale_after.total_seconds()
    result = await session.execute(
        update(VpsInstance)
        .where(
            VpsInstance.id == instance_id,
            VpsInstance.team_id == team_id,
            or_(~config.has_key(REQUESTING), func.coalesce(claimed_at, 0.0) < stale),
        )
        .values(
            configuration=config.op("||", return_type=JSONB)(
                literal(
                    {REQUESTING: claim, **({RESIZING: resizing} if resizing else {})},
                    type_=JSONB,
                )
            ),
            updated_at=func.now(),
        )
        .returning(VpsInstance.id)
    )
    return result.scalar_one_or_none() is not None


async def release_action(session: AsyncSession, instance_id: uuid.UUID) -> None:
    """Drop the in-flight request mark (the provider refused or failed): row as before."""
    await session.execute(
        update(VpsInstance)
        .where(VpsInstance.id == instance_id)
        .values(
            configuration=_config()
            .op("-", return_type=JSONB)(literal(REQUESTING))
            .op("-", return_type=JSONB)(literal(RESIZING)),
            updated_at=func.now(),
        )
    )


async def end_resize(
    session: AsyncSession, instance_id: uuid.UUID, *, done: bool
) -> dict[str, Any] | None:
    """The resize in flight is over: when ``done`` (the provider confirmed it) the
    row moves to its plan and is charged its prices from now on (the spend totals
    follow by trigger); either way it no longer counts as pending. The resize's
    target, or None when there was none."""
    row = await session.get(VpsInstance, instance_id, with_for_update=True, populate_existing=True)
    target = (row.configuration or {}).get(RESIZING) if row is not None else None
    if not isinstance(target, dict):
        return None
    values: dict[str, Any] = {
        "configuration": _config().op("-", return_type=JSONB)(literal(RESIZING)),
        "updated_at": func.now(),
    }
    if done:
        values["configuration"] = values["configuration"].op("||", return_type=JSONB)(
            literal({"plan": target.get("plan")}, type_=JSONB)
        )
        values["price_hourly"] = Decimal(str(target["hourly"]))
        values["price_monthly"] = Decimal(str(target["monthly"]))
        if target.get("plan_id"):
            values["plan_id"] = uuid.UUID(str(target["plan_id"]))
    await session.execute(update(VpsInstance).where(VpsInstance.id == instance_id).values(**values))
    return target


async def record_action_request(
    session: AsyncSession,
    instance_id: uuid.UUID,
    *,
    status: str,
    pending: dict[str, Any],
    configuration: dict[str, Any] | None = None,
    plan_id: uuid.UUID | None = None,
) -> None:
    """The provider accepted an action: new status, ``pending_action`` for the watcher.

    Merges into ``configuration`` in SQL (other keys, e.g. the watcher's, are kept),
    drops the in-flight mark and the provider's last raw status (no longer true).
    ``plan_id`` is set when given (resize).
    """
    merged = (
        _config()
        .op("-", return_type=JSONB)(literal(REQUESTING))
        .op("-", return_type=JSONB)(literal("raw_status"))
        .op("||", return_type=JSONB)(
            literal({**(configuration or {}), "pending_action": pending}, type_=JSONB)
        )
    )
    values: dict[str, Any] = {"status": status, "configuration": merged, "updated_at": func.now()}
    if plan_id is not None:
        values["plan_id"] = plan_id
    await session.execute(update(VpsInstance).where(VpsInstance.id == instance_id).values(**values))


async def mark(session: AsyncSession, instance_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(VpsInstance)
        .where(VpsInstance.id == instance_id)
        .values(**values, updated_at=func.now())
    )


#: ``message_ts`` while a replica posts the channel card: ``posting:<epoch seconds>``.
CARD_CLAIM = "posting:"


async def claim_card(
    session: AsyncSession, instance_id: uuid.UUID, *, now: float, stale_after: float = 60.0
) -> bool:
    """Claim the right to post the server's channel card: True for the one caller
    that may. A claim older than ``stale_after`` seconds (its poster died) is free."""
    claimed = or_(
        VpsInstance.message_ts.is_(None),
        and_(
            VpsInstance.message_ts.startswith(CARD_CLAIM),
            func.substr(VpsInstance.message_ts, len(CARD_CLAIM) + 1).cast(Float)
            < now - stale_after,
        ),
    )
    result = await session.execute(
        update(VpsInstance)
        .where(VpsInstance.id == instance_id, claimed)
        .values(message_ts=f"{CARD_CLAIM}{now:.3f}")
        .returning(VpsInstance.id)
    )
    return result.scalar_one_or_none() is not None


async def mark_card(
    session: AsyncSession,
    instance_id: uuid.UUID,
    *,
    stale: bool,
    retry_in: float = 30.0,
    **values: Any,
) -> None:
    """Record how the card went: ``stale`` when Slack did not take the latest state,
    so the watcher brings it up to date on a later pass (scheduled if nothing is)."""
    extra: dict[str, Any] = {"configuration": merged_configuration({"card_stale": stale})}
    if stale:
        extra["watch_next_at"] = func.coalesce(
            VpsInstance.watch_next_at, func.now() + timedelta(seconds=retry_in)
        )
    await mark(session, instance_id, **values, **extra)


async def schedule_watch(
    session: AsyncSession, instance_id: uuid.UUID, *, delay: float = 5.0
) -> None:
    await session.execute(
        update(VpsInstance)
        .where(VpsInstance.id == instance_id)
        .values(
            watch_next_at=func.now() + timedelta(seconds=delay),
            watch_lease_until=None,
            watch_attempts=0,
        )
    )


async def lease_due(
    session: AsyncSession,
    *,
    limit: int = 200,
    lease: timedelta = timedelta(seconds=60),
    ignore_schedule: bool = False,
) -> Sequence[VpsInstance]:
    """Claim due watch jobs, skipping rows another replica holds (SKIP LOCKED).

    ``ignore_schedule`` claims every watched row now, due or not (tests, "check now").
    """
    schedule: list[ColumnElement[bool]] = [VpsInstance.watch_next_at.is_not(None)]
    if not ignore_schedule:
        schedule.append(VpsInstance.watch_next_at <= func.now())
    due = (
        select(VpsInstance.id)
        .where(
            *schedule,
            or_(
                VpsInstance.watch_lease_until.is_(None),
                VpsInstance.watch_lease_until < func.now(),
            ),
        )
        .order_by(VpsInstance.watch_next_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.execute(due)).scalars())
    if not ids:
        return []
    # the lag is measured on the database's clock, the one that decided "due"
    lag = func.extract("epoch", func.now() - VpsInstance.watch_next_at)
    result = await session.execute(
        update(VpsInstance)
        .where(VpsInstance.id.in_(ids))
        .values(
            watch_lease_until=func.now() + lease,
            watch_attempts=VpsInstance.watch_attempts + 1,
        )
        .returning(VpsInstance, lag)
    )
    rows = []
    for row, late in result.all():
        rows.append(row)
        if not ignore_schedule and late is not None:
            WATCHER_LAG_SECONDS.observe(max(float(late), 0.0))
    return rows


async def labels_starting(session: AsyncSession, team_id: str, stem: str) -> set[str]:
    """Labels of ``team_id``'s servers (not deleted) that start with ``stem``, any case."""
    query = select(VpsInstance.label).where(
        VpsInstance.team_id == team_id,
        func.lower(VpsInstance.label).startswith(stem.lower(), autoescape=True),
        VpsInstance.status != "deleted",
    )
    return set((await session.execute(query)).scalars())


async def tagged_missing(session: AsyncSession, tags: Sequence[str]) -> set[str]:
    """Which of ``tags`` have no instance row (servers vpsbot made but lost)."""
    if not tags:
        return set()
    known = set(
        (await session.execute(select(VpsInstance.tag).where(VpsInstance.tag.in_(tags)))).scalars()
    )
    return set(tags) - known


def merged_configuration(patch: dict[str, Any]) -> ColumnElement[Any]:
    """``configuration || patch`` in SQL: keys written meanwhile by others survive."""
    return VpsInstance.configuration.op("||")(literal(patch, JSONB))


def without_pending_action(action: dict[str, Any]) -> ColumnElement[Any]:
    """Drop ``pending_action`` only if it is still ``action`` (not a newer request)."""
    current = VpsInstance.configuration["pending_action"]
    return case(
        (
            and_(
                current["action"].astext == str(action.get("action")),
                func.coalesce(current["id"].astext, "") == str(action.get("id") or ""),
            ),
            VpsInstance.configuration.op("-")(literal("pending_action")),
        ),
        else_=VpsInstance.configuration,
    )
