"""The sweep of abandoned OAuth states, against the real store and database: a
state is swept once its expiry has passed on the (injected) clock, never before,
and a state still valid can still complete its install."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import text

from bot.core.services import Services
from bot.workspaces.states import STATE_SECONDS, sweep_states, sweep_states_forever
from db.repo import workspaces


def _store(services: Services) -> AsyncSQLAlchemyOAuthStateStore:
    return AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_SECONDS, engine=services.db.engine
    )


async def _states(services: Services) -> int:
    async with services.db.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM slack_oauth_states"))).scalar())


async def test_an_abandoned_state_is_swept_once_expired_and_not_before(
    services: Services,
) -> None:
    store = _store(services)
    issued = datetime.now(UTC)
    abandoned = await store.async_issue()
    kept = await store.async_issue()
    assert await _states(services) == 2
    # just before expiry both stay, and either could still complete an install
    assert await sweep_states(services, now=issued + timedelta(seconds=STATE_SECONDS - 5)) == 0
    assert await _states(services) == 2
    assert await store.async_consume(kept)
    # past expiry the abandoned one goes: it could never be consumed anyway
    later = datetime.now(UTC) + timedelta(seconds=STATE_SECONDS + 1)
    assert await sweep_states(services, now=later) == 1
    assert await _states(services) == 0
    assert not await store.async_consume(abandoned)


async def test_the_sweep_reads_naive_utc_like_the_store_writes_it(services: Services) -> None:
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    async with services.db.session() as session, session.begin():
        await session.execute(
            text("INSERT INTO slack_oauth_states (state, expire_at) VALUES (:s, :at)"),
            [
                {"s": "old", "at": datetime(2030, 1, 1, 11, 59, 59)},
                {"s": "edge", "at": datetime(2030, 1, 1, 12, 0)},
                {"s": "fresh", "at": datetime(2030, 1, 1, 12, 0, 1)},
            ],
        )
    # the same instant given in another time zone sweeps the same rows
    elsewhere = now.astimezone(timezone(timedelta(hours=2)))
    async with services.db.session() as session, session.begin():
        assert await workspaces.drop_expired_states(session, elsewhere) == 2
    async with services.db.engine.connect() as conn:
        left = (await conn.execute(text("SELECT state FROM slack_oauth_states"))).scalars()
        assert list(left) == ["fresh"]


async def test_the_job_sweeps_at_start_and_stops_when_told(services: Services) -> None:
    async with services.db.session() as session, session.begin():
        await session.execute(
            text("INSERT INTO slack_oauth_states (state, expire_at) VALUES ('gone', :at)"),
            {"at": datetime(2001, 1, 1)},
        )
    stop = asyncio.Event()
    stop.set()  # already asked to stop: one sweep, then it returns
    await asyncio.wait_for(sweep_states_forever(services, stop, interval=3600), 5)
    assert await _states(services) == 0
