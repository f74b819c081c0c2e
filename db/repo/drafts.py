"""The `/vps create` modal's server-side draft, keyed by Slack view id."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from db.models import CreateDraft

__all__ = ["claim_for_create", "delete_expired", "get", "load", "save"]


def _statements() -> tuple[Any, Any]:
    """The hot-path statements, built once: constructing them per call costs more
    than running them."""
    table = cast(Table, CreateDraft.__table__)
    upsert = insert(table).values(
        view_id=bindparam("view_id"),
        team_id=bindparam("team_id"),
        user_id=bindparam("user_id"),
        channel_id=bindparam("channel_id"),
        step=bindparam("step"),
        data=bindparam("data", type_=JSONB),
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[table.c.view_id],
        set_={"step": upsert.excluded.step, "data": upsert.excluded.data, "updated_at": func.now()},
        where=table.c.instance_id.is_(None),
    )
    fetch = select(*table.c).where(table.c.view_id == bindparam("view_id"))
    return upsert, fetch


_UPSERT, _FETCH = _statements()


async def save(
    session: AsyncSession | AsyncConnection,
    *,
    view_id: str,
    team_id: str,
    user_id: str,
    channel_id: str | None,
    step: str,
    data: dict[str, Any],
) -> None:
    """Insert or replace the draft for ``view_id`` (not once it is being created)."""
    await session.execute(
        _UPSERT,
        {
            "view_id": view_id,
            "team_id": team_id,
            "user_id": user_id,
            "channel_id": channel_id,
            "step": step,
            "data": data,
        },
    )


async def get(session: AsyncSession, view_id: str) -> CreateDraft | None:
    return await session.get(CreateDraft, view_id)


async def load(conn: AsyncSession | AsyncConnection, view_id: str) -> Row[Any] | None:
    """The draft's columns as a plain row (no ORM identity map): the cheap read."""
    return (await conn.execute(_FETCH, {"view_id": view_id})).first()


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
