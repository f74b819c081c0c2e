"""Async engine and session factory over asyncpg."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

__all__ = ["Database", "asyncpg_url"]


def asyncpg_url(url: str) -> str:
    """Turn any ``postgres://``/``postgresql://`` URL into SQLAlchemy's asyncpg form."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL URL: scheme {parts.scheme!r}")
    return urlunsplit(("postgresql+asyncpg", *parts[1:]))


class Database:
    """Owns the engine and hands out sessions; one per process."""

    def __init__(self, url: str, *, pool_size: int = 20, echo: bool = False) -> None:
        self.url = asyncpg_url(url)
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=pool_size,
            # overflow connections are closed on return: keep the pool big enough
            # that a burst does not churn (each new connection costs a TLS probe)
            max_overflow=pool_size // 2,
            # no pre-ping: it costs a BEGIN/ROLLBACK round trip per checkout on the hot
            # path; connections are recycled instead, and a dead one fails one query
            pool_recycle=1800,
            echo=echo,
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        #: the same pool, each statement committing on its own (no BEGIN/COMMIT
        #: round trips around a single statement)
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    def session(self) -> AsyncSession:
        return self.sessions()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection from the engine's pool on which each statement commits on
        its own: for single-statement reads and writes on the hot path (the create
        modal's draft), which a session would wrap in a transaction each."""
        async with self._autocommit.connect() as conn:
            yield conn

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
