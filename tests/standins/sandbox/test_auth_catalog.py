"""Auth errors, request ids and the catalogue endpoints of both providers."""

from __future__ import annotations

import uuid

from standins.sandbox import Sandbox
from standins.sandbox.catalog import linode_catalog

from .conftest import Client


async def test_digitalocean_bad_token_is_401_with_do_body(api: Client) -> None:
    for headers in ({"Authorization": "Bearer nope"}, {"Authorization": ""}):
        reply = await api.call("GET", api.sb.digitalocean_url + "/v2/account", headers=headers)
        assert reply.status == 401
        assert reply.body["id"] == "Unauthorized"
        assert reply.body["message"] == "Unable to authenticate you"
        assert reply.headers["x-request-id"] == reply.body["request_id"]
        uuid.UUID(reply.body["request_id"])


async def test_linode_bad_token_is_401_with_linode_body(api: Client) -> None:
    reply = await api.call("GET", api.sb.linode_url + "/v4/profile")
    assert reply.status == 401
    assert reply.body == {"errors": [{"reason": "Invalid Token"}]}
    assert reply.headers["X-Request-Id"]


async def test_unknown_ids_are_provider_404s(api: Client) -> None:
    reply = await api.do("GET", "/v2/droplets/123")
    assert reply.status == 404
    assert reply.body["id"] == "not_found"
    assert reply.body["message"] == "The resource you were accessing could not be found."
    reply = await api.li("GET", "/v4/linode/instances/123")
    assert reply.status == 404
    assert reply.body == {"errors": [{"reason": "Not found"}]}
    reply = await api.li("GET", "/v4/no/such/route")
    assert reply.status == 404
    assert reply.body == {"errors": [{"reason": "Not found"}]}


async def test_digitalocean_catalogue(api: Client) -> None:
    account = (await api.do("GET", "/v2/account")).body["account"]
    assert {"droplet_limit", "email", "uuid", "status", "email_verified"} <= set(account)
    sizes = (await api.do("GET", "/v2/sizes?per_page=200")).body
    assert sizes["meta"]["total"] == len(sizes["sizes"]) >= 8
    size = sizes["sizes"][0]
    assert {"slug", "memory", "vcpus", "disk", "transfer", "price_monthly", "price_hourly"} <= set(
        size
    )
    assert isinstance(size["transfer"], float)
    regions = (await api.do("GET", "/v2/regions")).body["regions"]
    assert {"nyc3", "sfo3", "ams3", "fra1", "lon1", "sgp1"} <= {r["slug"] for r in regions}
    assert all({"name", "features", "available", "sizes"} <= set(r) for r in regions)
    distros = (await api.do("GET", "/v2/images?type=distribution&per_page=200")).body["images"]
    assert "ubuntu-24-04-x64" in {i["slug"] for i in distros}
    assert all(i["status"] == "available" and i["public"] for i in distros)
    assert all("_kind" not in i for i in distros)
    apps = (await api.do("GET", "/v2/images?type=application&per_page=200")).body["images"]
    clicks = (await api.do("GET", "/v2/1-clicks?type=droplet")).body["1_clicks"]
    assert clicks and all(c["type"] == "droplet" for c in clicks)
    assert {c["slug"] for c in clicks} == {a["slug"] for a in apps}
    all_clicks = (await api.do("GET", "/v2/1-clicks")).body["1_clicks"]
    assert len(all_clicks) > len(clicks)
    private = (await api.do("GET", "/v2/images?private=true")).body
    assert private["images"] == [] and private["meta"]["total"] == 0
    keys = (await api.do("GET", "/v2/account/keys")).body["ssh_keys"]
    assert keys and {"id", "fingerprint", "public_key", "name"} <= set(keys[0])
    vpcs = (await api.do("GET", "/v2/vpcs")).body["vpcs"]
    assert {v["region"] for v in vpcs} >= {"nyc3", "fra1"}


async def test_linode_catalogue(api: Client) -> None:
    profile = (await api.li("GET", "/v4/profile")).body
    assert profile["username"] and profile["email"]
    types = (await api.li("GET", "/v4/linode/types")).body
    assert set(types) == {"data", "page", "pages", "results"}
    assert types["results"] == len(types["data"]) >= 8
    nanode = next(t for t in types["data"] if t["id"] == "g6-nanode-1")
    assert nanode["price"] == {"hourly": 0.0075, "monthly": 5.0}
    assert nanode["class"] == "nanode" and nanode["memory"] == 1024
    regions = (await api.li("GET", "/v4/regions")).body["data"]
    assert {"us-east", "eu-west"} <= {r["id"] for r in regions}
    assert all(r["status"] == "ok" and "Linodes" in r["capabilities"] for r in regions)
    images = (await api.li("GET", "/v4/images")).body["data"]
    assert "linode/ubuntu24.04" in {i["id"] for i in images}
    assert all({"vendor", "label", "size", "deprecated", "created"} <= set(i) for i in images)
    scripts = (await api.li("GET", "/v4/linode/stackscripts")).body["data"]
    assert len(scripts) >= 4
    wp = next(s for s in scripts if "WordPress" in s["label"])
    assert wp["images"] and wp["is_public"]
    fields = {f["name"]: f for f in wp["user_defined_fields"]}
    assert "default" not in fields["db_password"]  # required
    assert fields["webserver_stack"]["oneOf"] == "LAMP,LEMP"
    keys = (await api.li("GET", "/v4/profile/sshkeys")).body["data"]
    assert keys and {"id", "label", "ssh_key", "created"} <= set(keys[0])


async def test_seed_images_extends_catalogues(sb: Sandbox, api: Client) -> None:
    sb.seed_images("digitalocean", 300)
    sb.seed_images("linode", 300)
    page = (await api.do("GET", "/v2/images?type=distribution&per_page=200")).body
    assert page["meta"]["total"] == 308
    assert "next" in page["links"]["pages"]
    li = (await api.li("GET", "/v4/images?page_size=500")).body
    assert li["results"] == 300 + len(linode_catalog().images)
