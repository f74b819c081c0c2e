"""DigitalOcean droplets: create validation, lifecycle, actions, tags, pagination."""

from __future__ import annotations

from typing import Any

from standins.sandbox import Sandbox

from .conftest import Client

GOOD = {"name": "web-01", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


async def create(api: Client, **over: Any) -> dict[str, Any]:
    reply = await api.do("POST", "/v2/droplets", json={**GOOD, **over})
    assert reply.status == 202, reply.body
    return reply.body  # type: ignore[no-any-return]


async def test_create_returns_202_new_droplet_with_create_action(api: Client) -> None:
    body = await create(
        api,
        tags=["vpsbot:abc", "web"],
        ipv6=True,
        backups=True,
        monitoring=True,
        ssh_keys=[41234567],
        user_data="#cloud-config\nchpasswd:\n  expire: false\n",
    )
    droplet = body["droplet"]
    assert droplet["status"] == "new"
    assert droplet["networks"] == {"v4": [], "v6": []}
    assert droplet["tags"] == ["vpsbot:abc", "web"]
    assert {"backups", "ipv6", "monitoring", "private_networking"} <= set(droplet["features"])
    assert droplet["size_slug"] == "s-1vcpu-1gb" and droplet["region"]["slug"] == "nyc3"
    assert droplet["image"]["slug"] == "ubuntu-24-04-x64"
    assert droplet["vpc_uuid"]
    (link,) = body["links"]["actions"]
    assert link["rel"] == "create"
    assert link["href"].startswith(api.sb.url)
    action = (await api.do("GET", f"/v2/droplets/{droplet['id']}/actions/{link['id']}")).body
    assert action["action"]["status"] == "in-progress"
    assert action["action"]["type"] == "create"


async def test_droplet_becomes_active_with_networks_after_provisioning(
    sb: Sandbox, api: Client
) -> None:
    droplet = (await create(api, ipv6=True))["droplet"]
    url = f"/v2/droplets/{droplet['id']}"
    sb.advance(19)
    assert (await api.do("GET", url)).body["droplet"]["status"] == "new"
    sb.advance(1.5)
    got = (await api.do("GET", url)).body["droplet"]
    assert got["status"] == "active"
    kinds = {n["type"] for n in got["networks"]["v4"]}
    assert kinds == {"public", "private"}
    assert len(got["networks"]["v6"]) == 1
    no_v6 = (await create(api, name="web-02"))["droplet"]
    sb.advance(21)
    got = (await api.do("GET", f"/v2/droplets/{no_v6['id']}")).body["droplet"]
    assert got["networks"]["v6"] == []


async def test_actions_change_state_when_completed(sb: Sandbox, api: Client) -> None:
    droplet_id = (await create(api))["droplet"]["id"]
    url = f"/v2/droplets/{droplet_id}"
    early = await api.do("POST", url + "/actions", json={"type": "power_off"})
    assert early.status == 422  # still provisioning: a pending event
    sb.advance(21)
    reply = await api.do("POST", url + "/actions", json={"type": "power_off"})
    assert reply.status == 201
    action = reply.body["action"]
    assert action["status"] == "in-progress" and action["type"] == "power_off"
    assert action["resource_id"] == droplet_id and action["completed_at"] is None
    assert (await api.do("GET", url)).body["droplet"]["status"] == "active"
    sb.advance(5)
    done = (await api.do("GET", f"{url}/actions/{action['id']}")).body["action"]
    assert done["status"] == "completed" and done["completed_at"]
    assert (await api.do("GET", url)).body["droplet"]["status"] == "off"

    resize = await api.do("POST", url + "/actions", json={"type": "resize", "size": "s-2vcpu-4gb"})
    assert resize.status == 201
    sb.advance(5)
    got = (await api.do("GET", url)).body["droplet"]
    assert got["size_slug"] == "s-2vcpu-4gb" and got["memory"] == 4096 and got["status"] == "off"

    await api.do("POST", url + "/actions", json={"type": "power_on"})
    sb.advance(5)
    assert (await api.do("GET", url)).body["droplet"]["status"] == "active"
    bad = await api.do("POST", url + "/actions", json={"type": "resize", "size": "s-4vcpu-8gb"})
    assert bad.status == 422  # must be off to resize
    rebuild = await api.do(
        "POST", url + "/actions", json={"type": "rebuild", "image": "debian-12-x64"}
    )
    assert rebuild.status == 201
    sb.advance(5)
    assert (await api.do("GET", url)).body["droplet"]["image"]["slug"] == "debian-12-x64"
    for kind in ("reboot", "power_cycle", "shutdown"):
        assert (await api.do("POST", url + "/actions", json={"type": kind})).status == 201
        sb.advance(5)
    assert (await api.do("GET", url)).body["droplet"]["status"] == "off"
    history = (await api.do("GET", url + "/actions")).body
    assert history["meta"]["total"] == 8
    unknown = await api.do("POST", url + "/actions", json={"type": "explode"})
    assert unknown.status == 422 and unknown.body["id"] == "unprocessable_entity"


async def test_create_validation_is_422(api: Client) -> None:
    cases: list[dict[str, Any]] = [
        {"name": "bad name!"},
        {"name": ""},
        {"region": "mars1"},
        {"size": "huge"},
        {"image": "windows-95"},
        {"size": "g-2vcpu-8gb", "region": "sgp1"},  # size not offered there
        {"ssh_keys": [999]},
        {"vpc_uuid": "00000000-0000-0000-0000-000000000000"},
        {"tags": ["has space"]},
        {"user_data": "x" * (64 * 1024 + 1)},
    ]
    for over in cases:
        reply = await api.do("POST", "/v2/droplets", json={**GOOD, **over})
        assert reply.status == 422, over
        assert reply.body["id"] == "unprocessable_entity"
        assert reply.body["message"] and reply.body["request_id"]
    missing = {k: v for k, v in GOOD.items() if k != "name"}
    assert (await api.do("POST", "/v2/droplets", json=missing)).status == 422
    garbage = await api.do("POST", "/v2/droplets", data=b"{not json")
    assert garbage.status == 400
    assert api.sb.instances("digitalocean") == []


async def test_tag_filter_and_delete(sb: Sandbox, api: Client) -> None:
    a = (await create(api, name="a-1", tags=["vpsbot:one"]))["droplet"]["id"]
    await create(api, name="b-1", tags=["vpsbot:two"])
    listed = (await api.do("GET", "/v2/droplets?tag_name=vpsbot:one")).body
    assert [d["id"] for d in listed["droplets"]] == [a]
    assert listed["meta"]["total"] == 1
    assert (await api.do("DELETE", f"/v2/droplets/{a}")).status == 204
    assert (await api.do("GET", f"/v2/droplets/{a}")).status == 404
    assert (await api.do("GET", "/v2/droplets?tag_name=vpsbot:one")).body["droplets"] == []
    assert (await api.do("DELETE", f"/v2/droplets/{a}")).status == 404


async def test_pagination_follows_links_next(sb: Sandbox, api: Client) -> None:
    ids = set(sb.seed_instances("digitalocean", 45, tag="bulk"))
    sb.seed_instances("digitalocean", 5)
    seen: list[str] = []
    url: str | None = sb.digitalocean_url + "/v2/droplets?tag_name=bulk&per_page=20"
    pages = 0
    while url:
        reply = await api.call(
            "GET", url, headers={"Authorization": "Bearer sandbox-digitalocean-token"}
        )
        assert reply.status == 200
        assert reply.body["meta"]["total"] == 45
        seen += [str(d["id"]) for d in reply.body["droplets"]]
        links = reply.body["links"]["pages"]
        if pages:
            assert links["first"].startswith(sb.url) and "prev" in links
        url = links.get("next")
        if url:
            assert url.startswith(sb.url) and "tag_name=bulk" in url and "last" in links
        pages += 1
    assert pages == 3
    assert set(seen) == ids and len(seen) == 45
    capped = (await api.do("GET", "/v2/droplets?per_page=1000")).body
    assert len(capped["droplets"]) == 50  # per_page is capped at 200


async def test_multi_create_with_names(api: Client) -> None:
    reply = await api.do(
        "POST",
        "/v2/droplets",
        json={**{k: v for k, v in GOOD.items() if k != "name"}, "names": ["n-1", "n-2"]},
    )
    assert reply.status == 202
    assert [d["name"] for d in reply.body["droplets"]] == ["n-1", "n-2"]
    assert len(reply.body["links"]["actions"]) == 2
