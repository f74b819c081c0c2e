"""A private PostgreSQL for fresh clones and local runs (pgserver).

The server lives in ``<data dir>/postgres``. pgserver counts the processes that
hold a handle on it, so a second vpsbot process on the same data directory
reuses the running server, and the last one to exit stops it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

__all__ = ["EmbeddedPostgres"]

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """Start (or join) the embedded server; :meth:`url` is its connection URL."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "postgres"
        self._server: Any = None

    def start(self) -> str:
        with warnings.catch_warnings():
            # pgserver keeps its lock under the user's runtime directory; when
            # XDG_RUNTIME_DIR is unset platformdirs falls back to /tmp and warns
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            from pgserver.postgres_server import get_server

        self.path.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded PostgreSQL in %s", self.path)
        self._server = get_server(self.path, cleanup_mode="stop")
        return self.url()

    def url(self, database: str = "postgres") -> str:
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not started")
        return str(self._server.get_uri(database))

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
        """Release this process's handle; the server stops with the last one."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
