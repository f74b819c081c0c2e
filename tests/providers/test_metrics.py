"""Server metrics: the exact requests and the series made of each cloud's answer."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aioresponses import aioresponses

from providers.base import Provider
from providers.digitalocean import DigitalOceanProvider
from providers.digitalocean_metrics import cpu_percent
from providers.http import Transport
from providers.linode import LinodeProvider
from providers.linode_metrics import months_between
from providers.registry import build_provider
from standins.sandbox import Sandbox
from standins.sandbox.metrics import _busy_seconds
from tests.providers.conftest import DO, LI, sent

pytestmark = pytest.mark.usefixtures("provider_env")

END = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
START = END - timedelta(hours=24)
T0 = int(START.timestamp()) + 600


def matrix(*results: tuple[dict[str, str], list[list[Any]]]) -> dict[str, Any]:
    return {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [{"metric": m, "values": v} for m, v in results],
        },
    }


def cpu_answer() -> dict[str, Any]:
    # idle grows 100 s per 120 s step of 120 s of CPU: 1/6 busy; a 10-minute hole
    times = [T0, T0 + 120, T0 + 240, T0 + 840, T0 + 960]
    idle = [[t, str(1000 + 100 * i)] for i, t in enumerate(times)]
    user = [[t, str(500 + 20 * i)] for i, t in enumerate(times)]
    return matrix(({"mode": "idle"}, idle), ({"mode": "user"}, user))


async def test_digitalocean_reads_cpu_and_public_bandwidth(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.get(re.compile(rf"{DO}/v2/monitoring/metrics/droplet/cpu\?.*"), payload=cpu_answer())
    mbps = [[T0, "8"], [T0 + 120, "NaN"], [T0 + 240, "0.5"]]
    http.get(
        re.compile(rf"{DO}/v2/monitoring/metrics/droplet/bandwidth\?.*direction=inbound.*"),
        payload=matrix(({"direction": "inbound", "interface": "public"}, mbps)),
    )
    http.get(
        re.compile(rf"{DO}/v2/monitoring/metrics/droplet/bandwidth\?.*direction=outbound.*"),
        payload=matrix(),
    )
    found = await do.get_metrics("7", START, END)
    urls = [url for url, _ in sent(http, "GET")]
    assert {u.path for u in urls} == {
        "/v2/monitoring/metrics/droplet/cpu",
        "/v2/monitoring/metrics/droplet/bandwidth",
    }
    for url in urls:
        assert url.query["host_id"] == "7"
        assert url.query["start"] == str(int(START.timestamp()))
        assert url.query["end"] == str(int(END.timestamp()))
    assert {u.query.get("interface") for u in urls} == {None, "public"}
    assert not found.agent_missing
    cpu = found.get("cpu")
    assert cpu is not None
    # one point per step; none across the hole (T0+240 → T0+840)
    assert [t for t, _ in cpu.points] == [T0 + 120, T0 + 240, T0 + 960]
    assert all(v == pytest.approx(100 * 20 / 120) for _, v in cpu.points)
    net_in = found.get("net_in")
    assert net_in is not None
    # Mbps → bytes/s; the NaN reading is a hole, not a zero
    assert net_in.points == [(T0, 1_000_000.0), (T0 + 240, 62_500.0)]
    net_out = found.get("net_out")
    assert net_out is not None and net_out.points == []
    assert found.get("disk_io") is None  # DigitalOcean publishes none


async def test_a_droplet_without_the_agent_says_so(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.get(re.compile(rf"{DO}/v2/monitoring/metrics/droplet/.*"), payload=matrix(), repeat=True)
    found = await do.get_metrics("7", START, END)
    assert found.agent_missing
    assert found.series == []


def test_a_counter_that_goes_down_gives_no_point() -> None:
    modes = [
        ({"mode": "idle"}, [(0.0, 100.0), (60.0, 150.0), (120.0, 10.0), (180.0, 40.0)]),
        ({"mode": "user"}, [(0.0, 50.0), (60.0, 60.0), (120.0, 5.0), (180.0, 35.0)]),
    ]
    busy = cpu_percent(modes)
    assert [t for t, _ in busy] == [60.0, 180.0]
    assert busy[1][1] == pytest.approx(50.0)


def linode_stats(t0_ms: int) -> dict[str, Any]:
    return {
        "cpu": [[t0_ms, 12.5], [t0_ms + 300_000, 40.0], [t0_ms + 900_000, None]],
        "io": {"io": [[t0_ms, 3.0]], "swap": [[t0_ms, 0]]},
        "netv4": {
            "in": [[t0_ms, 8000.0]],
            "out": [[t0_ms, 1600.0]],
            "private_in": [],
            "private_out": [],
        },
        "netv6": {"in": [[t0_ms, 800.0]], "out": [], "private_in": [], "private_out": []},
        "title": "linode.com - web-1 (linode123) - day (5 min avg)",
    }


async def test_linode_reads_the_last_day(http: aioresponses, li: LinodeProvider) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=24)
    t0 = int(start.timestamp() + 600) * 1000
    http.get(f"{LI}/v4/linode/instances/123/stats", payload=linode_stats(t0))
    found = await li.get_metrics("123", start, now)
    assert [u.path for u, _ in sent(http, "GET")] == ["/v4/linode/instances/123/stats"]
    cpu, net_in, net_out, disk = (found.get(n) for n in ("cpu", "net_in", "net_out", "disk_io"))
    assert cpu is not None and net_in is not None and net_out is not None and disk is not None
    assert cpu.points == [(t0 / 1000, 12.5), (t0 / 1000 + 300, 40.0)]  # null: a hole
    assert net_in.points == [(t0 / 1000, 1100.0)]  # (8000 + 800) bits/s
    assert net_out.points == [(t0 / 1000, 200.0)]
    assert disk.points == [(t0 / 1000, 3.0)]
    assert not found.agent_missing


async def test_linode_reads_each_month_of_a_week(http: aioresponses, li: LinodeProvider) -> None:
    end = datetime(2026, 12, 3, tzinfo=UTC)
    start = end - timedelta(days=7)
    inside = int((end - timedelta(days=1)).timestamp()) * 1000
    outside = int((start - timedelta(days=1)).timestamp()) * 1000
    http.get(f"{LI}/v4/linode/instances/9/stats/2026/11", payload=linode_stats(outside))
    http.get(f"{LI}/v4/linode/instances/9/stats/2026/12", payload=linode_stats(inside))
    found = await li.get_metrics("9", start, end)
    assert [u.path for u, _ in sent(http, "GET")] == [
        "/v4/linode/instances/9/stats/2026/11",
        "/v4/linode/instances/9/stats/2026/12",
    ]
    cpu = found.get("cpu")
    assert cpu is not None and cpu.points[0] == (inside / 1000, 12.5)  # outside: clipped


async def test_a_linode_too_new_for_stats_has_empty_series(
    http: aioresponses, li: LinodeProvider
) -> None:
    now = datetime.now(UTC)
    http.get(
        f"{LI}/v4/linode/instances/5/stats",
        status=400,
        payload={"errors": [{"reason": "Stats are unavailable at this time."}]},
    )
    found = await li.get_metrics("5", now - timedelta(hours=24), now)
    assert all(s.points == [] for s in found.series)
    assert len(found.series) == 4


def test_months_between_crosses_the_year() -> None:
    start = datetime(2026, 12, 28, tzinfo=UTC)
    assert months_between(start, start + timedelta(days=7)) == [(2026, 12), (2027, 1)]


# ---------------------------------------------------------------------- against the sandbox


@pytest.fixture
async def sb(provider_env: None) -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(provision_seconds=20.0, action_seconds=5.0)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


def _client(sb: Sandbox, kind: str, transport: Transport) -> Provider:
    url = sb.digitalocean_url if kind == "digitalocean" else sb.linode_url
    return build_provider(
        kind,
        name=kind,
        token=sb.tokens[kind],
        configuration={"api_url": url, "trusted": True},
        transport=transport,
    )


async def test_the_clients_read_the_sandboxs_series(sb: Sandbox, transport: Transport) -> None:
    end = datetime.now(UTC)
    start = end - timedelta(hours=24)
    [with_agent] = sb.seed_instances("digitalocean", 1)
    [without] = sb.seed_instances("digitalocean", 1, monitoring=False)
    [linode] = sb.seed_instances("linode", 1)
    do = _client(sb, "digitalocean", transport)
    found = await do.get_metrics(with_agent, start, end)
    cpu = found.get("cpu")
    assert cpu is not None and len(cpu.points) > 100
    # the busy share the sandbox computes for each reading: the exact mean of
    # busy_fraction over the step before it, from its integral (not its midpoint value)
    step = min(t - before for (before, _), (t, _) in itertools.pairwise(cpu.points[:20]))
    for t, v in cpu.points[1:20]:
        busy = _busy_seconds(int(with_agent), t) - _busy_seconds(int(with_agent), t - step)
        assert v == pytest.approx(100 * busy / step, abs=0.1)
        assert 5 <= v <= 45  # busy_fraction's range
    assert (await do.get_metrics(without, start, end)).agent_missing
    li = await _client(sb, "linode", transport).get_metrics(linode, start, end)
    assert [s.name for s in li.series if s.points] == ["cpu", "net_in", "net_out", "disk_io"]
    week = await _client(sb, "linode", transport).get_metrics(linode, end - timedelta(days=7), end)
    week_cpu = week.get("cpu")
    assert week_cpu is not None and week_cpu.points[0][0] < start.timestamp()
    assert sb.request_count("linode", "GET", "/v4/linode/instances/") >= 2
