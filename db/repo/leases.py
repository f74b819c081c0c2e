"""Server leases: reminders and expiries claimed by conditional UPDATEs.

Both claims read only rows whose lease is still open through the partial index
``idx_vps_instances_lease_open`` (``expires_at`` where it is set and the lease has
not ended), so a sweep over many servers touches only the ones due. Rows another
replica is claiming are skipped (SKIP LOCKED), and the UPDATE repeats its
condition, so each reminder and each expiry is claimed by exactly one caller.

A lease end is claimed (``lease_ended_at``) before its action runs and marked
done (``lease_end_done_at``, :func:`finish`) with the audit row of its outcome.
A claim still not done after a grace period was interrupted (its process died);
:func:`reclaim_unfinished` hands it to exactly one caller again, read through
``idx_vps_instances_lease_unfinished``, so the action runs at least once and,
being idempotent, takes effect once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import VpsInstance, WorkspacePolicy

__all__ = [
    "Due",
    "claim_expired",
    "claim_reminders",
    "extend",
    "finish",
    "longest_reminder",
    "open_leases_query",
    "reclaim_unfinished",
    "unfinished_query",
]

#: Reminder lead time of a workspace without a policy row (the policy default).
DEFAULT_REMINDER_HOURS = 24


@dataclass(frozen=True)
class Due:
    """A server whose lease needs attention, with what its workspace's policy says."""

    instance: VpsInstance
    action: str
    reminder_hours: int


def _open(now_bound: datetime) -> list[ColumnElement[bool]]:
    return [
        VpsInstance.expires_at.is_not(None),
        VpsInstance.lease_ended_at.is_(None),
        VpsInstance.expires_at <= now_bound,
    ]


def _present() -> list[ColumnElement[bool]]:
    """The server still exists: not deleted nor being deleted (lease jobs skip the rest)."""
    return [
        VpsInstance.deleted_at.is_(None),
        VpsInstance.status.not_in(("deleted", "deleting")),
    ]


