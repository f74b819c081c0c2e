"""providers.cache: the one cache type (TtlCache) and the catalogue cache on it:
single-flight, TTL, forgetting, metrics."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from providers.cache import DEFAULT_TTLS, CatalogCache, TtlCache
from providers.errors import OutageError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """Counts upstream calls; optionally blocks until released."""

    def __init__(self, value: object = "v", *, fail: Exception | None = None) -> None:
        self.calls = 0
        self.value = value
        self.fail = fail
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> object:
        self.calls += 1
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return self.value


def metric(name: str, provider: str, kind: str) -> float:
    return REGISTRY.get_sample_value(name, {"provider": provider, "kind": kind}) or 0.0


def test_default_ttls() -> None:
    assert DEFAULT_TTLS["plans"] == DEFAULT_TTLS["images"] == DEFAULT_TTLS["regions"] == 3600
    assert DEFAULT_TTLS["deployment_options"] == 21600
    assert DEFAULT_TTLS["ssh_keys"] <= 600 and DEFAULT_TTLS["vpcs"] <= 600


async def test_single_flight_200_concurrent_callers_one_call() -> None:
    cache = CatalogCache()
    loader = Loader(["plan"])
    loader.release.clear()
    tasks = [
        asyncio.create_task(cache.get_or_load("p1", "plans", loader, provider_type="sf"))
        for _ in range(200)
    ]
    await asyncio.sleep(0)
    loader.release.set()
    results = await asyncio.gather(*tasks)
    assert loader.calls == 1
    assert all(r == ["plan"] for r in results)
    assert await cache.get_or_load("p1", "plans", loader) == ["plan"]
    assert loader.calls == 1
    assert metric("vpsbot_catalog_cache_misses_total", "sf", "plans") == 1
    assert metric("vpsbot_catalog_cache_hits_total", "sf", "plans") == 199


async def test_failure_reaches_every_waiter_and_is_not_cached() -> None:
    cache = CatalogCache()
    loader = Loader(fail=OutageError("down", provider="Linode"))
    loader.release.clear()
    tasks = [asyncio.create_task(cache.get_or_load("p", "images", loader)) for _ in range(20)]
    await asyncio.sleep(0)
    loader.release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert loader.calls == 1
    assert all(isinstance(r, OutageError) for r in results)
    loader.fail = None
    assert await cache.get_or_load("p", "images", loader) == "v"
    assert loader.calls == 2


async def test_cancelled_waiter_does_not_cancel_the_shared_load() -> None:
    cache = CatalogCache()
    loader = Loader("ok")
    loader.release.clear()
    first = asyncio.create_task(cache.get_or_load("p", "regions", loader))
    second = asyncio.create_task(cache.get_or_load("p", "regions", loader))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    loader.release.set()
    assert await second == "ok"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert loader.calls == 1


async def test_ttl_expiry_with_injected_clock() -> None:
    clock = FakeClock()
    cache = CatalogCache(timer=clock)
    loader = Loader("keys")
    await cache.get_or_load("p", "ssh_keys", loader)
    clock.now += DEFAULT_TTLS["ssh_keys"] - 1
    await cache.get_or_load("p", "ssh_keys", loader)
    assert loader.calls == 1
    clock.now += 2
    await cache.get_or_load("p", "ssh_keys", loader)
    assert loader.calls == 2
    plans = Loader("plans")
    await cache.get_or_load("p", "plans", plans)
    clock.now += 3599
    await cache.get_or_load("p", "plans", plans)
    assert plans.calls == 1
    clock.now += 2
    await cache.get_or_load("p", "plans", plans)
    assert plans.calls == 2


async def test_keys_and_kinds_are_separate() -> None:
    cache = CatalogCache()
    a, b = Loader("a"), Loader("b")
    assert await cache.get_or_load("p1", "plans", a) == "a"
    assert await cache.get_or_load("p2", "plans", b) == "b"
    assert await cache.get_or_load("p1", "images", b) == "b"
    assert (a.calls, b.calls) == (1, 2)


async def test_invalidate_one_provider() -> None:
    cache = CatalogCache()
    p1, p2 = Loader("1"), Loader("2")
    for kind in ("plans", "images"):
        await cache.get_or_load("p1", kind, p1)
        await cache.get_or_load("p2", kind, p2)
    cache.invalidate("p1")
    assert cache.peek("p1", "plans") is None and cache.peek("p1", "images") is None
    assert cache.peek("p2", "plans") == "2"
    await cache.get_or_load("p1", "plans", p1)
    assert p1.calls == 3


async def test_invalidate_one_kind() -> None:
    cache = CatalogCache()
    loader = Loader("x")
    await cache.get_or_load("p", "plans", loader)
    await cache.get_or_load("p", "ssh_keys", loader)
    cache.invalidate("p", "ssh_keys")
    assert cache.peek("p", "plans") == "x"
    assert cache.peek("p", "ssh_keys") is None


async def test_load_in_flight_during_invalidate_is_not_stored() -> None:
    cache = CatalogCache()
    loader = Loader("stale")
    loader.release.clear()
    task = asyncio.create_task(cache.get_or_load("p", "plans", loader))
    await asyncio.sleep(0)
    cache.invalidate("p")
    loader.release.set()
    assert await task == "stale"
    assert cache.peek("p", "plans") is None


async def test_a_forgotten_key_loads_afresh_and_the_stale_load_is_not_stored() -> None:
    cache: TtlCache[str, object] = TtlCache(ttl=60, maxsize=10)
    old, new = Loader("old"), Loader("new")
    old.release.clear()
    stale = asyncio.create_task(cache.get_or_load("k", old))
    await asyncio.sleep(0)
    before = cache.generation
    cache.forget("k")
    assert cache.generation > before and not cache.loading("k")
    assert await cache.get_or_load("k", new) == "new"  # not joined to the stale load
    old.release.set()
    assert await stale == "old"
    assert cache["k"] == "new" and (old.calls, new.calls) == (1, 1)


def test_forget_where_drops_only_matching_entries() -> None:
    cache: TtlCache[tuple[str, str], bool] = TtlCache(ttl=60, maxsize=10)
    cache[("T1", "U1")] = True
    cache[("T1", "U2")] = False
    cache[("T2", "U1")] = True
    assert cache.forget_where(lambda key, _value: key[0] == "T1") == 2
    assert set(cache) == {("T2", "U1")} and len(cache) == 1
    assert cache.get(("T1", "U1")) is None


def test_a_key_found_by_in_is_still_readable_right_after_it_expires() -> None:
    clock = FakeClock()
    cache: TtlCache[str, str] = TtlCache(ttl=10, maxsize=10, timer=clock)
    cache["a"] = "answer"
    clock.now += 9.999
    assert "a" in cache
    clock.now += 0.002  # expires between Bolt's `in` and its `[]`
    assert cache["a"] == "answer"
    assert "a" not in cache
    with pytest.raises(KeyError):
        cache["a"]
