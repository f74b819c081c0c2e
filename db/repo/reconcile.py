"""Queries for drift reconciliation: what the database believes each provider has."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ActivityLog, VpsInstance

__all__ = ["apply_changes", "known_for_provider", "known_tags"]

_COLUMNS = (
    VpsInstance.id,
    VpsInstance.label,
    VpsInstance.status,
    VpsInstance.ip_address,
    VpsInstance.ipv6_address,
    VpsInstance.provider_instance_id,
    VpsInstance.team_id,
    VpsInstance.configuration,
    VpsInstance.message_ts,
)


async def known_for_provider(session: AsyncSession, provider_id: uuid.UUID) -> Sequence[Row[Any]]:
    """Servers vpsbot believes exist at the provider and is not watching now.

    Plain rows with the compared columns only: a pass over ten thousand servers
    should not build ten thousand ORM objects.
    """
    query = select(*_COLUMNS).where(
        VpsInstance.provider_id == provider_id,
        VpsInstance.status != "deleted",
        VpsInstance.provider_instance_id.is_not(None),
        VpsInstance.watch_next_at.is_(None),
    )
    return list(await session.execute(query))


async def apply_changes(
    session: AsyncSession, changes: Sequence[dict[str, Any]], events: Sequence[dict[str, Any]]
) -> None:
    """Write a pass's row changes (one executemany) and its audit events (one insert).

    Every change dict has ``row_id``, ``status``, ``ip_address``, ``ipv6_address``
    and ``configuration``; every event dict the ``activity_logs`` columns.
    """
    if changes:
        table = cast(Table, VpsInstance.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                status=bindparam("status"),
                ip_address=bindparam("ip_address"),
                ipv6_address=bindparam("ipv6_address"),
                configuration=bindparam("configuration"),
                updated_at=func.now(),
            )
        )
        await session.execute(statement, list(changes))
    if events:
        await session.execute(insert(cast(Table, ActivityLog.__table__)), list(events))


async def known_tags(session: AsyncSession, tags: Sequence[str]) -> set[str]:
    """Which of ``tags`` belong to a row (in any state)."""
    if not tags:
        return set()
    query = select(VpsInstance.tag).where(VpsInstance.tag.in_(list(tags)))
    return {tag for tag in (await session.execute(query)).scalars() if tag}
