"""Rate-limit headers and 429s; every fault kind."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from standins.sandbox import Sandbox

from .conftest import DO_AUTH, Client


async def test_rate_limit_headers_on_every_response(api: Client) -> None:
    do = await api.do("GET", "/v2/account")
    assert do.headers["ratelimit-limit"] == "250"
    assert do.headers["ratelimit-remaining"] == "249"
    assert int(do.headers["ratelimit-reset"]) >= int(time.time())
    li = await api.li("GET", "/v4/profile")
    assert li.headers["X-RateLimit-Limit"] == "800"
    assert li.headers["X-RateLimit-Remaining"] == "799"
    assert int(li.headers["X-RateLimit-Reset"]) >= int(time.time())


async def test_spent_budget_is_429_with_retry_after() -> None:
    sb = Sandbox(rate_limit=(3, 10.0))
    async with sb, aiohttp.ClientSession() as session:
        api = Client(sb, session)
        for remaining in ("2", "1", "0"):
            assert (await api.do("GET", "/v2/sizes")).headers["ratelimit-remaining"] == remaining
        limited = await api.do("GET", "/v2/sizes")
        assert limited.status == 429
        assert limited.body["id"] == "too_many_requests"
        assert limited.body["message"] == "API Rate limit exceeded."
        assert 1 <= int(limited.headers["Retry-After"]) <= 10
        li = [await api.li("GET", "/v4/regions") for _ in range(4)]
        assert [r.status for r in li] == [200, 200, 200, 429]
        assert li[-1].body == {"errors": [{"reason": "Too Many Requests"}]}
        assert li[-1].headers["Retry-After"]
        sb.advance(10)
        assert (await api.do("GET", "/v2/sizes")).status == 200


async def test_status_fault_n_times_then_ok(sb: Sandbox, api: Client) -> None:
    sb.inject("digitalocean", method="GET", path="/v2/sizes", status=503, count=2)
    sb.inject("linode", path="/v4/linode", status=500)
    first = await api.do("GET", "/v2/sizes")
    assert first.status == 503 and first.body["id"] and first.body["request_id"]
    assert (await api.do("GET", "/v2/regions")).status == 200  # other paths unaffected
    assert (await api.do("GET", "/v2/sizes")).status == 503
    assert (await api.do("GET", "/v2/sizes")).status == 200
    li = await api.li("GET", "/v4/linode/types")
    assert li.status == 500 and li.body["errors"][0]["reason"]
    assert (await api.li("GET", "/v4/linode/types")).status == 200
    sb.inject("linode", status=429)
    limited = await api.li("GET", "/v4/profile")
    assert limited.status == 429 and limited.headers["Retry-After"]
    assert sb.request_count("digitalocean", "GET", "/v2/sizes") == 3


async def test_latency_fault(sb: Sandbox, api: Client) -> None:
    sb.inject("digitalocean", latency=0.3)
    start = time.monotonic()
    assert (await api.do("GET", "/v2/account")).status == 200
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    await api.do("GET", "/v2/account")
    assert time.monotonic() - start < 0.3


async def test_timeout_fault_holds_until_client_gives_up(sb: Sandbox, api: Client) -> None:
    sb.inject("linode", path="/v4/profile", timeout=True)
    with pytest.raises(asyncio.TimeoutError):
        await api.li("GET", "/v4/profile", timeout=aiohttp.ClientTimeout(total=0.3))
    assert sb.request_count("linode", path_prefix="/v4/profile") == 1
    assert (await api.li("GET", "/v4/profile")).status == 200


async def test_timeout_fault_released_by_stop() -> None:
    sb = Sandbox()
    await sb.start()
    sb.inject("digitalocean", timeout=True)
    async with aiohttp.ClientSession() as session:
        task = asyncio.create_task(
            session.get(sb.digitalocean_url + "/v2/account", headers=DO_AUTH)
        )
        await asyncio.sleep(0.1)
        start = time.monotonic()
        await sb.stop()
        with pytest.raises(aiohttp.ClientError):
            resp = await task
            resp.release()
        assert time.monotonic() - start < 5


async def test_lose_response_creates_but_client_errors(sb: Sandbox, api: Client) -> None:
    sb.inject("digitalocean", method="POST", path="/v2/droplets", lose_response=True)
    body = {
        "name": "lost-1",
        "region": "nyc3",
        "size": "s-1vcpu-1gb",
        "image": "ubuntu-24-04-x64",
        "tags": ["vpsbot:lost"],
    }
    with pytest.raises(aiohttp.ClientError):
        await api.do("POST", "/v2/droplets", json=body)
    found = (await api.do("GET", "/v2/droplets?tag_name=vpsbot:lost")).body["droplets"]
    assert [d["name"] for d in found] == ["lost-1"]

    sb.inject("linode", method="POST", path="/v4/linode/instances", lose_response=True)
    li_body = {
        "label": "lost-1",
        "region": "us-east",
        "type": "g6-nanode-1",
        "image": "linode/debian12",
        "root_pass": "Sup3r-Secret",
        "tags": ["vpsbot-lost"],
    }
    with pytest.raises(aiohttp.ClientError):
        await api.li("POST", "/v4/linode/instances", json=li_body)
    assert [i["label"] for i in sb.instances("linode")] == ["lost-1"]


async def test_clear_faults(sb: Sandbox, api: Client) -> None:
    sb.inject("digitalocean", status=500, count=0)  # forever
    assert (await api.do("GET", "/v2/account")).status == 500
    assert (await api.do("GET", "/v2/account")).status == 500
    sb.clear_faults()
    assert (await api.do("GET", "/v2/account")).status == 200
    with pytest.raises(ValueError):
        sb.inject("aws")
