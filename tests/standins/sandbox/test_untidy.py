"""The sandbox's untidy answers, driven over its control API as tests and demos do."""

from __future__ import annotations

from standins.sandbox import Sandbox

from .conftest import Client


async def test_body_faults_over_the_control_api(sb: Sandbox, api: Client) -> None:
    for fault in (
        {"provider": "linode", "path": "/v4/regions", "body": "empty"},
        {"provider": "digitalocean", "path": "/v2/sizes", "body": "html"},
        {"provider": "linode", "method": "POST", "path": "/v4/linode/instances", "body": "busy"},
    ):
        assert (await api.ctl("POST", "/faults", json=fault)).status == 201
    empty = await api.li("GET", "/v4/regions")
    assert (empty.status, empty.body) == (200, None)
    async with api.session.get(
        sb.digitalocean_url + "/v2/sizes", headers={"Authorization": "Bearer x"}
    ) as resp:
        assert resp.status == 502 and resp.content_type == "text/html"
        assert "<h1>502 Bad Gateway</h1>" in await resp.text()
    busy = await api.li("POST", "/v4/linode/instances", json={})
    assert (busy.status, busy.body) == (400, {"errors": [{"reason": "Linode busy."}]})
    refused = await api.ctl("POST", "/faults", json={"provider": "digitalocean", "body": "busy"})
    assert refused.status == 400


async def test_paging_overlap_repeats_an_item_at_each_boundary(sb: Sandbox, api: Client) -> None:
    reply = await api.ctl("POST", "/paging", json={"max_page_size": 4, "overlap": 1})
    assert reply.status == 200
    first = (await api.li("GET", "/v4/linode/types?page=1")).body
    second = (await api.li("GET", "/v4/linode/types?page=2")).body
    assert len(first["data"]) == 4 and first["pages"] == second["pages"] > 1
    assert second["data"][0]["id"] == first["data"][-1]["id"]
    await api.ctl("POST", "/reset")
    whole = (await api.li("GET", "/v4/linode/types")).body
    assert whole["pages"] == 1


async def test_region_availability_and_root_pass_as_the_live_apis(sb: Sandbox, api: Client) -> None:
    body = {
        "label": "edge-mismatch",
        "region": "us-den-1",
        "type": "g6-nanode-1",
        "image": "linode/ubuntu24.04",
        "root_pass": "Short1!x",
    }
    reply = await api.li("POST", "/v4/linode/instances", json=body)
    assert reply.status == 400
    fields = {e["field"] for e in reply.body["errors"]}
    assert fields == {"type", "root_pass"}  # both at once, each at its field
    droplet = {
        "name": "closed",
        "region": "nyc2",
        "size": "s-1vcpu-1gb",
        "image": "ubuntu-24-04-x64",
    }
    assert (await api.do("POST", "/v2/droplets", json=droplet)).status == 422
