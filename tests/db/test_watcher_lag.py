"""``vpsbot_watcher_lag_seconds``: how late a due row was leased, on the database's clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import func, update

from db.engine import Database
from db.models import VpsInstance
from db.repo import instances


def _lag() -> tuple[float, float]:
    count = REGISTRY.get_sample_value("vpsbot_watcher_lag_seconds_count") or 0.0
    total = REGISTRY.get_sample_value("vpsbot_watcher_lag_seconds_sum") or 0.0
    return count, total


async def test_leasing_a_due_row_observes_how_late_it_is(db: Database) -> None:
    late, early = uuid.uuid4(), uuid.uuid4()
    async with db.session() as session, session.begin():
        session.add(
            VpsInstance(id=late, label="late", status="provisioning", provider_type="linode")
        )
        session.add(
            VpsInstance(id=early, label="early", status="provisioning", provider_type="linode")
        )
        await session.flush()
        await session.execute(
            update(VpsInstance)
            .where(VpsInstance.id == late)
            .values(watch_next_at=func.now() - timedelta(seconds=40))
        )
        await session.execute(
            update(VpsInstance)
            .where(VpsInstance.id == early)
            .values(watch_next_at=func.now() + timedelta(hours=1))
        )
    count, total = _lag()
    async with db.session() as session, session.begin():
        leased = await instances.lease_due(session)
    assert [row.id for row in leased] == [late]
    assert leased[0].watch_lease_until is not None
    new_count, new_total = _lag()
    assert new_count == count + 1
    assert 40 <= new_total - total < 100

    async with db.session() as session, session.begin():  # "check now" is not lateness
        forced = await instances.lease_due(session, ignore_schedule=True)
    assert [row.id for row in forced] == [early]
    assert _lag()[0] == new_count
