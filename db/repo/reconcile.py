"""Queries for drift reconciliation: what the database believes each provider has."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import VpsInstance

__all__ = ["known_for_provider", "known_tags"]


async def known_for_provider(
    session: AsyncSession, provider_id: uuid.UUID
) -> Sequence[VpsInstance]:
    """Rows of servers vpsbot believes exist at the provider and is not watching now."""
    query = select(VpsInstance).where(
        VpsInstance.provider_id == provider_id,
        VpsInstance.status != "deleted",
        VpsInstance.provider_instance_id.is_not(None),
        VpsInstance.watch_next_at.is_(None),
    )
    return list((await session.execute(query)).scalars())


async def known_tags(session: AsyncSession, tags: Sequence[str]) -> set[str]:
    """Which of ``tags`` belong to a row (in any state)."""
    if not tags:
        return set()
    query = select(VpsInstance.tag).where(VpsInstance.tag.in_(list(tags)))
    return {tag for tag in (await session.execute(query)).scalars() if tag}
