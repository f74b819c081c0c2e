"""Linode instances: create validation, lifecycle, actions, events, X-Filter, pages."""

from __future__ import annotations

import base64
import json
from typing import Any

from standins.sandbox import Sandbox

from .conftest import Client

GOOD = {
    "label": "web-01",
    "region": "us-east",
    "type": "g6-nanode-1",
    "image": "linode/ubuntu24.04",
    "root_pass": "Correct-Horse-9",
}


async def create(api: Client, **over: Any) -> dict[str, Any]:
    reply = await api.li("POST", "/v4/linode/instances", json={**GOOD, **over})
    assert reply.status == 200, reply.body
    return reply.body  # type: ignore[no-any-return]


def xf(flt: dict[str, Any]) -> dict[str, str]:
    return {"X-Filter": json.dumps(flt)}


async def events_for(api: Client, linode_id: int) -> list[dict[str, Any]]:
    reply = await api.li("GET", "/v4/account/events", headers=xf({"entity.id": linode_id}))
    assert reply.status == 200
    return reply.body["data"]  # type: ignore[no-any-return]


async def test_lifecycle_provisioning_booting_running_with_events(sb: Sandbox, api: Client) -> None:
    inst = await create(
        api,
        tags=["vpsbot-abc"],
        private_ip=True,
        metadata={"user_data": base64.b64encode(b"#!").decode()},
    )
    assert inst["status"] == "provisioning"
    assert inst["tags"] == ["vpsbot-abc"] and inst["has_user_data"] is True
    assert len(inst["ipv4"]) == 2 and inst["ipv6"].endswith("/128")
    assert "root_pass" not in inst
    url = f"/v4/linode/instances/{inst['id']}"
    (ev,) = await events_for(api, inst["id"])
    assert ev["action"] == "linode_create" and ev["status"] == "started"
    assert ev["entity"] == {
        "id": inst["id"],
        "type": "linode",
        "label": "web-01",
        "url": f"/v4/linode/instances/{inst['id']}",
    }
    sb.advance(5)
    (ev,) = await events_for(api, inst["id"])
    assert 40 <= ev["percent_complete"] <= 60
    sb.advance(6)
    assert (await api.li("GET", url)).body["status"] == "booting"
    events = await events_for(api, inst["id"])
    assert [e["action"] for e in events] == ["linode_boot", "linode_create"]  # newest first
    assert events[1]["status"] == "finished" and events[1]["percent_complete"] == 100
    assert events[0]["status"] == "started"
    sb.advance(10)
    assert (await api.li("GET", url)).body["status"] == "running"
    assert all(e["status"] == "finished" for e in await events_for(api, inst["id"]))
    one = await api.li("GET", f"/v4/account/events/{events[0]['id']}")
    assert one.body["id"] == events[0]["id"]


async def test_actions_move_status(sb: Sandbox, api: Client) -> None:
    inst = await create(api)
    url = f"/v4/linode/instances/{inst['id']}"
    busy = await api.li("POST", url + "/shutdown")
    assert busy.status == 400 and busy.body["errors"][0]["reason"] == "Linode busy."
    sb.advance(20)
    for action, during, after in [
        ("shutdown", "shutting_down", "offline"),
        ("boot", "booting", "running"),
        ("reboot", "rebooting", "running"),
    ]:
        reply = await api.li("POST", f"{url}/{action}")
        assert reply.status == 200 and reply.body == {}
        assert (await api.li("GET", url)).body["status"] == during
        sb.advance(5)
        assert (await api.li("GET", url)).body["status"] == after
    resize = await api.li("POST", url + "/resize", json={"type": "g6-standard-2"})
    assert resize.status == 200 and resize.body == {}
    assert (await api.li("GET", url)).body["status"] == "resizing"
    sb.advance(5)
    got = (await api.li("GET", url)).body
    assert got["type"] == "g6-standard-2" and got["specs"]["memory"] == 4096
    assert got["status"] == "running"
    rebuild = await api.li(
        "POST", url + "/rebuild", json={"image": "linode/debian12", "root_pass": "An0ther-Pass"}
    )
    assert rebuild.status == 200
    assert rebuild.body["status"] == "rebuilding" and rebuild.body["image"] == "linode/debian12"
    weak = await api.li(
        "POST", url + "/rebuild", json={"image": "linode/debian12", "root_pass": "x"}
    )
    assert weak.status == 400  # busy or weak, either way refused
    sb.advance(5)
    weak = await api.li(
        "POST", url + "/rebuild", json={"image": "linode/debian12", "root_pass": "weakpassword"}
    )
    assert weak.status == 400 and weak.body["errors"][0]["field"] == "root_pass"
    actions = [e["action"] for e in await events_for(api, inst["id"])]
    for name in (
        "linode_shutdown",
        "linode_boot",
        "linode_reboot",
        "linode_resize",
        "linode_rebuild",
    ):
        assert name in actions
    filtered = await api.li(
        "GET",
        "/v4/account/events",
        headers=xf({"action": "linode_resize", "entity.id": inst["id"]}),
    )
    assert [e["action"] for e in filtered.body["data"]] == ["linode_resize"]


