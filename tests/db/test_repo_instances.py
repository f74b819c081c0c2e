"""Row updates that must not overwrite what another writer stored meanwhile."""

from __future__ import annotations

import uuid

from db.engine import Database
from db.models import VpsInstance
from db.repo import instances


async def _row(db: Database, configuration: dict) -> uuid.UUID:  # type: ignore[type-arg]
    row_id = uuid.uuid4()
    async with db.session() as session, session.begin():
        session.add(
            VpsInstance(
                id=row_id,
                label="x",
                status="rebooting",
                provider_type="linode",
                configuration=configuration,
            )
        )
    return row_id


async def _config(db: Database, row_id: uuid.UUID) -> dict:  # type: ignore[type-arg]
    async with db.session() as session:
        row = await instances.get(session, row_id)
        assert row is not None
        return dict(row.configuration)


async def test_merge_keeps_a_pending_action_written_meanwhile(db: Database) -> None:
    pending = {"id": "7", "action": "reboot", "by": "U1"}
    row_id = await _row(db, {"plan": "s-1"})
    # a user's action lands after the watcher read the row...
    async with db.session() as session, session.begin():
        await instances.mark(
            session,
            row_id,
            configuration=instances.merged_configuration({"pending_action": pending}),
        )
    # ...and the watcher's write, built from what it read, merges instead of replacing
    async with db.session() as session, session.begin():
        await instances.mark(
            session, row_id, configuration=instances.merged_configuration({"raw_status": "active"})
        )
    assert await _config(db, row_id) == {
        "plan": "s-1",
        "pending_action": pending,
        "raw_status": "active",
    }


async def test_only_the_finished_action_is_dropped(db: Database) -> None:
    newer = {"id": "8", "action": "power_off", "by": "U2"}
    row_id = await _row(db, {"pending_action": newer})
    async with db.session() as session, session.begin():
        await instances.mark(
            session,
            row_id,
            configuration=instances.without_pending_action({"id": "7", "action": "reboot"}),
        )
    assert (await _config(db, row_id))["pending_action"] == newer
    async with db.session() as session, session.begin():
        await instances.mark(session, row_id, configuration=instances.without_pending_action(newer))
    assert "pending_action" not in await _config(db, row_id)


async def test_action_without_a_provider_handle_is_dropped_too(db: Database) -> None:
    row_id = await _row(db, {"pending_action": {"action": "shutdown", "id": ""}})
    async with db.session() as session, session.begin():
        await instances.mark(
            session,
            row_id,
            configuration=instances.without_pending_action({"action": "shutdown", "id": ""}),
        )
    assert "pending_action" not in await _config(db, row_id)
