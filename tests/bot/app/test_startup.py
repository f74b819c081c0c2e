"""``vpsbot serve`` on the embedded PostgreSQL never leaves a server behind.

One data directory goes through every way a start can end: a SIGTERM in each
start-up phase (starting the database, migrating, connecting to Slack over
Socket Mode), a port already in use, a SIGKILL (which nothing can handle: the
server stays, with a stale handle) and then a clean run, which must prune the
stale handle and stop the server when it exits. After each, no postgres process
may serve the data directory. The clean run also proves the migrations on the
embedded server's major version (PostgreSQL 18).
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from db import migrate
from db.embedded import EmbeddedPostgres, postmaster_processes
from tests.bot.app.test_cli import COMMAND_TIMEOUT, base_env

WAIT = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Serve:
    """One ``vpsbot serve`` process whose stderr is read line by line."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path, *args: str) -> Serve:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=cwd,
        )
        return cls(proc)

    async def wait_for(self, text: str) -> None:
        """Read stderr until a line contains ``text``."""
        assert self.proc.stderr is not None

        async def read() -> None:
            assert self.proc.stderr is not None
            while True:
                raw = await self.proc.stderr.readline()
                if not raw:
                    raise AssertionError(f"exited before {text!r}:\n" + "".join(self.lines))
                self.lines.append(raw.decode())
                if text in self.lines[-1]:
                    return

        await asyncio.wait_for(read(), WAIT)

    async def finish(self, sig: signal.Signals | None = None) -> tuple[int, str]:
        """Send ``sig`` (if any), wait for the exit; the return code and all of stderr."""
        if sig is not None:
            self.proc.send_signal(sig)
        _, err = await asyncio.wait_for(self.proc.communicate(), COMMAND_TIMEOUT)
        assert self.proc.returncode is not None
        return self.proc.returncode, "".join(self.lines) + err.decode()


async def _no_server_left(pgdata: Path) -> None:
    for _ in range(100):  # a fast shutdown takes a moment to reap its children
        if not postmaster_processes(pgdata):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"postgres still serves {pgdata}: {postmaster_processes(pgdata)}")


def _last_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("vpsbot: error: ")]
    assert errors, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    return errors[-1]