async def test_update_and_delete(sb: Sandbox, api: Client) -> None:
    inst = await create(api)
    other = await create(api, label="web-02")
    url = f"/v4/linode/instances/{inst['id']}"
    put = await api.li("PUT", url, json={"label": "renamed", "tags": ["x-tag"]})
    assert put.status == 200 and put.body["label"] == "renamed" and put.body["tags"] == ["x-tag"]
    dup = await api.li("PUT", url, json={"label": other["label"]})
    assert dup.status == 400 and dup.body["errors"][0]["field"] == "label"
    deleted = await api.li("DELETE", url)
    assert deleted.status == 200 and deleted.body == {}
    assert (await api.li("GET", url)).status == 404
    actions = [e["action"] for e in await events_for(api, inst["id"])]
    assert actions[0] == "linode_delete"


async def test_create_validation_field_errors(sb: Sandbox, api: Client) -> None:
    await create(api, label="taken-label")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"label": "ab"}, "label"),
        ({"label": "1abc"}, "label"),
        ({"label": "a" * 65}, "label"),
        ({"label": "web--01"}, "label"),
        ({"label": "web__01"}, "label"),
        ({"label": "web..01"}, "label"),
        ({"label": "web 01"}, "label"),
        ({"label": "Taken-Label"}, "label"),
        ({"root_pass": "Ab1"}, "root_pass"),
        ({"root_pass": "alllowercase"}, "root_pass"),
        ({"root_pass": "x" * 129}, "root_pass"),
        ({"root_pass": None}, "root_pass"),
        ({"region": "moon-1"}, "region"),
        ({"type": "g9-giant"}, "type"),
        ({"image": "linode/windows"}, "image"),
        ({"stackscript_id": 5}, "stackscript_id"),
        ({"stackscript_id": 607433, "image": "linode/fedora40"}, "image"),
        (
            {"stackscript_id": 401697, "stackscript_data": {"soa_email_address": "a@b.c"}},
            "stackscript_data.db_password",
        ),
        (
            {
                "stackscript_id": 401697,
                "stackscript_data": {
                    "soa_email_address": "a@b.c",
                    "db_password": "x",
                    "webserver_stack": "IIS",
                },
            },
            "stackscript_data.webserver_stack",
        ),
    ]
    for over, field in cases:
        body = {**GOOD, **over}
        reply = await api.li("POST", "/v4/linode/instances", json=body)
        assert reply.status == 400, over
        assert field in [e.get("field") for e in reply.body["errors"]], (over, reply.body)
        assert all(e["reason"] for e in reply.body["errors"])
    missing = await api.li("POST", "/v4/linode/instances", json={"label": "abc-1"})
    assert {e["field"] for e in missing.body["errors"]} >= {"region", "type"}
    ok = await create(
        api,
        label="wp-1",
        stackscript_id=401697,
        stackscript_data={"soa_email_address": "a@b.c", "db_password": "s3cret-Pass"},
    )
    assert ok["status"] == "provisioning"
    assert len(sb.instances("linode")) == 2


