"""Spend guardrails at scale: the claim-time budget check and the lease sweep.

A fresh database (see ``bench/_common.py``) is migrated and filled with 100,000
``vps_instances`` rows in ONE workspace (the worst case for the workspace sum)
spread over 1,000 members, created over the last 90 days, a third of them
deleted since, each with a marked-up price and a lease (a few dozen due now; a
fifth ended and done, and a few dozen ended long ago without their done mark,
as a sweeper that died would leave them).
Then, in one run:

* baseline — ``SELECT 1`` in a transaction through the same session factory;
* check    — :func:`bot.spend.guard.check` with ``lock=True`` in a transaction
             (the policy row locked, the member's override, the member's servers
             summed over the spend index, the workspace's total from its
             ``spend_totals`` row), rolled back, for random members; the month's
             first check (which stores that row from the full sum) is timed apart;
* sweep    — one expiry claim of the lease sweep (rolled back), and the plan of
             its read: it must use ``idx_vps_instances_lease_open`` and read only
             the due rows, not 100,000;
* recovery — one re-claim of the unfinished lease ends (rolled back), and the
             plan of its read: it must use ``idx_vps_instances_lease_unfinished``
             and read only the unfinished rows, not the 20,000 ended ones.

Prints p50/p99, the ratio to the baseline, and the plan. Run:
    .venv/bin/python bench/bench_spend.py [--runs 500]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import percentile, scratch_database, summary  # noqa: E402

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

ROWS = 100_000
MEMBERS = 1_000
TEAM = "TBENCH0001"

_SEED = """
INSERT INTO vps_instances (label, status, team_id, created_by, provider_type, tag,
                           created_at, deleted_at, price_hourly, price_monthly, expires_at,
                           lease_ended_at, lease_end_done_at)
SELECT
    'srv-' || g,
    CASE WHEN g % 3 = 0 THEN 'deleted' ELSE 'running' END,
    $1,
    'U' || lpad((g % $2)::text, 5, '0'),
    'digitalocean',
    'vpsbot-bench-' || g,
    now() - make_interval(mins => (g * 7919) % (90 * 24 * 60)),
    CASE WHEN g % 3 = 0
         THEN now() - make_interval(mins => ((g * 7919) % (90 * 24 * 60)) / 2) END,
    (ARRAY[0.0071, 0.0143, 0.0286, 0.0571])[1 + g % 4],
    (ARRAY[5.00, 10.00, 20.00, 40.00])[1 + g % 4],
    CASE WHEN g % 2000 = 0 THEN now() - interval '1 minute'
         WHEN g % 5 = 1 THEN now() - make_interval(hours => 1 + g % 2000)
         ELSE now() + make_interval(hours => 24 + g % 2000) END,
    CASE WHEN g % 5 = 1 THEN now() - make_interval(hours => 1 + g % 2000) END,
    CASE WHEN g % 5 = 1 AND g % 2000 <> 1 THEN now() - make_interval(hours => 1 + g % 2000) END
