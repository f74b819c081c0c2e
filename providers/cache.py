"""The one cache type (:class:`TtlCache`), and the catalogue cache built on it.

Why one type: every cache in vpsbot is the same thing — entries that live a
fixed time, a bound on how many, loads that concurrent callers share, and a way
to drop an entry the moment what it holds changes. :class:`TtlCache` says that
once, on ``cachetools.TTLCache``. It lives here, in the lowest package that
caches, because ``providers`` may import neither ``bot`` nor ``db``; the bot's
caches use the same type through :mod:`bot.core.cache`.

The catalogue cache (plans, images, regions, deployment options, SSH keys, VPCs):
catalogue calls are slow, rate-limited and change rarely, while every Slack
wizard step needs them. One :class:`TtlCache` per kind, keyed by the provider
key: any number of concurrent callers on a cold key share ONE upstream request;
a failure is not cached and reaches every waiter.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Hashable, Iterator, Mapping
from typing import Any, Generic, TypeVar, cast

from cachetools import TTLCache

from providers.metrics import CATALOG_CACHE_HITS, CATALOG_CACHE_MISSES

__all__ = ["DEFAULT_TTLS", "CatalogCache", "TtlCache"]

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Seconds each kind stays fresh.
DEFAULT_TTLS: Mapping[str, float] = {
    "plans": 3600,
    "images": 3600,
    "regions": 3600,
    "deployment_options": 21600,
    "ssh_keys": 300,
    "vpcs": 300,
}


class TtlCache(Generic[K, V]):
    """At most ``maxsize`` entries (least recently used out first), each for ``ttl``
    seconds, with single-flight loading and :meth:`forget`.

    * :meth:`get_or_load`: concurrent misses on one key share a single load; a
      failure is not stored and reaches every waiter; one waiter being cancelled
      does not cancel the load the others wait for.
    * :meth:`forget`, :meth:`forget_where`, :meth:`clear`: drop entries now; a load
      in flight for a dropped key still answers its waiters but is not stored, so
      a change never hides behind a read that started before it.
    * ``generation`` grows on every drop, for what is derived from the entries.
    * Mapping reads and writes (``in``, ``[]``, :meth:`get`, iteration, ``len``)
      for callers that fill it themselves, such as Bolt's authorize step (which
      asks ``key in cache`` and then reads ``cache[key]``: a key found by ``in``
      stays readable by the ``[]`` right after, even if it expired in between).

    ``timer`` (monotonic seconds) is injectable, and may be swapped while the
    cache is empty, so tests can age entries.
    """

    def __init__(
        self, *, ttl: float, maxsize: int, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.timer = timer
        self.generation = 0
        self._entries: TTLCache[K, V] = TTLCache(maxsize=maxsize, ttl=ttl, timer=self._now)
        self._loading: dict[K, asyncio.Future[V]] = {}
        self._seen: tuple[K, V] | None = None  # the last key found by ``in``

    def _now(self) -> float:
        return self.timer()

    # -- mapping ---------------------------------------------------------------------

    def __contains__(self, key: object) -> bool:
        try:
            value = self._entries[key]  # type: ignore[index]
        except KeyError:
            self._seen = None
            return False
        self._seen = (key, value)  # type: ignore[assignment]
        return True

    def __getitem__(self, key: K) -> V:
        try:
            return self._entries[key]
        except KeyError:
            if self._seen is not None and self._seen[0] == key:
                return self._seen[1]
            raise

    def __setitem__(self, key: K, value: V) -> None:
        self._entries[key] = value

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K, default: T | None = None) -> V | T | None:
        """The fresh value of ``key``, else ``default``."""
        return self._entries.get(key, default)

    # -- dropping --------------------------------------------------------------------

    def forget(self, key: K) -> None:
        """Drop ``key`` (and any load of it in flight) because what it holds changed."""
        self._entries.pop(key, None)
        self._loading.pop(key, None)
        if self._seen is not None and self._seen[0] == key:
            self._seen = None
        self.generation += 1

    def forget_where(self, test: Callable[[K, V], bool]) -> int:
        """Drop every entry for which ``test(key, value)`` holds; how many went."""
        gone = [key for key, value in list(self._entries.items()) if test(key, value)]
        for key in gone:
            self.forget(key)
        return len(gone)

    def clear(self) -> None:
        """Drop everything, loads in flight included."""
        self._entries.clear()
        self._loading.clear()
        self._seen = None
        self.generation += 1

    # -- loading ---------------------------------------------------------------------

    def loading(self, key: K) -> bool:
        """True while a load of ``key`` is in flight."""
        return key in self._loading

    async def get_or_load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The value of ``key``, from ``load()`` when it is not fresh here; callers
        that miss while a load is in flight wait for that one."""
        try:
            return self._entries[key]
        except KeyError:
            pass
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(load())
            self._loading[key] = task
            task.add_done_callback(functools.partial(self._loaded, key))
        # shield: one impatient caller being cancelled must not cancel the shared load
        return await asyncio.shield(task)

    def _loaded(self, key: K, task: asyncio.Future[V]) -> None:
        failed = task.cancelled() or task.exception() is not None  # retrieved: no warning
        if self._loading.get(key) is not task:
            return  # forgotten while loading: answer the waiters, store nothing
        del self._loading[key]
        if not failed:
            self._entries[key] = task.result()


class CatalogCache:
    """Per-kind :class:`TtlCache` keyed by provider key.

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
        self._caches: dict[str, TtlCache[str, Any]] = {}

    def _cache(self, kind: str) -> TtlCache[str, Any]:
        cache = self._caches.get(kind)
        if cache is None:
            ttl = self._ttls.get(kind, 300)
            cache = TtlCache(ttl=ttl, maxsize=self._maxsize, timer=self._timer)
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
        hit = provider_key in cache or cache.loading(provider_key)
        (CATALOG_CACHE_HITS if hit else CATALOG_CACHE_MISSES).labels(provider_type, kind).inc()
        return cast(T, await cache.get_or_load(provider_key, loader))

    def invalidate(self, provider_key: str, kind: str | None = None) -> None:
        """Drop one kind, or everything, cached for ``provider_key``.

        A load in flight when this is called still answers its waiters but is
        not stored.
        """
        for name, cache in self._caches.items():
            if kind is None or name == kind:
                cache.forget(provider_key)

    def clear(self) -> None:
        for cache in self._caches.values():
            cache.clear()
