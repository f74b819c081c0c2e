"""Catalogue cache: plans, images, regions, deployment options, SSH keys, VPCs.

Why: catalogue calls are slow, rate-limited and change rarely, while every Slack
wizard step needs them. One ``TTLCache`` per kind, keyed by the provider key, with
single-flight loading: any number of concurrent callers on a cold key share ONE
upstream request; a failure is not cached and reaches every waiter.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

from cachetools import TTLCache

from providers.metrics import CATALOG_CACHE_HITS, CATALOG_CACHE_MISSES

__all__ = ["DEFAULT_TTLS", "CatalogCache"]

T = TypeVar("T")

#: Seconds each kind stays fresh.
DEFAULT_TTLS: Mapping[str, float] = {
    "plans": 3600,
    "images": 3600,
    "regions": 3600,
    "deployment_options": 21600,
    "ssh_keys": 300,
    "vpcs": 300,
}


class CatalogCache:
    """Per-kind TTL caches keyed by provider key, with single-flight loads.

    ``timer`` (monotonic seconds) is injectable so tests can expire entries.
    Hits count reads served without a new upstream call (including joining a
    load already in flight); misses count upstream loads started.
    """

    def __init__(
        self,
        *,
        ttls: Mapping[str, float] | None = None,
        timer: Callable[[], float] = time.monotonic,
        maxsize: int = 1024,
    ) -> None:
        self._ttls = {**DEFAULT_TTLS, **(ttls or {})}
        self._timer = timer
        self._maxsize = maxsize
        self._caches: dict[str, TTLCache[str, Any]] = {}
        self._inflight: dict[tuple[str, str], asyncio.Task[Any]] = {}
        self._generation: dict[str, int] = {}

    def _cache(self, kind: str) -> TTLCache[str, Any]:
        cache = self._caches.get(kind)
        if cache is None:
            ttl = self._ttls.get(kind, 300)
            cache = TTLCache(maxsize=self._maxsize, ttl=ttl, timer=self._timer)
            self._caches[kind] = cache
        return cache

    def peek(self, provider_key: str, kind: str) -> Any | None:
        """The fresh cached value or None, without loading or counting."""
        return self._cache(kind).get(provider_key)

    async def get_or_load(
        self,
        provider_key: str,
        kind: str,
        loader: Callable[[], Awaitable[T]],
        *,
        provider_type: str = "",
    ) -> T:
        """The cached value for (provider_key, kind), loading it once if cold."""
        cache = self._cache(kind)
        try:
            value = cache[provider_key]
        except KeyError:
            pass
        else:
            CATALOG_CACHE_HITS.labels(provider_type, kind).inc()
            return cast(T, value)

        slot = (provider_key, kind)
        task = self._inflight.get(slot)
        if task is not None:
            CATALOG_CACHE_HITS.labels(provider_type, kind).inc()
        else:
            CATALOG_CACHE_MISSES.labels(provider_type, kind).inc()
            generation = self._generation.get(provider_key, 0)

            async def load() -> Any:
                return await loader()

            task = asyncio.ensure_future(load())
            self._inflight[slot] = task

            def done(t: asyncio.Task[Any]) -> None:
                if self._inflight.get(slot) is t:
                    del self._inflight[slot]
                if t.cancelled():
                    return
                if t.exception() is not None:  # retrieved: no "never retrieved" warning
                    return
                if self._generation.get(provider_key, 0) == generation:
                    self._cache(kind)[provider_key] = t.result()

            task.add_done_callback(done)
        # shield: one impatient caller being cancelled must not cancel the shared load
        return cast(T, await asyncio.shield(task))

    def invalidate(self, provider_key: str, kind: str | None = None) -> None:
        """Drop one kind, or everything, cached for ``provider_key``.

        A load in flight when this is called still answers its waiters but is
        not stored.
        """
        if kind is not None:
            self._cache(kind).pop(provider_key, None)
        else:
            for cache in self._caches.values():
                cache.pop(provider_key, None)
        self._generation[provider_key] = self._generation.get(provider_key, 0) + 1
        for slot in [s for s in self._inflight if s[0] == provider_key]:
            if kind is None or slot[1] == kind:
                del self._inflight[slot]

    def clear(self) -> None:
        for key in {k for cache in self._caches.values() for k in cache} | {
            s[0] for s in self._inflight
        }:
            self.invalidate(key)