async def test_x_filter_on_tags_and_label(sb: Sandbox, api: Client) -> None:
    a = await create(api, label="alpha", tags=["vpsbot-1", "web"])
    b = await create(api, label="beta", tags=["vpsbot-2"])
    by_tag = await api.li("GET", "/v4/linode/instances", headers=xf({"tags": "vpsbot-1"}))
    assert [i["id"] for i in by_tag.body["data"]] == [a["id"]] and by_tag.body["results"] == 1
    by_label = await api.li("GET", "/v4/linode/instances", headers=xf({"label": "beta"}))
    assert [i["id"] for i in by_label.body["data"]] == [b["id"]]
    either = await api.li(
        "GET", "/v4/linode/instances", headers=xf({"+or": [{"label": "alpha"}, {"label": "beta"}]})
    )
    assert either.body["results"] == 2
    both = await api.li(
        "GET", "/v4/linode/instances", headers=xf({"+and": [{"tags": "web"}, {"label": "beta"}]})
    )
    assert both.body["results"] == 0
    contains = await api.li(
        "GET", "/v4/linode/instances", headers=xf({"label": {"+contains": "lph"}})
    )
    assert contains.body["results"] == 1
    mine = await api.li("GET", "/v4/linode/stackscripts", headers=xf({"mine": True}))
    assert [s["label"] for s in mine.body["data"]] == ["vpsbot-nodejs"]
    public = await api.li(
        "GET",
        "/v4/linode/stackscripts",
        headers=xf(
            {
                "+and": [
                    {"is_public": True},
                    {"+or": [{"label": "LAMP One-Click"}, {"label": "Docker One-Click"}]},
                ]
            }
        ),
    )
    assert {s["id"] for s in public.body["data"]} == {401701, 607433}
    ordered = await api.li(
        "GET", "/v4/linode/types", headers=xf({"+order_by": "memory", "+order": "desc"})
    )
    mems = [t["memory"] for t in ordered.body["data"]]
    assert mems == sorted(mems, reverse=True)
    bad = await api.li("GET", "/v4/linode/instances", headers={"X-Filter": "{nope"})
    assert bad.status == 400 and bad.body["errors"]


async def test_linode_pages(sb: Sandbox, api: Client) -> None:
    ids = set(sb.seed_instances("linode", 130, tag="bulk"))
    first = (await api.li("GET", "/v4/linode/instances?page_size=50")).body
    assert (first["page"], first["pages"], first["results"]) == (1, 3, 130)
    seen = [i["id"] for i in first["data"]]
    for page in (2, 3):
        body = (await api.li("GET", f"/v4/linode/instances?page_size=50&page={page}")).body
        assert body["page"] == page
        seen += [i["id"] for i in body["data"]]
    assert {str(i) for i in seen} == ids and len(seen) == 130
    default = (await api.li("GET", "/v4/linode/instances")).body
    assert len(default["data"]) == 100 and default["pages"] == 2
    for size in (10, 501):
        bad = await api.li("GET", f"/v4/linode/instances?page_size={size}")
        assert bad.status == 400 and bad.body["errors"][0]["field"] == "page_size"


async def test_create_limit(sb: Sandbox, api: Client) -> None:
    for n in range(10):
        await create(api, label=f"burst-{n}")
    reply = await api.li("POST", "/v4/linode/instances", json={**GOOD, "label": "burst-10"})
    assert reply.status == 429
    assert reply.body == {"errors": [{"reason": "Too Many Requests"}]}
    assert int(reply.headers["Retry-After"]) >= 1
    sb.advance(31)
    await create(api, label="burst-10")


async def test_types_serve_the_backups_add_on_price_by_region(api: Client) -> None:
    """Each type lists ``addons.backups.price`` and its own ``region_prices``, as the
    spec shapes them; one type and one regional entry read the same way both places."""
    reply = await api.li("GET", "/v4/linode/types/g6-standard-1")
    assert reply.status == 200
    backups = reply.body["addons"]["backups"]
    assert set(backups["price"]) == {"hourly", "monthly"}
    assert backups["price"]["monthly"] < reply.body["price"]["monthly"]
    regional = {p["id"]: p for p in backups["region_prices"]}
    assert set(regional) == {p["id"] for p in reply.body["region_prices"]}
    assert all(p["monthly"] > backups["price"]["monthly"] for p in regional.values())
    listed = await api.li("GET", "/v4/linode/types")
    same = next(t for t in listed.body["data"] if t["id"] == "g6-standard-1")
    assert same["addons"] == reply.body["addons"]
