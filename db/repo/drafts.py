"""The `/vps create` modal's server-side draft, keyed by Slack view id."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CreateDraft

__all__ = [
    "DraftRow",
    "claim_for_create",
    "delete_expired",
    "get",
    "load",
    "save",
    "view_creating",
]


# The two statements of every step transition. They run on the driver connection
# (Database.driver): asyncpg prepares them once per connection, and the step
# transition's cost was mostly SQLAlchemy's per-execution work around them.
_SAVE_SQL = """
INSERT INTO create_drafts (view_id, team_id, user_id, channel_id, step, data)
VALUES ($1, $2, $3, $4, $5, $6::jsonb)
ON CONFLICT (view_id) DO UPDATE
   SET step = EXCLUDED.step, data = EXCLUDED.data, updated_at = now()
 WHERE create_drafts.instance_id IS NULL
"""
_FETCH_SQL = """
SELECT view_id, team_id, user_id, channel_id, step, data::text AS data, instance_id, updated_at
  FROM create_drafts WHERE view_id = $1
"""


class DraftRow:
    """A draft as read by :func:`load`."""

    __slots__ = (
        "channel_id",
        "data",
        "instance_id",
        "step",
        "team_id",
        "updated_at",
        "user_id",
        "view_id",
    )

    def __init__(self, record: Any) -> None:
        self.view_id: str = record["view_id"]
        self.team_id: str = record["team_id"]
        self.user_id: str = record["user_id"]
        self.channel_id: str | None = record["channel_id"]
        self.step: str = record["step"]
        self.data: dict[str, Any] = json.loads(record["data"])
        self.instance_id: uuid.UUID | None = record["instance_id"]
        self.updated_at: Any = record["updated_at"]


async def load(driver: Any, view_id: str) -> DraftRow | None:
    """The draft of ``view_id``, on a driver connection (``Database.driver()``)."""
    record = await driver.fetchrow(_FETCH_SQL, view_id)
    return DraftRow(record) if record is not None else None


async def save(
    driver: Any,
    *,
    view_id: str,
    team_id: str,
    user_id: str,
    channel_id: str | None,
    step: str,
    data: dict[str, Any],
) -> None:
    """Insert or replace the draft for ``view_id`` (not once it is being created),
    on a driver connection (``Database.driver()``)."""
    await driver.execute(_SAVE_SQL, view_id, team_id, user_id, channel_id, step, json.dumps(data))


async def get(session: AsyncSession, view_id: str) -> CreateDraft | None:
    return await session.get(CreateDraft, view_id)


async def claim_for_create(
    session: AsyncSession, view_id: str, instance_id: uuid.UUID
) -> CreateDraft | None:
    """Lock the draft and mark it as creating ``instance_id``.

    Returns the draft when this caller won, None when the draft is gone or was
    already claimed (a double click, a Slack retry, another replica).
    """
    draft = (
        await session.execute(
            select(CreateDraft).where(CreateDraft.view_id == view_id).with_for_update()
        )
    ).scalar_one_or_none()
    if draft is None or draft.instance_id is not None:
        return None
    draft.instance_id = instance_id
    await session.flush()
    return draft


async def delete_expired(session: AsyncSession, older_than: timedelta) -> int:
    result = await session.execute(
        delete(CreateDraft).where(CreateDraft.updated_at < func.now() - older_than)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def view_creating(session: AsyncSession, instance_id: uuid.UUID) -> str | None:
    """The view id of the create modal whose submission is creating ``instance_id``."""
    result = await session.execute(
        select(CreateDraft.view_id).where(CreateDraft.instance_id == instance_id)
    )
    return result.scalar_one_or_none()
