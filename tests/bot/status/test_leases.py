"""Lease reminders and expiries: exactly once across two sweepers, time moved by hand,
including a sweeper that dies between the claim and the outcome."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from bot.core.services import Services
from bot.status.leases import DEFAULT_GRACE, DELETE_NOW_ACTION, EXTEND_ACTION, LeaseSweeper
from db.engine import Database
from db.models import ActivityLog, VpsInstance
from db.repo import leases, spend
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


async def _lease_state(db: Database, row_id: uuid.UUID) -> tuple[datetime | None, datetime | None]:
    async with db.session() as session:
        row = await session.get(VpsInstance, row_id)
    assert row is not None
    return row.lease_ended_at, row.lease_end_done_at


async def _lease_events(db: Database, row_id: uuid.UUID) -> list[tuple[str, str | None]]:
    async with db.session() as session:
        events = (
            (
                await session.execute(
                    select(ActivityLog)
                    .where(ActivityLog.entity_id == str(row_id))
                    .order_by(ActivityLog.id)
                )
            )
            .scalars()
            .all()
        )
    return [(e.status, e.metadata_.get("stage")) for e in events]


def _outcomes(services: Services, channel: str = "CSERVERS") -> list[str]:
    calls = services.slack.chat_postMessage.await_args_list  # type: ignore[attr-defined]
    return [c.kwargs["text"] for c in calls if c.kwargs["channel"] == channel]


async def test_a_sweeper_dying_after_the_claim_is_taken_over_once_after_the_grace(
    db: Database, two: tuple[Services, Services]
) -> None:
    row_id = await _server(db, T0 - timedelta(minutes=5))

    async def dies(services: Services, row: VpsInstance, action: str) -> str:
        raise asyncio.CancelledError  # the process is stopped mid-action

    ran: list[uuid.UUID] = []

    async def end(services: Services, row: VpsInstance, action: str) -> str:
        ran.append(row.id)
        return f"The lease of *{row.label}* ended; it is being powered off."

    clock = Clock(T0)
    with pytest.raises(asyncio.CancelledError):
        await LeaseSweeper(two[0], end=dies, clock=clock).cycle()
    claimed_at, done_at = await _lease_state(db, row_id)
    assert claimed_at == T0 and done_at is None
    assert _outcomes(two[0]) == []  # nothing told yet

    survivor = LeaseSweeper(two[1], end=end, clock=clock)
    clock.now = T0 + DEFAULT_GRACE - timedelta(seconds=1)
    assert await survivor.cycle() == (0, 0)  # the claimer may still be working on it
    assert ran == []
    clock.now = T0 + DEFAULT_GRACE
    assert await survivor.cycle() == (0, 1)
    assert ran == [row_id]
    claimed_at, done_at = await _lease_state(db, row_id)
    assert claimed_at == T0 + DEFAULT_GRACE and done_at == T0 + DEFAULT_GRACE
    assert _outcomes(two[1]) == [
        f"The lease of *box-{str(row_id)[:4]}* ended; it is being powered off."
    ]

    clock.now = T0 + timedelta(days=2)  # a third pass, by either: nothing left to do
    assert await survivor.cycle() == (0, 0)
    assert await LeaseSweeper(two[0], end=end, clock=clock).cycle() == (0, 0)
    assert ran == [row_id]
    assert await _lease_events(db, row_id) == [
        ("info", "claimed"),
        ("info", "reclaimed"),
        ("success", None),
    ]


async def test_a_sweeper_dying_before_its_done_mark_runs_the_action_again_once(
    db: Database, two: tuple[Services, Services]
) -> None:
    row_id = await _server(db, T0 - timedelta(minutes=5))
    ran: list[str] = []

    async def end(services: Services, row: VpsInstance, action: str) -> str:
        ran.append(row.status)
        return "done"

    # the action ran, then the process died while telling the thread
    two[0].slack.chat_postMessage.side_effect = asyncio.CancelledError  # type: ignore[attr-defined]
    clock = Clock(T0)
    with pytest.raises(asyncio.CancelledError):
        await LeaseSweeper(two[0], end=end, clock=clock).cycle()
    assert ran == ["running"]
    assert (await _lease_state(db, row_id))[1] is None
    clock.now = T0 + timedelta(minutes=20)
    assert await LeaseSweeper(two[1], end=end, clock=clock).cycle() == (0, 1)
    assert ran == ["running", "running"]  # run again: ``end`` must be idempotent
    assert _outcomes(two[1]) == ["done"]
    clock.now = T0 + timedelta(hours=2)
    assert await LeaseSweeper(two[1], end=end, clock=clock).cycle() == (0, 0)
    assert len(ran) == 2


async def test_two_sweepers_racing_recovery_run_each_action_once(
    db: Database, two: tuple[Services, Services]
) -> None:
    ids = {await _server(db, T0 - timedelta(minutes=i)) for i in range(12)}
    # a sweeper claimed them all and died before running any action
    async with db.session() as session, session.begin():
        claimed = await leases.claim_expired(session, T0, limit=100)
    assert {d.instance.id for d in claimed} == ids
    ran: list[uuid.UUID] = []

    async def end(services: Services, row: VpsInstance, action: str) -> str:
        ran.append(row.id)
        await asyncio.sleep(0)  # let the other sweeper interleave
        return "done"

    clock = Clock(T0 + timedelta(minutes=10))
    sweepers = [
        LeaseSweeper(s, end=end, clock=clock, batch=5, grace=timedelta(minutes=10)) for s in two
    ]
    for _ in range(4):
        await asyncio.gather(*(s.cycle() for s in sweepers))
    assert sorted(ran) == sorted(ids)  # every one, each once
    clock.now = T0 + timedelta(days=1)
    results = await asyncio.gather(*(s.cycle() for s in sweepers))
    assert results == [(0, 0), (0, 0)]
    assert sorted(ran) == sorted(ids)
    async with db.session() as session:
        unfinished = (
            await session.execute(
                select(VpsInstance.id).where(VpsInstance.lease_end_done_at.is_(None))
            )
        ).all()
    assert unfinished == []


async def test_reclaim_is_one_callers_under_concurrent_transactions(
    db: Database, two: tuple[Services, Services]
) -> None:
    row_id = await _server(db, T0 - timedelta(hours=1))
    async with db.session() as session, session.begin():
        await leases.claim_expired(session, T0)
    later = T0 + timedelta(minutes=30)
    stale = later - DEFAULT_GRACE
    # both transactions open at once: the first holds the row, the second skips it
    async with two[0].db.session() as first, first.begin():
        got = await leases.reclaim_unfinished(first, later, claimed_before=stale)
        async with two[1].db.session() as second, second.begin():
            # a regression to waiting on the lock fails here instead of hanging
            await second.execute(text("SET LOCAL lock_timeout = '5s'"))
            other = await leases.reclaim_unfinished(second, later, claimed_before=stale)
    assert [d.instance.id for d in got] == [row_id] and other == []
    # once committed the claim has moved: a caller with the same view finds nothing
    async with two[1].db.session() as session, session.begin():
        assert await leases.reclaim_unfinished(session, later, claimed_before=stale) == []
        assert await leases.finish(session, row_id, later)
        assert not await leases.finish(session, row_id, later)  # done once


def test_delete_now_opens_the_servers_delete_confirmation() -> None:
    from bot.servers.views import ACTION_DELETE

    assert DELETE_NOW_ACTION == ACTION_DELETE


async def test_lease_jobs_skip_servers_deleted_or_being_deleted(
    db: Database, two: tuple[Services, Services]
) -> None:
    """No reminder and no lease-end action or message for a server that is gone;
    its lease is closed quietly, so the sweep does not read it again."""
    live = await _server(db, T0 + timedelta(hours=10))
    gone = await _server(db, T0 + timedelta(hours=10))
    going = await _server(db, T0 + timedelta(hours=10), status="deleting")
    async with db.session() as session, session.begin():
        row = await session.get(VpsInstance, gone)
        assert row is not None
        row.status = "deleted"  # as production deletes: the trigger stamps deleted_at
    ended: list[uuid.UUID] = []

    async def end(services: Services, row: VpsInstance, action: str) -> str:
        ended.append(row.id)
        return f"*{row.label}* was powered off: its lease ended."

    services = two[0]
    clock = Clock(T0)
    sweeper = LeaseSweeper(services, end=end, clock=clock)
    assert await sweeper.cycle() == (1, 0)  # the live one only
    reminded = [c.kwargs["blocks"] for c in services.slack.chat_postMessage.await_args_list]  # type: ignore[attr-defined]
    assert reminded and all(str(live) in str(b) for b in reminded)
    assert not any(str(gone) in str(b) or str(going) in str(b) for b in reminded)
    clock.now = T0 + timedelta(hours=11)
    assert await sweeper.cycle() == (0, 1)
    assert ended == [live]
    told = [str(c.kwargs) for c in services.slack.chat_postMessage.await_args_list]  # type: ignore[attr-defined]
    assert not any("already gone" in t for t in told)
    for row_id in (gone, going):
        ended_at, done_at = await _lease_state(db, row_id)
        assert ended_at == done_at == clock.now
    clock.now = T0 + timedelta(hours=12)
    assert await sweeper.cycle() == (0, 0)
