"""What `/vps create` may offer — active providers and their active plans — cached.

Reading these on every command would cost two queries per request on the hot
path. The cache keeps them in memory (in the one cache type, :class:`TtlCache`)
and is dropped on the ``vpsbot_catalog`` notification that triggers send when a
provider or plan changes (migration 0005), so every replica sees a change as
soon as it is committed. Without a live listener the cache is bypassed (always
query); a TTL bounds staleness if a notice were ever missed.

The listening connection is also how the services container hears every other
change notice (:meth:`bot.core.services.Services.changed`): it is the one
database connection outside SQLAlchemy, as LISTEN needs a connection of its own.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg

from bot.core.cache import TtlCache
from db.engine import Database
from db.models import Plan, ServiceProvider
from db.repo import plans, providers
from db.repo.changes import CHANNEL
from db.repo.providers import Scope

__all__ = ["CHANNEL", "OfferCache"]

log = logging.getLogger(__name__)

#: the active provider rows and who each is shared with, read together
_Providers = tuple[list[ServiceProvider], dict[uuid.UUID, frozenset[str]]]


class OfferCache:
    """Active providers and offered plans, invalidated by LISTEN/NOTIFY."""

    def __init__(self, db: Database, *, ttl: float = 300.0) -> None:
        self.db = db
        self.ttl = ttl
        self._providers: TtlCache[str, _Providers] = TtlCache(ttl=ttl, maxsize=1)
        self._plans: TtlCache[uuid.UUID, list[Plan]] = TtlCache(ttl=ttl, maxsize=4096)
        self._listener: Any = None
        self._watchers: list[Callable[[str], None]] = []
        self._generation = 0

    @property
    def generation(self) -> int | None:
        """Changes whenever the offer may have changed; None when not listening
        (then nothing derived from the offer may be cached either)."""
        return self._generation if self.listening else None

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()

    def on_change(self, callback: Callable[[str], None]) -> None:
        """Also call ``callback(payload)`` when a change is announced."""
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
        """Drop the offer (loads that started before the change are not stored)."""
        self._generation += 1
        self._providers.clear()
        self._plans.clear()

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.clear()
        for callback in self._watchers:
            callback(payload)

    async def _active(self) -> _Providers:
        async def load() -> _Providers:
            async with self.db.session() as session:
                rows = await providers.list_all(session, active_only=True)
                shares = await providers.shares(session)
            return rows, shares

        if not self.listening:
            return await load()
        return await self._providers.get_or_load("active", load)

    async def providers(self) -> list[ServiceProvider]:
        return (await self._active())[0]

    async def providers_for(self, scope: Scope) -> list[ServiceProvider]:
        """The active providers ``scope``'s workspace may offer (own, shared, and
        operator-level ones in single-workspace mode)."""
        if not self.listening:
            # not cached: read the rows with their visibility in one query
            async with self.db.session() as session:
                return await providers.list_all(session, active_only=True, scope=scope)
        rows, shares = await self._active()
        return [row for row in rows if scope.sees(row, shares.get(row.id, frozenset()))]

    async def plans(self, provider_id: uuid.UUID) -> list[Plan]:
        async def load() -> list[Plan]:
            async with self.db.session() as session:
                return await plans.list_offered(session, provider_id)

        if not self.listening:
            return await load()
        return await self._plans.get_or_load(provider_id, load)
