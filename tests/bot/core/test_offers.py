"""The offer cache: served from memory, dropped the moment a provider or plan changes."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import text

from bot.core.offers import OfferCache
from db.engine import Database
from db.repo import plans, providers

#: A plan runs somewhere: without regions it is offered nowhere.
REGIONS = {"regions": ["nyc3"]}


async def _until(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_cached_until_a_change_is_committed_anywhere(db: Database) -> None:
    async with db.session() as session, session.begin():
        row = await providers.add(session, name="do", type="digitalocean", api_key_encrypted="x")
        await plans.upsert(
            session, row.id, [plans.PlanInput("s-1", "s-1", Decimal(6), Decimal(1), REGIONS)]
        )
    cache = OfferCache(db)
    await cache.start()
    announced: list[str] = []
    cache.on_change(announced.append)
    try:
        assert [r.name for r in await cache.providers()] == ["do"]
        assert [p.provider_plan_id for p in await cache.plans(row.id)] == ["s-1"]
        # a second read does not touch the database: prove it by changing the rows
        # underneath without a notification (triggers off for this one statement)
        async with db.engine.begin() as conn:
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text("UPDATE service_providers SET name = 'silent'"))
        assert [r.name for r in await cache.providers()] == ["do"]

        # a committed change through plain SQL is announced and drops the cache
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE vps_plans SET active = false"))
        await _until(lambda: announced)
        assert announced[0] == str(row.id)
        assert await cache.plans(row.id) == []
        assert [r.name for r in await cache.providers()] == ["silent"]
    finally:
        await cache.stop()


async def test_without_a_listener_every_read_queries(db: Database) -> None:
    cache = OfferCache(db)  # never started: no LISTEN, so no caching
    assert await cache.providers() == []
    async with db.session() as session, session.begin():
        await providers.add(session, name="li", type="linode", api_key_encrypted="x")
    assert [r.name for r in await cache.providers()] == ["li"]


async def test_concurrent_misses_share_one_query(db: Database) -> None:
    from db.repo import plans as plans_repo

    async with db.session() as session, session.begin():
        row = await providers.add(session, name="do", type="digitalocean", api_key_encrypted="x")
    cache = OfferCache(db)
    await cache.start()
    calls = 0
    original = plans_repo.list_offered

    async def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return await original(*args, **kwargs)

    plans_repo.list_offered = counted  # type: ignore[assignment]
    try:
        await asyncio.gather(*(cache.plans(row.id) for _ in range(50)))
        assert calls == 1
    finally:
        plans_repo.list_offered = original  # type: ignore[assignment]
        await cache.stop()


async def test_a_plan_no_region_runs_is_offered_nowhere_and_named(db: Database) -> None:
    async with db.session() as session, session.begin():
        row = await providers.add(
            session, name="nowhere", type="linode", api_key_encrypted="ciphertext"
        )
        await plans.upsert(
            session,
            row.id,
            [
                plans.PlanInput("runs", "runs", Decimal(6), Decimal(1), REGIONS),
                plans.PlanInput("sold-out", "sold-out", Decimal(6), Decimal(1), {"regions": []}),
                plans.PlanInput("unknown", "unknown", Decimal(6), Decimal(1), {"vcpus": 1}),
                plans.PlanInput("odd", "odd", Decimal(6), Decimal(1), {"regions": "nyc3"}),
                plans.PlanInput("free", "free", Decimal(0), Decimal(0), {"regions": []}),
            ],
        )
    async with db.session() as session:
        assert [p.provider_plan_id for p in await plans.list_offered(session, row.id)] == ["runs"]
        # unpriced ones are named by plans.unpriced already
        assert await plans.regionless(session, row.id) == ["odd", "sold-out", "unknown"]
