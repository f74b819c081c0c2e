"""Provider-layer benchmark against the in-process sandbox (loopback HTTP).

Run: ``.venv/bin/python bench/bench_providers.py`` (under a minute). It prints:

(a) catalogue reads: 200 concurrent reads (plans, regions, images, deployment
    options, 50 each) on a cold ``ProviderRegistry`` client, against the same
    200 reads on a raw client with no cache (the baseline): upstream requests,
    wall time and the ratios;
(b) listing 10,000 servers: upstream list calls and wall time of
    ``list_instances()`` against the target ceil(N/page size) (200 DigitalOcean,
    500 Linode), and a baseline that pages with the APIs' default page sizes
    (DigitalOcean 20, Linode 100) over raw HTTP.

Each part runs twice: on bare loopback (the in-process sandbox's rendering
dominates, so wall times mostly measure CPU) and with 30 ms added to every
request (a fault with latency), closer to a real API where round trips
dominate. The sandbox's rate limit is raised out of the way and the client's
per-account state is reset before every measurement.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from providers.base import Provider
from providers.registry import ProviderRegistry, build_provider
from standins.sandbox import Sandbox

PROVIDERS = ("digitalocean", "linode")
READS = 200
SERVERS = 10_000
PAGE = {"digitalocean": 200, "linode": 500}
NAIVE_PAGE = {"digitalocean": 20, "linode": 100}
#: Added per-request latency: none (the in-process sandbox's own cost), then a
#: round trip closer to a real API's, where the number of requests dominates.
RTTS = (0.0, 0.03)
KINDS = ("get_plans", "get_regions", "get_images", "get_deployment_options")


def _url(sandbox: Sandbox, provider: str) -> str:
    return sandbox.digitalocean_url if provider == "digitalocean" else sandbox.linode_url


def _raw_client(sandbox: Sandbox, provider: str) -> Provider:
    """An uncached client with a transport of its own (fresh rate state; ``aclose`` it)."""
    return build_provider(
        provider,
        name=f"bench-{provider}",
        token=sandbox.tokens[provider],
        configuration={"api_url": _url(sandbox, provider), "trusted": True},
    )


async def _measure(
    sandbox: Sandbox, provider: str, work: Callable[[], Awaitable[Any]]
) -> tuple[int, float, Any]:
    """(upstream requests, wall seconds, result) of ``work``."""
    before = sandbox.request_count(provider)
    started = time.perf_counter()
    result = await work()
    elapsed = time.perf_counter() - started
    return sandbox.request_count(provider) - before, elapsed, result


def _reads(client: Provider) -> Callable[[], Awaitable[list[Any]]]:
    async def run() -> list[Any]:
        calls = [getattr(client, KINDS[i % len(KINDS)])() for i in range(READS)]
        return await asyncio.gather(*calls)

    return run


async def bench_catalogue(sandbox: Sandbox, provider: str) -> None:
    registry = ProviderRegistry()  # its own transport: fresh rate state
    cached = registry.get(
        "bench-row",
        type=provider,
        name=f"bench-{provider}",
        token=sandbox.tokens[provider],
        configuration={"api_url": _url(sandbox, provider), "trusted": True},
        version="1",
    )
    c_requests, c_time, c_result = await _measure(sandbox, provider, _reads(cached))
    raw = _raw_client(sandbox, provider)
    b_requests, b_time, b_result = await _measure(sandbox, provider, _reads(raw))
    await raw.aclose()
    await registry.aclose()
    assert c_result == b_result, "cached and uncached reads must agree"
    print(
        f"  {provider:12} cached (cold registry): {c_requests:4d} requests {c_time * 1000:8.1f} ms"
        f" | baseline (no cache): {b_requests:4d} requests {b_time * 1000:8.1f} ms"
        f" | requests {b_requests / max(c_requests, 1):6.1f}x fewer,"
        f" time {b_time / c_time:5.1f}x faster"
    )


async def _raw_listing(sandbox: Sandbox, provider: str, page_size: int) -> int:
    """Page through every server over raw HTTP (no parsing into models); the count."""
    headers = {"Authorization": f"Bearer {sandbox.tokens[provider]}"}
    seen = 0
    async with aiohttp.ClientSession(headers=headers) as session:
        if provider == "digitalocean":
            url: str | None = f"{sandbox.digitalocean_url}/v2/droplets?per_page={page_size}"
            while url:
                async with session.get(url) as resp:
                    body = await resp.json()
                seen += len(body["droplets"])
                url = body["links"]["pages"].get("next")
        else:
            page, pages = 1, 1
            while page <= pages:
                async with session.get(
                    f"{sandbox.linode_url}/v4/linode/instances",
                    params={"page": page, "page_size": page_size},
                ) as resp:
                    body = await resp.json()
                seen += len(body["data"])
                pages = body["pages"]
                page += 1
    return seen


async def bench_listing(sandbox: Sandbox, provider: str) -> None:
    sandbox.seed_instances(provider, SERVERS)
    client = _raw_client(sandbox, provider)
    requests, elapsed, listed = await _measure(sandbox, provider, client.list_instances)
    await client.aclose()
    assert len(listed) == SERVERS
    target = math.ceil(SERVERS / PAGE[provider])
    raw_requests, raw_time, raw_seen = await _measure(
        sandbox, provider, lambda: _raw_listing(sandbox, provider, PAGE[provider])
    )
    naive_requests, naive_time, naive_seen = await _measure(
        sandbox, provider, lambda: _raw_listing(sandbox, provider, NAIVE_PAGE[provider])
    )
    assert raw_seen == naive_seen == SERVERS
    verdict = "on target" if requests == target else "OFF TARGET"
    print(
        f"  {provider:12} list_instances(): {requests:4d} list calls (target {target}, "
        f"{verdict}), {elapsed * 1000:7.1f} ms including parsing {SERVERS:,} Instance models"
    )
    print(
        f"  {'':12} raw HTTP, per_page {PAGE[provider]:3d}:    {raw_requests:4d} calls, "
        f"{raw_time * 1000:7.1f} ms (transport only)"
    )
    print(
        f"  {'':12} baseline per_page {NAIVE_PAGE[provider]:3d}:  {naive_requests:4d} calls, "
        f"{naive_time * 1000:7.1f} ms (transport only)"
        f" -> {naive_requests / requests:.0f}x the requests; wall time {naive_time / elapsed:.1f}x"
        f" list_instances()'s, {naive_time / raw_time:.1f}x the same transport at"
        f" per_page {PAGE[provider]}"
    )


async def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    for rtt in RTTS:
        where = (
            "loopback, no added latency" if not rtt else f"{rtt * 1000:.0f} ms added per request"
        )
        print(f"(a) {READS} concurrent catalogue reads ({', '.join(KINDS)} in turn); {where}")
        for provider in PROVIDERS:
            async with Sandbox(rate_limit=(1_000_000, 60.0)) as sandbox:
                if rtt:
                    sandbox.inject(provider, latency=rtt, count=0)
                await bench_catalogue(sandbox, provider)
        print(f"(b) listing {SERVERS:,} servers; {where}")
        for provider in PROVIDERS:
            async with Sandbox(rate_limit=(1_000_000, 60.0)) as sandbox:
                if rtt:
                    sandbox.inject(provider, latency=rtt, count=0)
                await bench_listing(sandbox, provider)
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    asyncio.run(main())
