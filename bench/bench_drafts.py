"""The create modal's draft storage: why it has an asyncpg pool of its own.

Every step transition loads the draft and saves it back. This times that pair
over the draft's own asyncpg pool (``Database.driver``, what vpsbot uses) against
the plain path, SQLAlchemy Core on an autocommit connection, alternating rounds
in one process on one scratch database, and prints CPU and wall time per
load + save and the ratio. Under half a minute.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from bench._common import scratch_database
from db import migrate
from db.engine import Database
from db.models import CreateDraft
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


async def _driver_pair(db: Database, view: str) -> None:
    async with db.driver() as conn:
        await drafts.save(
            conn, view_id=view, team_id="T1", user_id="U1", channel_id="C1", step="plan", data=DATA
        )
    async with db.driver() as conn:
        await drafts.load(conn, view)


async def _core_pair(db: Database, view: str) -> None:
    autocommit = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    row = {"team_id": "T1", "user_id": "U1", "channel_id": "C1", "step": "plan", "data": DATA}
    async with autocommit.connect() as conn:
        await conn.execute(
            insert(CreateDraft)
            .values(view_id=view, **row)
            .on_conflict_do_update(
                index_elements=[CreateDraft.view_id],
                set_={"step": "plan", "data": DATA, "updated_at": func.now()},
                where=CreateDraft.instance_id.is_(None),
            )
        )
    async with autocommit.connect() as conn:
        columns = CreateDraft.__table__.c
        (await conn.execute(select(*columns).where(columns.view_id == view))).first()


async def _time(
    pair: Callable[[Database, str], Awaitable[None]], db: Database
) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(PAIRS):
        await pair(db, f"V{i % 50}")
    return (time.process_time() - cpu) / PAIRS * 1e3, (time.perf_counter() - wall) / PAIRS * 1e3


async def main() -> None:
    async with scratch_database("bench_drafts") as url:
        db = Database(url)
        await migrate.upgrade(db.engine)
        await _time(_driver_pair, db)  # warm both paths: pools, prepared statements
        await _time(_core_pair, db)
        results: dict[str, list[tuple[float, float]]] = {"driver": [], "core": []}
        for _ in range(ROUNDS):
            results["driver"].append(await _time(_driver_pair, db))
            results["core"].append(await _time(_core_pair, db))
        await db.dispose()
    print(f"draft load + save, {PAIRS} pairs x {ROUNDS} alternating rounds")
    for name, label in (
        ("driver", "asyncpg pool (vpsbot)"),
        ("core", "SQLAlchemy Core, autocommit"),
    ):
        cpu = sorted(c for c, _ in results[name])[ROUNDS // 2]
        wall = sorted(w for _, w in results[name])[ROUNDS // 2]
        print(f"  {label:30s} CPU {cpu:.3f} ms  wall {wall:.3f} ms (median)")
    ratios = sorted(
        c / d for (d, _), (c, _) in zip(results["driver"], results["core"], strict=True)
    )
    print(f"  CPU ratio plain path / asyncpg pool: {ratios[0]:.2f}-{ratios[-1]:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
