"""The sandbox's metric endpoints: both providers' documented shapes, holes, no agent."""

from __future__ import annotations

import itertools
import time

from standins.sandbox import Sandbox
from standins.sandbox.metrics import HOLE_SECONDS, in_hole
from tests.standins.sandbox.conftest import Client

DAY = 86400


def window() -> dict[str, str]:
    now = int(time.time())
    return {"start": str(now - DAY), "end": str(now)}


async def test_droplet_cpu_is_a_prometheus_matrix_of_mode_counters(
    sb: Sandbox, api: Client
) -> None:
    [droplet] = sb.seed_instances("digitalocean", 1)
    reply = await api.do(
        "GET", "/v2/monitoring/metrics/droplet/cpu", params={"host_id": droplet, **window()}
    )
    assert reply.status == 200
    assert reply.body["status"] == "success"
    assert reply.body["data"]["resultType"] == "matrix"
    results = reply.body["data"]["result"]
    assert {r["metric"]["mode"] for r in results} >= {"idle", "user", "system"}
    for result in results:
        assert result["metric"]["host_id"] == droplet
        times = [t for t, _ in result["values"]]
        assert times == sorted(times)
        assert all(isinstance(v, str) for _, v in result["values"])  # readings are strings
        assert not any(in_hole(t) for t in times)
    idle = next(r for r in results if r["metric"]["mode"] == "idle")["values"]
    counters = [float(v) for _, v in idle]
    assert counters == sorted(counters)  # counters only grow
    steps = {b[0] - a[0] for a, b in itertools.pairwise(idle)}
    assert len(steps) > 1 and max(steps) >= HOLE_SECONDS  # a day has at least one hole


async def test_droplet_bandwidth_by_interface_and_direction(sb: Sandbox, api: Client) -> None:
    [droplet] = sb.seed_instances("digitalocean", 1)
    path = "/v2/monitoring/metrics/droplet/bandwidth"
    params = {"host_id": droplet, "interface": "public", "direction": "outbound", **window()}
    reply = await api.do("GET", path, params=params)
    assert reply.status == 200
    [result] = reply.body["data"]["result"]
    assert result["metric"] == {"host_id": droplet, "interface": "public", "direction": "outbound"}
    assert result["values"] and all(float(v) > 0 for _, v in result["values"])
    missing = await api.do("GET", path, params={"host_id": droplet, **window()})
    assert missing.status == 400  # interface and direction are required


async def test_a_droplet_without_the_agent_answers_an_empty_matrix(
    sb: Sandbox, api: Client
) -> None:
    [droplet] = sb.seed_instances("digitalocean", 1, monitoring=False)
    inbound = {"interface": "public", "direction": "inbound"}
    for path, extra in (("cpu", {}), ("bandwidth", inbound)):
        reply = await api.do(
            "GET",
            f"/v2/monitoring/metrics/droplet/{path}",
            params={"host_id": droplet, **window(), **extra},
        )
        assert reply.status == 200
        assert reply.body == {"status": "success", "data": {"resultType": "matrix", "result": []}}
    ctl = await api.ctl("POST", "/seed", json={"provider": "digitalocean", "monitoring": False})
    [seeded] = ctl.body["ids"]
    assert sb.do.droplets[int(seeded)].monitoring is False


async def test_linode_stats_of_the_last_day(sb: Sandbox, api: Client) -> None:
    [linode] = sb.seed_instances("linode", 1)
    reply = await api.li("GET", f"/v4/linode/instances/{linode}/stats")
    assert reply.status == 200
    body = reply.body
    assert set(body) == {"cpu", "io", "netv4", "netv6", "title"}
    assert set(body["netv4"]) == {"in", "out", "private_in", "private_out"}
    assert set(body["io"]) == {"io", "swap"}
    ms = [t for t, _ in body["cpu"]]
    assert ms == sorted(ms) and all(t > 10**12 for t in ms)  # milliseconds
    assert (ms[-1] - ms[0]) / 1000 <= DAY
    assert not any(in_hole(t / 1000) for t in ms)
    assert all(0 <= v <= 100 for _, v in body["cpu"])
    assert "day (5 min avg)" in body["title"]


async def test_linode_stats_by_month(sb: Sandbox, api: Client) -> None:
    [linode] = sb.seed_instances("linode", 1)
    now = time.gmtime()
    reply = await api.li(
        "GET", f"/v4/linode/instances/{linode}/stats/{now.tm_year}/{now.tm_mon:02d}"
    )
    assert reply.status == 200
    assert reply.body["cpu"] and "month" in reply.body["title"]


async def test_a_new_linode_has_no_stats_yet(sb: Sandbox, api: Client) -> None:
    [linode] = sb.seed_instances("linode", 1)
    sb.linode.instances[int(linode)].history = 0
    sb.linode.instances[int(linode)].created = sb.clock.now()
    reply = await api.li("GET", f"/v4/linode/instances/{linode}/stats")
    assert reply.status == 400
    assert reply.body == {"errors": [{"reason": "Stats are unavailable at this time."}]}
    missing = await api.li("GET", "/v4/linode/instances/999999/stats")
    assert missing.status == 404
