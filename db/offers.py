"""What `/vps create` may offer — active providers and their active plans — cached.

Reading these on every command would cost two queries per request on the hot
path. The cache keeps them in memory and is dropped on the ``vpsbot_catalog``
notification that triggers send when a provider or plan changes (migration
0005), so every replica sees a change as soon as it is committed. Without a
live listener the cache is bypassed (always query); a TTL bounds staleness if
a notice were ever missed.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from db.engine import Database
from db.models import Plan, ServiceProvider
from db.repo import plans, providers
from db.repo.providers import Scope

__all__ = ["CHANNEL", "OfferCache"]

log = logging.getLogger(__name__)

CHANNEL = "vpsbot_catalog"

T = TypeVar("T")


class OfferCache:
    """Active providers and offered plans, invalidated by LISTEN/NOTIFY."""

    def __init__(self, db: Database, *, ttl: float = 300.0) -> None:
        self.db = db
        self.ttl = ttl
        self._providers: tuple[float, list[ServiceProvider]] | None = None
        self._shares: dict[uuid.UUID, frozenset[str]] = {}
        self._plans: dict[uuid.UUID, tuple[float, list[Plan]]] = {}
        self._listener: Any = None
        self._watchers: list[Callable[[str], None]] = []
        self._generation = 0
        self._loading: dict[object, asyncio.Future[Any]] = {}

    @property
    def generation(self) -> int | None:
        """Changes whenever the offer may have changed; None when not listening
        (then nothing derived from the offer may be cached either)."""
        return self._generation if self.listening else None

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()

    def on_change(self, callback: Callable[[str], None]) -> None:
        """Also call ``callback(provider_id)`` when a change is announced."""
        self._watchers.append(callback)

    async def start(self) -> None:
        """Open the listening connection (idempotent); failures leave the cache off."""
        if self.listening:
            return
        dsn = self.db.url.replace("postgresql+asyncpg://", "postgresql://", 1)
        try:
            self._listener = await asyncpg.connect(dsn)
            await self._listener.add_listener(CHANNEL, self._notified)
            self._listener.add_termination_listener(lambda _conn: self.clear())
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("offer cache disabled: cannot LISTEN (%s)", exc)
            self._listener = None

    async def stop(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close()
        self._listener = None
        self.clear()

    def clear(self) -> None:
        self._generation += 1  # loads that started before the change are not stored
        self._providers = None
        self._plans.clear()

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.clear()
        for callback in self._watchers:
            callback(payload)

    def _fresh(self, stamp: float) -> bool:
        return self.listening and time.monotonic() - stamp < self.ttl

    async def _once(self, key: object, load: Callable[[], Awaitable[T]]) -> T:
        """Concurrent misses on one key share a single query (no stampede after a
        change, when every request in flight misses at once)."""
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.ensure_future(load())
            self._loading[key] = pending
            pending.add_done_callback(lambda _f: self._loading.pop(key, None))
        return await asyncio.shield(pending)

    async def providers(self) -> list[ServiceProvider]:
        cached = self._providers
        if cached is not None and self._fresh(cached[0]):
            return cached[1]

        async def load() -> list[ServiceProvider]:
            generation = self._generation
            async with self.db.session() as session:
                rows = await providers.list_all(session, active_only=True)
                shares = await providers.shares(session)
            if generation == self._generation:
                self._providers = (time.monotonic(), rows)
                self._shares = shares
            return rows

        return await self._once(("providers", self._generation), load)

    async def providers_for(self, scope: Scope) -> list[ServiceProvider]:
        """The active providers ``scope``'s workspace may offer (own, shared, and
        operator-level ones in single-workspace mode)."""
        rows = await self.providers()
        if self._providers is None or self._providers[1] is not rows:
            # not cached (no listener): read the shares with the rows' visibility
            async with self.db.session() as session:
                return await providers.list_all(session, active_only=True, scope=scope)
        shares = self._shares
        return [row for row in rows if scope.sees(row, shares.get(row.id, frozenset()))]

    async def plans(self, provider_id: uuid.UUID) -> list[Plan]:
        cached = self._plans.get(provider_id)
        if cached is not None and self._fresh(cached[0]):
            return cached[1]

        async def load() -> list[Plan]:
            generation = self._generation
            async with self.db.session() as session:
                rows = await plans.list_offered(session, provider_id)
            if generation == self._generation:
                self._plans[provider_id] = (time.monotonic(), rows)
            return rows

        return await self._once(("plans", provider_id, self._generation), load)
