"""Periodic jobs that must run once per period across every replica."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import JobRun

__all__ = ["claim_run"]


async def claim_run(session: AsyncSession, name: str, every: timedelta) -> bool:
    """True for exactly one caller per ``every``: the one that should run ``name`` now."""
    insert_run = insert(JobRun).values(name=name, last_started_at=func.now())
    statement = insert_run.on_conflict_do_update(
        index_elements=[JobRun.name],
        set_={"last_started_at": func.now()},
        where=JobRun.last_started_at <= func.now() - every,
    ).returning(JobRun.name)
    return (await session.execute(statement)).scalar_one_or_none() is not None