def open_leases_query(
    bound: datetime, limit: int, *, remind_after: datetime | None = None
) -> Select[uuid.UUID]:
    """The sweep's read: open leases ending by ``bound``; with ``remind_after``, only
    those not reminded yet and still running after it (for EXPLAIN in the bench)."""
    conditions = _open(bound)
    if remind_after is not None:
        conditions += [
            VpsInstance.lease_reminded_at.is_(None),
            VpsInstance.expires_at > remind_after,
        ]
    return (
        select(VpsInstance.id)
        .where(*conditions)
        .order_by(VpsInstance.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def unfinished_query(claimed_before: datetime, limit: int) -> Select[uuid.UUID]:
    """The recovery read: lease ends claimed by ``claimed_before`` and never marked
    done, oldest claim first (for EXPLAIN in the bench)."""
    return (
        select(VpsInstance.id)
        .where(
            VpsInstance.lease_ended_at.is_not(None),
            VpsInstance.lease_end_done_at.is_(None),
            VpsInstance.lease_ended_at <= claimed_before,
        )
        .order_by(VpsInstance.lease_ended_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


async def _policies(
    session: AsyncSession, rows: Sequence[VpsInstance]
) -> dict[str, tuple[str, int]]:
    teams = {r.team_id for r in rows if r.team_id}
    if not teams:
        return {}
    found = await session.execute(
        select(
            WorkspacePolicy.team_id,
            WorkspacePolicy.lease_end_action,
            WorkspacePolicy.reminder_hours,
        ).where(WorkspacePolicy.team_id.in_(teams))
    )
    return {team: (action, hours) for team, action, hours in found}


async def longest_reminder(session: AsyncSession) -> int:
    """The largest reminder lead time of any workspace (hours)."""
    found = await session.execute(select(func.max(WorkspacePolicy.reminder_hours)))
    return max(found.scalar_one_or_none() or 0, DEFAULT_REMINDER_HOURS)


async def claim_reminders(
    session: AsyncSession, now: datetime, *, longest: int, limit: int = 200
) -> list[Due]:
    """Claim the reminders due at ``now`` (each workspace reminds ``reminder_hours``
    ahead; ``longest`` is the largest of those, bounding the index scan)."""
    ids = list(
        (
            await session.execute(
                open_leases_query(now + timedelta(hours=longest), limit, remind_after=now)
            )
        ).scalars()
    )
    if not ids:
        return []
    rows = list(
        (
            await session.execute(
                select(VpsInstance).where(
                    VpsInstance.id.in_(ids),
                    VpsInstance.lease_reminded_at.is_(None),
                    VpsInstance.expires_at > now,  # ended already: no reminder, the end says it
                    *_present(),
                )
            )
        ).scalars()
    )
    policies = await _policies(session, rows)
    due: list[Due] = []
    for row in rows:
        action, hours = policies.get(row.team_id or "", ("power_off", DEFAULT_REMINDER_HOURS))
        assert row.expires_at is not None
        if row.expires_at - timedelta(hours=hours) > now:
            continue
        claimed = await session.execute(
            update(VpsInstance)
            .where(VpsInstance.id == row.id, VpsInstance.lease_reminded_at.is_(None))
            .values(lease_reminded_at=now)
            .returning(VpsInstance.id)
        )
        if claimed.scalar_one_or_none() is not None:
            due.append(Due(row, action, hours))
    return due


async def _due(session: AsyncSession, rows: Sequence[VpsInstance]) -> list[Due]:
    policies = await _policies(session, rows)
    return [
        Due(r, *policies.get(r.team_id or "", ("power_off", DEFAULT_REMINDER_HOURS))) for r in rows
    ]


async def claim_expired(session: AsyncSession, now: datetime, *, limit: int = 200) -> list[Due]:
    """Claim the leases that ended by ``now``: each for exactly one caller, once.

    A server deleted or being deleted has nothing left to end: its lease is
    closed (ended and done) without an action or a message, which also takes
    it out of the open-lease index.
    """
    ids = list((await session.execute(open_leases_query(now, limit))).scalars())
    if not ids:
        return []
    open_ = [VpsInstance.id.in_(ids), VpsInstance.lease_ended_at.is_(None)]
    await session.execute(
        update(VpsInstance)
        .where(*open_, ~and_(*_present()))
        .values(lease_ended_at=now, lease_end_done_at=now)
    )
    result = await session.execute(
        update(VpsInstance)
        .where(*open_, *_present())
        .values(lease_ended_at=now)
        .returning(VpsInstance)
    )
    return await _due(session, list(result.scalars()))


async def reclaim_unfinished(
    session: AsyncSession, now: datetime, *, claimed_before: datetime, limit: int = 200
) -> list[Due]:
    """Claim again the lease ends claimed by ``claimed_before`` and not done since.

    The claim time moves to ``now`` in a conditional UPDATE that repeats the read's
    condition, so of any number of racing callers exactly one gets each row, and
    the next re-claim of it waits a whole grace period again.
    """
    ids = list((await session.execute(unfinished_query(claimed_before, limit))).scalars())
    if not ids:
        return []
    result = await session.execute(
        update(VpsInstance)
        .where(
            VpsInstance.id.in_(ids),
            VpsInstance.lease_end_done_at.is_(None),
            VpsInstance.lease_ended_at <= claimed_before,
        )
        .values(lease_ended_at=now)
        .returning(VpsInstance)
    )
    return await _due(session, list(result.scalars()))


async def finish(session: AsyncSession, instance_id: uuid.UUID, now: datetime) -> bool:
    """Mark a lease end done (its outcome told and audited); False if it already was."""
    result = await session.execute(
        update(VpsInstance)
        .where(VpsInstance.id == instance_id, VpsInstance.lease_end_done_at.is_(None))
        .values(lease_end_done_at=now)
        .returning(VpsInstance.id)
    )
    return result.scalar_one_or_none() is not None


async def extend(
    session: AsyncSession, instance_id: uuid.UUID, team_id: str, until: datetime
) -> VpsInstance | None:
    """Move a lease to ``until`` and re-arm its reminder: an open lease, or one whose
    end is done (the server was powered off: extending is the way back, and the
    lease opens again). None while a lease end is under way, or the server is gone."""
    result = await session.execute(
        update(VpsInstance)
        .where(
            VpsInstance.id == instance_id,
            VpsInstance.team_id == team_id,
            or_(VpsInstance.lease_ended_at.is_(None), VpsInstance.lease_end_done_at.is_not(None)),
            VpsInstance.status.not_in(("deleted", "deleting")),
        )
        .values(
            expires_at=until,
            lease_reminded_at=None,
            lease_ended_at=None,
            lease_end_done_at=None,
            updated_at=func.now(),
        )
        .returning(VpsInstance)
    )
    return result.scalar_one_or_none()
