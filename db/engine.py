"""Async engine and session factory over asyncpg."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
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
        self._driver_pool: asyncpg.Pool | None = None
        self._driver_pool_size = max(2, pool_size // 2)
        self._driver_lock = asyncio.Lock()

    def session(self) -> AsyncSession:
        return self.sessions()

    @asynccontextmanager
    async def driver(self) -> AsyncIterator[Any]:
        """An asyncpg connection for the few hottest single-statement reads and
        writes (the create modal's draft), from a small pool of its own.

        Kept because it pays: a draft load plus save costs 0.6-0.7 ms of CPU here
        against 2.3 ms through SQLAlchemy Core on an autocommit connection
        (``bench/bench_drafts.py``), on a step transition of about 1.5 ms in all.
        asyncpg prepares and caches each statement per connection; statements run
        outside a transaction, so each commits on its own.
        """
        pool = self._driver_pool or await self._start_driver_pool()
        async with pool.acquire() as conn:
            yield conn

    async def _start_driver_pool(self) -> asyncpg.Pool:
        async with self._driver_lock:
            if self._driver_pool is None:
                self._driver_pool = await asyncpg.create_pool(
                    self.url.replace("postgresql+asyncpg://", "postgresql://", 1),
                    min_size=1,
                    max_size=self._driver_pool_size,
                    # idle connections are closed, as the engine's are recycled
                    max_inactive_connection_lifetime=300.0,
                )
            return self._driver_pool

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        if self._driver_pool is not None:
            pool, self._driver_pool = self._driver_pool, None
            await pool.close()
        await self.engine.dispose()
