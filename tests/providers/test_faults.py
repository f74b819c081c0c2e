"""Provider clients under upstream faults, against the in-process sandbox.

Lost create answers, server errors, timeouts, rate-limit bursts and the
catalogue cache's single flight, each counted at the sandbox.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import stamina

from providers.base import Provider
from providers.errors import OutageError, OutcomeUnknownError, RateLimitedError
from providers.http import Transport
from providers.models import CreateRequest, Instance
from providers.registry import ProviderRegistry, build_provider
from standins.sandbox import Sandbox

DISPLAY = {"digitalocean": "DigitalOcean", "linode": "Linode"}
LIST_PATH = {"digitalocean": "/v2/droplets", "linode": "/v4/linode/instances"}
PLANS_PATH = {"digitalocean": "/v2/sizes", "linode": "/v4/linode/types"}
REGIONS_PATH = {"digitalocean": "/v2/regions", "linode": "/v4/regions"}
#: Calls a region read costs: Linode's adds /v4/regions/availability (sold-out plans).
REGIONS_CALLS = {"digitalocean": 1, "linode": 2}
CREATE = {
    "digitalocean": {"region": "nyc3", "plan": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"},
    "linode": {"region": "us-east", "plan": "g6-nanode-1", "image": "linode/ubuntu24.04"},
}


@dataclass
class Target:
    type: str
    sandbox: Sandbox
    transport: Transport

    @property
    def url(self) -> str:
        if self.type == "digitalocean":
            return self.sandbox.digitalocean_url
        return self.sandbox.linode_url

    @property
    def display(self) -> str:
        return DISPLAY[self.type]

    def configuration(self, timeout: float | None = None) -> dict[str, Any]:
        # the sandbox is on loopback: the operator vouches for it, as `make run` does
        configuration: dict[str, Any] = {"api_url": self.url, "trusted": True}
        if timeout is not None:
            configuration["timeout"] = timeout
        return configuration

    def client(self, *, timeout: float | None = None) -> Provider:
        provider = build_provider(
            self.type,
            name=f"faults-{self.type}",
            token=self.sandbox.tokens[self.type],
            configuration=self.configuration(timeout),
            transport=self.transport,
        )
        provider.lost_create_delay = 0  # type: ignore[attr-defined]
        if hasattr(provider, "event_lookup_delay"):
            provider.event_lookup_delay = 0
        return provider

    def requests(self, method: str | None = None, path: str | None = None) -> int:
        return self.sandbox.request_count(self.type, method, path)

    def create_request(self, label: str, tag: str) -> CreateRequest:
        return CreateRequest(label=label, tag=tag, **CREATE[self.type])

    def tagged(self, tag: str) -> list[dict[str, Any]]:
        return [s for s in self.sandbox.instances(self.type) if tag in s["tags"]]


@pytest.fixture
def fast_retries() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3, cap=True):
        yield


async def _started(provider_type: str, transport: Transport, **sandbox_options: Any) -> Target:
    sandbox = Sandbox(provision_seconds=20.0, action_seconds=5.0, **sandbox_options)
    await sandbox.start()
    return Target(provider_type, sandbox, transport)


@pytest.fixture(params=sorted(DISPLAY))
def provider_type(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def target(
    provider_type: str, fast_retries: None, transport: Transport
) -> AsyncIterator[Target]:
    started = await _started(provider_type, transport)
    try:
        yield started
    finally:
        await started.sandbox.stop()


# ------------------------------------------------------------------ lost creates


async def test_create_whose_answer_is_lost_makes_one_server_found_by_tag(target: Target) -> None:
    tag = f"vpsbot-lost-{target.type}"
    target.sandbox.inject(
        target.type, method="POST", path=LIST_PATH[target.type], lose_response=True
    )
    instance = await target.client().create_instance(target.create_request("lost-answer-1", tag))
    [server] = target.tagged(tag)
    assert len(target.sandbox.instances(target.type)) == 1
    assert instance.id == str(server["id"])
    assert instance.label == "lost-answer-1"
    assert tag in instance.tags
    # The create was sent once and never again; the answer came from the tag lookup.
    assert target.requests("POST") == 1
    assert target.requests("GET", LIST_PATH[target.type]) >= 1


async def test_create_refused_with_5xx_is_outcome_unknown_and_not_resent(target: Target) -> None:
    tag = f"vpsbot-5xx-{target.type}"
    target.sandbox.inject(target.type, method="POST", path=LIST_PATH[target.type], status=503)
    with pytest.raises(OutcomeUnknownError) as info:
        await target.client().create_instance(target.create_request("refused-1", tag))
    assert info.value.provider == target.display
    assert info.value.status == 503
    assert "look" in info.value.message  # tells the caller to look again, not to re-create
    assert target.sandbox.instances(target.type) == []
    assert target.requests("POST") == 1
    assert target.requests("GET", LIST_PATH[target.type]) == 2  # two by-tag lookups


async def test_create_that_times_out_is_outcome_unknown_naming_the_provider(
    target: Target,
) -> None:
    tag = f"vpsbot-slow-{target.type}"
    target.sandbox.inject(target.type, method="POST", path=LIST_PATH[target.type], timeout=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await target.client(timeout=0.3).create_instance(target.create_request("slow-1", tag))
    assert info.value.provider == target.display
    assert target.display in info.value.message
    assert target.sandbox.instances(target.type) == []
    assert target.requests("POST") == 1


# -------------------------------------------------------------- reads under faults


async def test_server_errors_on_reads_are_retried_then_succeed(target: Target) -> None:
    [server] = target.sandbox.seed_instances(target.type, 1)
    client = target.client()
    target.sandbox.inject(
        target.type, method="GET", path=PLANS_PATH[target.type], status=502, count=2
    )
    assert await client.get_plans()
    assert target.requests("GET", PLANS_PATH[target.type]) == 3

    path = f"{LIST_PATH[target.type]}/{server}"
    target.sandbox.inject(target.type, method="GET", path=path, status=500)
    instance = await client.get_instance(server)
    assert instance.id == server
    assert target.requests("GET", path) == 2


async def test_a_timed_out_read_is_retried_then_succeeds(target: Target) -> None:
    target.sandbox.inject(target.type, method="GET", path=REGIONS_PATH[target.type], timeout=True)
    assert await target.client(timeout=0.3).get_regions()
    # the timed-out call once more, and the rest once
    assert target.requests("GET", REGIONS_PATH[target.type]) == REGIONS_CALLS[target.type] + 1


async def test_reads_that_keep_timing_out_are_an_outage_naming_the_provider(
    target: Target,
) -> None:
    target.sandbox.inject(
        target.type, method="GET", path=LIST_PATH[target.type], timeout=True, count=0
    )
    with pytest.raises(OutageError) as info:
        await target.client(timeout=0.3).list_instances()
    err = info.value
    assert not isinstance(err, OutcomeUnknownError)
    assert err.provider == target.display
    assert err.message == f"{target.display} did not answer in time"
    assert target.display in err.user_message()
    assert target.requests("GET", LIST_PATH[target.type]) == 3


# ------------------------------------------------------------------- rate limits


async def test_burst_beyond_a_small_rate_limit(
    provider_type: str, fast_retries: None, transport: Transport
) -> None:
    """300 concurrent uncached reads against a 100-per-minute budget.

    What the client does (it cannot know the budget before the first answer):
    the budget's worth succeed; every other read fails as RateLimitedError with
    the provider named and a retry_after beyond the client's 30 s cap, so none
    is retried; nothing else (no outage, no raw exception) escapes. Reads queued
    behind the client's own per-minute ceiling (DigitalOcean's 250) are refused
    before sending once the budget is known to be spent.
    """
    target = await _started(provider_type, transport, rate_limit=(100, 60.0))
    try:
        servers = target.sandbox.seed_instances(provider_type, 10)
        client = target.client()
        results = await asyncio.gather(
            *(client.get_instance(servers[i % 10]) for i in range(300)), return_exceptions=True
        )
        kinds = Counter(type(r).__name__ for r in results)
        assert kinds == {"Instance": 100, "RateLimitedError": 200}
        for result in results:
            if isinstance(result, RateLimitedError):
                assert result.provider == target.display
                assert result.retry_after is not None and result.retry_after > 30
        answers = Counter(r.status for r in target.sandbox.requests)
        assert answers[200] == 100
        # Every 429 the sandbox sent was surfaced once: no retries were spent on it.
        assert answers[429] == target.requests() - 100 <= 200
        if provider_type == "digitalocean":
            # The client's ceiling is 250 a minute: the reads queued behind it are
            # checked against the budget when released, and those that find it
            # spent are refused without being sent. (Budget headers of answers
            # arriving out of order can let one through, so no exact count.)
            assert 250 <= target.requests() < 300
        else:
            assert target.requests() == 300
    finally:
        await target.sandbox.stop()


async def test_burst_of_cached_reads_costs_one_request_under_a_small_rate_limit(
    provider_type: str, fast_retries: None, transport: Transport
) -> None:
    target = await _started(provider_type, transport, rate_limit=(5, 60.0))
    registry = ProviderRegistry(transport=transport)
    try:
        client = registry.get(
            "row-1",
            type=provider_type,
            name="burst",
            token=target.sandbox.tokens[provider_type],
            configuration=target.configuration(),
            version="v1",
        )
        results = await asyncio.gather(*(client.get_regions() for _ in range(300)))
        assert all(r == results[0] and r for r in results)
        assert target.requests() == REGIONS_CALLS[provider_type]
    finally:
        await registry.aclose()
        await target.sandbox.stop()


# ------------------------------------------------------------------------ cache


async def test_cold_cache_single_flight_and_version_bump(target: Target) -> None:
    registry = ProviderRegistry()
    plans_path = PLANS_PATH[target.type]

    def client(version: str) -> Provider:
        return registry.get(
            "row-1",
            type=target.type,
            name="cached",
            token=target.sandbox.tokens[target.type],
            configuration=target.configuration(),
            version=version,
        )

    try:
        first = client("v1")
        results = await asyncio.gather(*(first.get_plans() for _ in range(200)))
        assert target.requests("GET", plans_path) == 1
        assert all(r == results[0] for r in results) and results[0]

        # Same row version: the same client and the cached catalogue.
        assert client("v1") is first
        assert await client("v1").get_plans() == results[0]
        assert target.requests("GET", plans_path) == 1

        # The row changed: a new client, and the next read goes upstream again.
        second = client("v2")
        assert second is not first
        assert await second.get_plans() == results[0]
        assert target.requests("GET", plans_path) == 2
        await asyncio.gather(*(second.get_plans() for _ in range(50)))
        assert target.requests("GET", plans_path) == 2
    finally:
        await registry.aclose()


async def test_failed_cold_load_reaches_every_waiter_and_is_not_cached(target: Target) -> None:
    registry = ProviderRegistry()
    client = registry.get(
        "row-1",
        type=target.type,
        name="cached",
        token=target.sandbox.tokens[target.type],
        configuration=target.configuration(),
        version="v1",
    )
    plans_path = PLANS_PATH[target.type]
    try:
        target.sandbox.inject(target.type, method="GET", path=plans_path, status=503, count=3)
        results = await asyncio.gather(
            *(client.get_plans() for _ in range(50)), return_exceptions=True
        )
        assert all(isinstance(r, OutageError) for r in results)
        assert target.requests("GET", plans_path) == 3  # one load, its 3 attempts
        plans = await client.get_plans()
        assert plans and not isinstance(plans[0], Instance)
        assert target.requests("GET", plans_path) == 4
    finally:
        await registry.aclose()
