"""The sweep of abandoned OAuth states, against the real store and database: a
state is swept once its expiry has passed on the (injected) clock, never before,
and a state still valid can still complete its install."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta, timezone

from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import text

from bot.core.services import Services
from bot.workspaces.states import (
    STATE_SECONDS,
    SignedStateStore,
    sweep_states,
    sweep_states_forever,
)
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


def _signed(services: Services, clock: list[float], secret: str = "app") -> SignedStateStore:
    return SignedStateStore(
        secret=secret, db=services.db, logger=logging.getLogger("test"), clock=lambda: clock[0]
    )


async def test_issuing_signed_states_writes_nothing_and_each_completes_one_install(
    services: Services,
) -> None:
    clock = [time.time()]
    store = _signed(services, clock)
    issued = [await store.async_issue() for _ in range(200)]
    assert len(set(issued)) == 200 and all(len(s) <= 200 for s in issued)
    assert await _states(services) == 0  # anyone may open /slack/install: no row
    first, second = issued[:2]
    assert await store.async_consume(first)
    assert not await store.async_consume(first)  # used once, never again
    assert await _states(services) == 1
    # two callbacks with the same state at once: one install
    both = await asyncio.gather(store.async_consume(second), store.async_consume(second))
    assert sorted(both) == [False, True]
    # the used states are swept once expired
    later = datetime.fromtimestamp(clock[0], UTC) + timedelta(seconds=STATE_SECONDS + 1)
    assert await sweep_states(services, now=later) == 2


async def test_a_forged_tampered_or_expired_state_is_refused(services: Services) -> None:
    clock = [time.time()]
    store = _signed(services, clock)
    state = await store.async_issue()
    nonce, expires, signature = state.split(".")
    elsewhere = await _signed(services, clock, secret="another-app").async_issue()
    for forged in (
        f"{nonce}.{int(expires) + 3600}.{signature}",  # a later expiry, same signature
        f"x{nonce}.{expires}.{signature}",
        f"{nonce}.{expires}.{signature[:-2]}",
        elsewhere,
        "",
        "a.b",
        "no-dots-at-all",
        f"{nonce}.-5.{signature}",
    ):
        assert not await store.async_consume(forged), forged
    clock[0] += STATE_SECONDS + 1
    assert not await store.async_consume(state)  # expired
    assert await _states(services) == 0
