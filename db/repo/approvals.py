"""Approval requests: stored while waiting, decided exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ApprovalRequest

__all__ = ["add", "decide", "expire_due", "get", "pending_for_team", "set_message"]


async def add(session: AsyncSession, **values: Any) -> ApprovalRequest:
    row = ApprovalRequest(**values)
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, request_id: uuid.UUID) -> ApprovalRequest | None:
    return await session.get(ApprovalRequest, request_id)


async def set_message(
    session: AsyncSession, request_id: uuid.UUID, channel_id: str, message_ts: str
) -> None:
    await session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id == request_id)
        .values(channel_id=channel_id, message_ts=message_ts)
    )


async def decide(
    session: AsyncSession,
    request_id: uuid.UUID,
    *,
    team_id: str,
    status: str,
    by: str,
    now: datetime,
) -> ApprovalRequest | None:
    """Move a pending, unexpired request to ``status``: the row for the one caller
    that did it, None for everyone else (double clicks, a second approver, another
    replica, a Slack retry all find it decided). The requester never decides."""
    result = await session.execute(
        update(ApprovalRequest)
        .where(
            ApprovalRequest.id == request_id,
            ApprovalRequest.team_id == team_id,
            ApprovalRequest.status == "pending",
            ApprovalRequest.expires_at > now,
            ApprovalRequest.requested_by != by,
        )
        .values(status=status, decided_by=by, decided_at=now)
        .returning(ApprovalRequest)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def expire_due(
    session: AsyncSession, now: datetime, *, limit: int = 200
) -> Sequence[ApprovalRequest]:
    """Mark pending requests past their expiry as expired; the rows this caller expired."""
    due = (
        select(ApprovalRequest.id)
        .where(ApprovalRequest.status == "pending", ApprovalRequest.expires_at <= now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id.in_(due), ApprovalRequest.status == "pending")
        .values(status="expired", decided_at=now)
        .returning(ApprovalRequest)
    )
    return list(result.scalars())


async def pending_for_team(session: AsyncSession, team_id: str) -> list[ApprovalRequest]:
    query = (
        select(ApprovalRequest)
        .where(ApprovalRequest.team_id == team_id, ApprovalRequest.status == "pending")
        .order_by(ApprovalRequest.created_at)
        .limit(50)
    )
    return list((await session.execute(query)).scalars())
