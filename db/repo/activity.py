"""The audit trail: ``activity_logs``.

Each row written while a Slack request is being handled carries that request's
id (``metadata.request_id``), the same id its log lines carry, so an audit entry
leads to the logs of the request that made it. :data:`REQUEST_ID` lives here
because ``db`` may not import ``bot``; ``bot`` sets it per request.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ACTIVITY_STATUSES, ActivityLog

__all__ = ["REQUEST_ID", "for_workspace", "recent", "record"]

#: The id of the Slack request being handled in this context, if any.
REQUEST_ID: ContextVar[str | None] = ContextVar("vpsbot_request_id", default=None)


async def record(
    session: AsyncSession,
    *,
    event_type: str,
    status: str,
    team_id: str | None = None,
    user_id: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> ActivityLog:
    if status not in ACTIVITY_STATUSES:
        raise ValueError(f"activity status must be one of {ACTIVITY_STATUSES}")
    row = ActivityLog(
        event_type=event_type,
        status=status,
        team_id=team_id,
        user_id=user_id,
        entity_type=entity_type,
        entity_id=entity_id,
        metadata_=_with_request_id(metadata),
    )
    session.add(row)
    await session.flush()
    return row


def _with_request_id(metadata: dict[str, Any] | None) -> dict[str, Any]:
    request_id = REQUEST_ID.get()
    if request_id is None or (metadata and "request_id" in metadata):
        return metadata or {}
    return {**(metadata or {}), "request_id": request_id}


async def recent(
    session: AsyncSession,
    *,
    team_id: str | None,
    limit: int = 20,
    entity_id: str | None = None,
) -> list[ActivityLog]:
    query = select(ActivityLog)
    if team_id is not None:
        query = query.where(ActivityLog.team_id == team_id)
    if entity_id is not None:
        query = query.where(ActivityLog.entity_id == entity_id)
    query = query.order_by(ActivityLog.created_at.desc(), ActivityLog.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def for_workspace(
    session: AsyncSession, team_id: str, *, limit: int = 20, operator_rows: bool = True
) -> list[ActivityLog]:
    """The workspace's latest activity, newest first.

    With ``operator_rows`` (one workspace, single-token mode) provider events
    recorded without a workspace (the operator's CLI) are part of its log; with
    many workspaces they are nobody's but the operator's.
    """
    own = ActivityLog.team_id == team_id
    if operator_rows:
        own = or_(own, and_(ActivityLog.team_id.is_(None), ActivityLog.entity_type == "provider"))
    query = (
        select(ActivityLog)
        .where(own)
        .order_by(ActivityLog.created_at.desc(), ActivityLog.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())