@pytest.fixture
async def hanging_slack() -> AsyncIterator[str]:
    """A Slack Web API whose ``apps.connections.open`` never answers."""
    release = asyncio.Event()

    async def never(_: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": False, "error": "shutting_down"})

    app = web.Application()
    app.router.add_post("/api/apps.connections.open", never)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/api/"
    release.set()
    await runner.cleanup()


async def test_no_start_up_failure_or_signal_leaves_the_embedded_server(
    tmp_path: Path, hanging_slack: str
) -> None:
    (tmp_path / "home").mkdir()
    data = tmp_path / "data"
    pgdata = data / "postgres"
    port = _free_port()
    env = base_env(tmp_path) | {
        "SLACK_BOT_TOKEN": "xoxb-0000-fake-token",
        "SLACK_SIGNING_SECRET": "fake-signing-secret",
        "SLACK_API_URL": hanging_slack,
        "PORT": str(port),
    }

    # 1. SIGTERM while the embedded server is being created (initdb, pg_ctl start)
    serve = await Serve.start(env, tmp_path, "--migrate")
    await serve.wait_for("start-up: database")
    code, err = await serve.finish(signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, err[-2000:]
    assert _last_error(err).startswith("vpsbot: error: stopped by SIGTERM during start-up (")
    await _no_server_left(pgdata)

    # 2. SIGTERM while migrations wait for the advisory lock that another
    #    process (then SIGKILLed: its handle goes stale) holds
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from pathlib import Path; from db.embedded import EmbeddedPostgres; "
        "s = EmbeddedPostgres(Path(sys.argv[1])); print(s.create_database('vpsbot') "
        "if s.start() else '', flush=True); sys.stdin.readline()",
        str(data),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    assert holder.stdout is not None
    url = (await asyncio.wait_for(holder.stdout.readline(), WAIT)).decode().strip()
    lock = await asyncpg.connect(url)
    await lock.execute("SELECT pg_advisory_lock($1)", migrate._LOCK_ID)
    serve = await Serve.start(env, tmp_path, "--migrate")
    await serve.wait_for("start-up: migrations")
    holder.kill()
    await holder.wait()
    await asyncio.sleep(0.5)  # the migration is now blocked on the lock
    code, err = await serve.finish(signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, err[-2000:]
    assert _last_error(err).startswith(
        "vpsbot: error: stopped by SIGTERM during start-up (migrations)"
    )
    await _no_server_left(pgdata)
    lock.terminate()

    # 3. SIGTERM while connecting to Slack over Socket Mode (never answered)
    serve = await Serve.start(env | {"SLACK_APP_TOKEN": "xapp-1-fake-app-token"}, tmp_path)
    await serve.wait_for("start-up: Socket Mode connect")
    code, err = await serve.finish(signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, err[-2000:]
    assert _last_error(err).startswith(
        "vpsbot: error: stopped by SIGTERM during start-up (Socket Mode connect)"
    )
    await _no_server_left(pgdata)

    # 4. the port is taken: one line naming PORT, and the server is stopped
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        serve = await Serve.start(env, tmp_path, "--migrate")
        code, err = await serve.finish()
    assert code == 1
    assert _last_error(err) == (
        f"vpsbot: error: PORT: 127.0.0.1:{port} is already in use by another process "
        "(stop it, or set PORT to a free port)"
    )
    await _no_server_left(pgdata)

    # 5. SIGKILL once running: nothing can clean up, the server stays with a stale handle
    serve = await Serve.start(env, tmp_path, "--migrate")
    await serve.wait_for("start-up: listening")
    await _ready(port)
    killed = serve.proc.pid
    await serve.finish(signal.SIGKILL)
    assert postmaster_processes(pgdata), "a SIGKILLed process cannot stop its server"
    assert killed in _handles(pgdata)

    # 6. a clean run joins that server, runs on PostgreSQL 18, and stops it on SIGTERM
    serve = await Serve.start(env, tmp_path, "--migrate")
    await serve.wait_for("start-up: listening")
    await _ready(port)
    socket_dir = (pgdata / "postmaster.pid").read_text().splitlines()[4]  # pid file line 5
    conn = await asyncpg.connect(f"postgresql://postgres@/vpsbot?host={socket_dir}")
    try:
        assert int(await conn.fetchval("SHOW server_version_num")) >= 180000
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == (
            migrate.head_revision()
        )
    finally:
        await conn.close()
    code, err = await serve.finish(signal.SIGTERM)
    assert code == 0, err[-2000:]
    assert "Traceback" not in err
    await _no_server_left(pgdata)
    assert _handles(pgdata) == []


def _handles(pgdata: Path) -> list[int]:
    import json

    return list(json.loads((pgdata / ".handle_pids.json").read_text()))


async def _ready(port: int) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(int(WAIT * 10)):
            try:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("vpsbot never became ready")


async def test_a_start_interrupted_inside_the_library_leaves_nothing(tmp_path: Path) -> None:
    """Stop works from any state: a first start interrupted by SIGTERM at a random
    point inside initdb or pg_ctl (no pid file yet, or a half-started server)."""
    script = (
        "import sys, signal; from pathlib import Path; from db.embedded import EmbeddedPostgres\n"
        "def bye(*_): raise SystemExit(143)\n"
        "signal.signal(signal.SIGTERM, bye)\n"
        "s = EmbeddedPostgres(Path(sys.argv[1])); print('go', flush=True); s.start()\n"
        "print('up', flush=True); sys.stdin.readline()\n"
    )
    for delay in (0.2, 0.6, 1.0):
        data = tmp_path / f"d{delay}"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            script,
            str(data),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=tmp_path,
        )
        assert proc.stdout is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), WAIT)).strip() == b"go"
        await asyncio.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), COMMAND_TIMEOUT)
        await _no_server_left(data / "postgres")


def test_stop_prunes_dead_handles(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path)
    server.start()
    try:
        (server.path / ".handle_pids.json").write_text(
            f"[{_dead_pid()}, {__import__('os').getpid()}]"
        )
    finally:
        server.stop()
    assert postmaster_processes(server.path) == []
    assert _handles(server.path) == []


def _dead_pid() -> int:
    import subprocess

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
