"""The embedded PostgreSQL: started on demand, shared by a second process, stopped by the last."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import asyncpg

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from db.embedded import EmbeddedPostgres
    server = EmbeddedPostgres(Path(sys.argv[1]))
    print(server.start(), flush=True)
    sys.stdin.readline()   # hold the handle until told to go
    server.stop()
    print("stopped", flush=True)
    """
)


def _holder(data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


async def _alive(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=5)
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        return await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


async def test_second_process_reuses_and_last_one_stops(tmp_path: Path) -> None:
    first = _holder(tmp_path)
    assert first.stdout is not None and first.stdin is not None
    url = first.stdout.readline().strip()
    assert url and await _alive(url)

    second = _holder(tmp_path)
    assert second.stdout is not None and second.stdin is not None
    assert second.stdout.readline().strip() == url  # joined the same server

    first.stdin.write("\n")
    first.stdin.flush()
    assert first.stdout.readline().strip() == "stopped"
    first.wait(30)
    assert await _alive(url), "server must survive while another process holds it"

    second.stdin.write("\n")
    second.stdin.flush()
    second.wait(60)
    for _ in range(100):  # the server takes a moment to shut down
        if not await _alive(url):
            break
        await asyncio.sleep(0.2)
    assert not await _alive(url), "the last process out stops the server"


async def test_migrations_on_the_embedded_major_version_and_under_the_lock(
    tmp_path: Path,
) -> None:
    """The embedded server is PostgreSQL 18: every migration goes up, down and up
    again there, and three replicas migrating at once migrate exactly once (the
    advisory lock the Kubernetes Job relies on)."""
    from db import migrate
    from db.embedded import EmbeddedPostgres, postmaster_processes
    from db.engine import Database

    server = EmbeddedPostgres(tmp_path)
    server.start()
    try:
        assert server.server_version().startswith("18.")
        round_trip = Database(server.create_database("round_trip"))
        try:
            async with round_trip.engine.connect() as conn:
                version = (await conn.exec_driver_sql("SHOW server_version_num")).scalar()
            assert int(str(version)) >= 180000
            await migrate.upgrade(round_trip.engine)
            await migrate.downgrade(round_trip.engine, "base")
            assert await migrate.current_revision(round_trip.engine) is None
            await migrate.upgrade(round_trip.engine)
            assert await migrate.current_revision(round_trip.engine) == migrate.head_revision()
        finally:
            await round_trip.dispose()

        url = server.create_database("racing")
        replicas = [Database(url) for _ in range(3)]
        try:
            await asyncio.gather(*(migrate.upgrade(r.engine) for r in replicas))
            async with replicas[0].engine.connect() as conn:
                rows = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).all()
            assert [tuple(row) for row in rows] == [(migrate.head_revision(),)]
        finally:
            for replica in replicas:
                await replica.dispose()
    finally:
        server.stop()
    assert postmaster_processes(server.path) == []
