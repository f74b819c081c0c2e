"""Shared bench helpers: a throw-away database and latency statistics."""

from __future__ import annotations

import os
import secrets
import statistics
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres"


async def _reachable(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


@asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[str]:
    """A fresh database for one bench run, dropped afterwards.

    Uses TEST_DATABASE_URL / DATABASE_URL, else the machine's PostgreSQL on
    127.0.0.1:5432, else an embedded server in a temporary directory.
    """
    admin = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    embedded = None
    tmp = None
    if not admin:
        if await _reachable(LOCAL):
            admin = LOCAL
        else:
            from db.embedded import EmbeddedPostgres

            tmp = tempfile.TemporaryDirectory(prefix="vpsbot-bench-")
            embedded = EmbeddedPostgres(Path(tmp.name))
            admin = embedded.start()
    admin = admin.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = f"{prefix}_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    parts = urlsplit(admin)
    url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    try:
        yield url
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
        if embedded is not None:
            embedded.stop()
        if tmp is not None:
            tmp.cleanup()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50) * 1000:7.2f} ms  p99 {percentile(values, 99) * 1000:7.2f} ms"
        f"  mean {statistics.fmean(values) * 1000:7.2f} ms  (n={len(values)})"
    )