FROM generate_series(1, $3) AS g
"""


async def main(runs: int) -> None:
    from sqlalchemy import text

    from bot.spend import guard
    from bot.status.leases import DEFAULT_GRACE
    from db import migrate
    from db.engine import Database
    from db.repo import leases

    async with scratch_database("vpsbot_bench_spend") as url:
        database = Database(url)
        await migrate.upgrade(database.engine)
        async with database.engine.begin() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            started = time.perf_counter()
            await driver.execute(_SEED, TEAM, MEMBERS, ROWS)
            # the trigger stamped deleted_at with now(); put it back in the past
            await driver.execute(
                "UPDATE vps_instances SET deleted_at = created_at + (now() - created_at) / 2 "
                "WHERE status = 'deleted'"
            )
        async with database.engine.connect() as conn:
            # as autovacuum would have it after the load: statistics and visibility map
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE vps_instances"))
            took = time.perf_counter() - started
            print(f"seeded {ROWS:,} servers, {MEMBERS:,} members in {took:.1f} s")
        now = datetime.now(UTC)
        rng = random.Random(7)

        async def baseline() -> None:
            async with database.session() as session, session.begin():
                await session.execute(text("SELECT 1"))

        async def check() -> None:
            user = f"U{rng.randrange(MEMBERS):05d}"
            async with database.session() as session, session.begin():
                await guard.check(
                    session,
                    team_id=TEAM,
                    user_id=user,
                    hourly=Decimal("0.0286"),
                    monthly=Decimal("20.00"),
                    now=now,
                    lock=True,
                )
                await session.rollback()

        async def timed(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
            for _ in range(20):
                await fn()
            out = []
            for _ in range(n):
                t0 = time.perf_counter()
                await fn()
                out.append(time.perf_counter() - t0)
            return out

        # the month's first claim stores the workspace total (committed, as a real
        # claim would); the timed checks then read it and roll back
        t0 = time.perf_counter()
        async with database.session() as session, session.begin():
            await guard.check(
                session,
                team_id=TEAM,
                user_id="U00000",
                hourly=Decimal("0.0286"),
                monthly=Decimal("20.00"),
                now=now,
                lock=True,
            )
        first = time.perf_counter() - t0
        base = await timed(baseline, runs)
        checks = await timed(check, runs)
        print(f"month's first check (stores the workspace total): {first * 1000:.1f} ms")
        print(f"baseline (SELECT 1)   {summary(base)}")
        print(f"budget check (claim)  {summary(checks)}")
        print(
            f"  check p99 / baseline p99 = "
            f"{percentile(checks, 99) / percentile(base, 99):.1f}x; "
            f"p99 {'under' if percentile(checks, 99) < 0.010 else 'OVER'} 10 ms"
        )

        async def explain(query: Any) -> list[str]:
            compiled = query.compile(
                database.engine.sync_engine, compile_kwargs={"literal_binds": True}
            )
            async with database.engine.connect() as conn:
                found = await conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}"))
                return list(found.scalars().all())

        async def read(title: str, query: Any, index: str, counts: str) -> None:
            """EXPLAIN one sweep read, with the row counts ``counts`` selects."""
            plan = await explain(query)
            async with database.engine.connect() as conn:
                found = (await conn.execute(text(counts))).one()
            print(title.format(*found))
            for line in plan:
                print("   ", line)
            print(f"  uses {index}: {any(index in line for line in plan)}")

        async def claims(title: str, claim: Callable[[AsyncSession], Awaitable[list[Any]]]) -> None:
            """Time 50 claims, each rolled back so every run finds the same rows."""

            async def once() -> int:
                async with database.session() as session, session.begin():
                    claimed = await claim(session)
                    await session.rollback()
                return len(claimed)

            times = []
            for _ in range(50):
                t0 = time.perf_counter()
                count = await once()
                times.append(time.perf_counter() - t0)
            print(f"{title} ({count} rows)  {summary(times)}")

        await read(
            f"lease sweep read ({{}} due of {ROWS:,}):",
            leases.open_leases_query(now, 200),
            "idx_vps_instances_lease_open",
            "SELECT count(*) FROM vps_instances WHERE expires_at <= now() "
            "AND lease_ended_at IS NULL",
        )
        await claims("lease sweep claim", lambda s: leases.claim_expired(s, now, limit=200))
        stale = now - DEFAULT_GRACE
        await read(
            "lease recovery read ({} unfinished of {:,} ended):",
            leases.unfinished_query(stale, 200),
            "idx_vps_instances_lease_unfinished",
            "SELECT count(*) FILTER (WHERE lease_end_done_at IS NULL), count(*) "
            "FROM vps_instances WHERE lease_ended_at IS NOT NULL",
        )
        await claims(
            "lease recovery re-claim",
            lambda s: leases.reclaim_unfinished(s, now, claimed_before=stale, limit=200),
        )
        await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    asyncio.run(main(parser.parse_args().runs))
