"""Lease reminders and expiries: exactly once across two sweepers, time moved by hand."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.services import Services
from bot.status.leases import DELETE_NOW_ACTION, EXTEND_ACTION, LeaseSweeper
from db.engine import Database
from db.models import ActivityLog, VpsInstance
from db.repo import spend
from tests.support.replicas import replica

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def two(
    db: Database, database_url: str, fernet_keys: list[str]
) -> AsyncIterator[tuple[Services, Services]]:
    one, other = replica(database_url, fernet_keys), replica(database_url, fernet_keys)
    yield one, other
    await one.aclose()
    await other.aclose()


async def _server(db: Database, expires: datetime | None, **extra: object) -> uuid.UUID:
    row_id = uuid.uuid4()
    async with db.session() as session, session.begin():
        session.add(
            VpsInstance(
                id=row_id,
                label=f"box-{str(row_id)[:4]}",
                status=extra.pop("status", "running"),
                provider_type="linode",
                provider_instance_id="42",
                team_id="T1",
                created_by="UOWNER",
                channel_id="CSERVERS",
                message_ts="1700000000.000001",
                expires_at=expires,
                **extra,
            )
        )
    return row_id


async def test_reminder_then_expiry_exactly_once_across_two_sweepers(
    db: Database, two: tuple[Services, Services]
) -> None:
    async with db.session() as session, session.begin():
        await spend.save_policy(session, "T1", {"lease_end_action": "delete"}, "UADMIN")
    due = await _server(db, T0 + timedelta(hours=30))
    await _server(db, None)  # no expiry: never touched
    await _server(db, T0 + timedelta(days=10))  # far off
    ended: list[tuple[uuid.UUID, str]] = []

    async def end(services: Services, row: VpsInstance, action: str) -> str:
        ended.append((row.id, action))
        await asyncio.sleep(0)  # let the other sweeper interleave
        return f"*{row.label}* was deleted: its lease ended."

    clock = Clock(T0)
    sweepers = [LeaseSweeper(s, end=end, clock=clock) for s in two]

    async def both() -> list[tuple[int, int]]:
        return list(await asyncio.gather(*(s.cycle() for s in sweepers)))

    assert await both() == [(0, 0), (0, 0)]  # 30 h ahead: not yet reminded
    clock.now = T0 + timedelta(hours=7)  # 23 h before the end
    results = await both()
    assert sorted(results) == [(0, 0), (1, 0)]
    posts = [c for s in two for c in s.slack.chat_postMessage.await_args_list]  # type: ignore[attr-defined]
    assert {p.kwargs["channel"] for p in posts} == {"CSERVERS", "UOWNER"}
    thread = next(p for p in posts if p.kwargs["channel"] == "CSERVERS")
    assert thread.kwargs["thread_ts"] == "1700000000.000001"
    buttons = [e["action_id"] for e in thread.kwargs["blocks"][1].to_dict()["elements"]]
    assert buttons == [EXTEND_ACTION, DELETE_NOW_ACTION]
    assert await both() == [(0, 0), (0, 0)]  # reminded once
    clock.now = T0 + timedelta(hours=30)
    results = await both()
    assert sorted(results) == [(0, 0), (0, 1)]
    assert ended == [(due, "delete")]
    clock.now = T0 + timedelta(days=3)
    assert await both() == [(0, 0), (0, 0)]
    assert ended == [(due, "delete")]  # ran once, never again
    async with db.session() as session:
        events = (
            (await session.execute(select(ActivityLog).where(ActivityLog.entity_id == str(due))))
            .scalars()
            .all()
        )
    assert [(e.event_type, e.status) for e in events] == [
        ("vps.lease_end", "info"),
        ("vps.lease_end", "success"),
    ]


async def test_sweep_races_many_rows_without_doubles(
    db: Database, two: tuple[Services, Services]
) -> None:
    ids = {await _server(db, T0 - timedelta(minutes=i)) for i in range(30)}
    ended: list[uuid.UUID] = []

    async def end(services: Services, row: VpsInstance, action: str) -> str:
        ended.append(row.id)
        return "done"

    clock = Clock(T0)
    sweepers = [LeaseSweeper(s, end=end, clock=clock, batch=7) for s in two]
    for _ in range(6):
        await asyncio.gather(*(s.cycle() for s in sweepers))
    assert sorted(ended) == sorted(ids)  # every one, each once


async def test_a_failing_action_is_told_and_audited_not_retried(
    db: Database, two: tuple[Services, Services]
) -> None:
    row_id = await _server(db, T0 - timedelta(hours=1))
    calls = 0

    async def end(services: Services, row: VpsInstance, action: str) -> str:
        nonlocal calls
        calls += 1
        raise RuntimeError("provider down")

    sweeper = LeaseSweeper(two[0], end=end, clock=Clock(T0))
    assert await sweeper.cycle() == (0, 1)
    assert await sweeper.cycle() == (0, 0)
    assert calls == 1
    texts = [c.kwargs["text"] for c in two[0].slack.chat_postMessage.await_args_list]  # type: ignore[attr-defined]
    assert any("could not be powered off: something went wrong" in t for t in texts)
    assert all("provider down" not in t for t in texts)  # nothing raw reaches a person
    async with db.session() as session:
        statuses = (
            (
                await session.execute(
                    select(ActivityLog.status).where(ActivityLog.entity_id == str(row_id))
                )
            )
            .scalars()
            .all()
        )
    assert statuses == ["info", "error"]


def test_delete_now_opens_the_servers_delete_confirmation() -> None:
    from bot.servers.views import ACTION_DELETE

    assert DELETE_NOW_ACTION == ACTION_DELETE
