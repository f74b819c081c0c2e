"""The create modal's draft storage: what the one database path costs.

Every step transition loads the draft and saves it back. This times that pair
as vpsbot does it (``db.repo.drafts`` on ``Database.connect()``: SQLAlchemy Core
on an autocommit connection from the engine's pool) against the same two
statements on a raw asyncpg pool (the side pool vpsbot had until issue 20, kept
here as the baseline), alternating rounds in one process on one scratch
database, and prints CPU and wall time per load + save and the ratio. Under
half a minute.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from bench._common import scratch_database
from db import migrate
from db.engine import Database
from db.repo import drafts

PAIRS = 1000
ROUNDS = 3
DATA: dict[str, Any] = {
    "label": "web-1",
    "provider_id": "5f1c0b9e-1d7a-4c55-9a55-1f7e2f0c9b11",
    "plan_id": "0e3a8a1c-5b0e-4e0e-8f3a-2b9d1c7e4f22",
    "region": "us-east",
    "options": {"private_ip": True},
    "deployment_fields": {f"field_{i}": "value " * 4 for i in range(5)},
}


# the same two statements as db.repo.drafts, prepared once per raw connection
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


class Paths:
    """The two ways to the drafts table being compared."""

    def __init__(self, db: Database, raw: asyncpg.Pool) -> None:
        self.db = db
        self.raw = raw

    async def vpsbot(self, view: str) -> None:
        async with self.db.connect() as conn:
            await drafts.save(
                conn,
                view_id=view,
                team_id="T1",
                user_id="U1",
                channel_id="C1",
                step="plan",
                data=DATA,
            )
        async with self.db.connect() as conn:
            await drafts.load(conn, view)

    async def asyncpg(self, view: str) -> None:
        async with self.raw.acquire() as conn:
            await conn.execute(_SAVE_SQL, view, "T1", "U1", "C1", "plan", json.dumps(DATA))
        async with self.raw.acquire() as conn:
            record = await conn.fetchrow(_FETCH_SQL, view)
            json.loads(record["data"])


async def _time(pair: Callable[[str], Awaitable[None]]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(PAIRS):
        await pair(f"V{i % 50}")
    return (time.process_time() - cpu) / PAIRS * 1e3, (time.perf_counter() - wall) / PAIRS * 1e3


async def main() -> None:
    async with scratch_database("bench_drafts") as url:
        db = Database(url)
        await migrate.upgrade(db.engine)
        raw = await asyncpg.create_pool(url, min_size=1, max_size=4)
        paths = Paths(db, raw)
        await _time(paths.asyncpg)  # warm both paths: pools, prepared statements
        await _time(paths.vpsbot)
        results: dict[str, list[tuple[float, float]]] = {"asyncpg": [], "vpsbot": []}
        for _ in range(ROUNDS):
            results["asyncpg"].append(await _time(paths.asyncpg))
            results["vpsbot"].append(await _time(paths.vpsbot))
        await raw.close()
        await db.dispose()
    print(f"draft load + save, {PAIRS} pairs x {ROUNDS} alternating rounds")
    for name, label in (
        ("vpsbot", "SQLAlchemy Core, autocommit (vpsbot)"),
        ("asyncpg", "raw asyncpg pool (baseline)"),
    ):
        cpu = sorted(c for c, _ in results[name])[ROUNDS // 2]
        wall = sorted(w for _, w in results[name])[ROUNDS // 2]
        print(f"  {label:37s} CPU {cpu:.3f} ms  wall {wall:.3f} ms (median)")
    ratios = sorted(
        v / a for (a, _), (v, _) in zip(results["asyncpg"], results["vpsbot"], strict=True)
    )
    extra = sorted(
        v - a for (a, _), (v, _) in zip(results["asyncpg"], results["vpsbot"], strict=True)
    )
    print(f"  CPU ratio vpsbot / raw asyncpg: {ratios[0]:.2f}-{ratios[-1]:.2f}x")
    print(f"  CPU vpsbot pays over raw asyncpg per transition: {extra[0]:.3f}-{extra[-1]:.3f} ms")


if __name__ == "__main__":
    asyncio.run(main())
