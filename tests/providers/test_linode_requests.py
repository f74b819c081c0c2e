"""LinodeProvider: exact request shapes, pagination, X-Filter, normalisation, rules."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from hypothesis import given
from hypothesis import strategies as st

from providers.errors import OutcomeUnknownError, ValidationError
from providers.linode import LinodeProvider
from providers.models import CreateRequest, InstanceStatus
from tests.providers.conftest import LI, sent

pytestmark = pytest.mark.usefixtures("provider_env")

PASSWORD = "aComplex#Pass123"
KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKEYA alice@host"
KEY_B = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQKEYB bob@host"
SSHKEYS = re.compile(rf"^{re.escape(LI)}/v4/profile/sshkeys\?.*")
INSTANCES = re.compile(rf"^{re.escape(LI)}/v4/linode/instances\?.*")


def linode(id: int = 123, status: str = "running", tags: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": id,
        "label": "web-1",
        "status": status,
        "ipv4": ["192.168.133.7", "203.0.113.1"],
        "ipv6": "c001:d00d::1337/128",
        "region": "us-east",
        "type": "g6-standard-1",
        "image": "linode/debian12",
        "tags": tags if tags is not None else ["vpsbot-abc"],
        "created": "2018-01-01T00:01:01",
    }


def page(items: list[dict[str, Any]], number: int = 1, pages: int = 1) -> dict[str, Any]:
    return {"data": items, "page": number, "pages": pages, "results": len(items)}


def request(**overrides: Any) -> CreateRequest:
    fields: dict[str, Any] = {
        "label": "web-1",
        "region": "us-east",
        "plan": "g6-standard-1",
        "image": "linode/debian12",
        "tag": "vpsbot-abc",
        "root_password": PASSWORD,
        "ssh_key_ids": ["22", "11"],
        "backups": True,
        "private_ip": True,
        "extra_tags": ["team-ops"],
    }
    fields.update(overrides)
    return CreateRequest(**fields)


def profile_keys(http: aioresponses) -> None:
    http.get(
        SSHKEYS,
        payload=page(
            [
                {"id": 11, "label": "alice", "ssh_key": KEY_A},
                {"id": 22, "label": "bob", "ssh_key": KEY_B},
            ]
        ),
        repeat=True,
    )


async def test_create_request_shape(http: aioresponses, li: LinodeProvider) -> None:
    profile_keys(http)
    http.post(f"{LI}/v4/linode/instances", payload=linode(status="provisioning"))
    instance = await li.create_instance(
        request(deployment_id="401697", deployment_data={"site_title": "Blog", "port": 8080})
    )
    ((url, kwargs),) = sent(http, "POST")
    assert str(url) == f"{LI}/v4/linode/instances"
    assert kwargs["json"] == {
        "label": "web-1",
        "region": "us-east",
        "type": "g6-standard-1",
        "image": "linode/debian12",
        "root_pass": PASSWORD,
        "authorized_keys": [KEY_B, KEY_A],
        "backups_enabled": True,
        "private_ip": True,
        "tags": ["vpsbot-abc", "team-ops"],
        "booted": True,
        "stackscript_id": 401697,
        "stackscript_data": {"site_title": "Blog", "port": "8080"},
    }
    assert instance.status is InstanceStatus.PROVISIONING
    assert instance.ipv4 == "203.0.113.1"
    assert instance.private_ipv4 == "192.168.133.7"
    assert instance.ipv6 == "c001:d00d::1337"
    assert instance.created_at is not None and instance.created_at.tzinfo is not None


async def test_create_without_password_generates_a_strong_one(
    http: aioresponses, li: LinodeProvider
) -> None:
    http.post(f"{LI}/v4/linode/instances", payload=linode())
    await li.create_instance(request(root_password=None, ssh_key_ids=[]))
    ((_, kwargs),) = sent(http, "POST")
    body = kwargs["json"]
    assert LinodeProvider.password_error(body["root_pass"]) is None
    assert body["authorized_keys"] == []
    assert "stackscript_id" not in body
    assert sent(http, "GET") == []


async def test_unknown_ssh_key_rejected(http: aioresponses, li: LinodeProvider) -> None:
    profile_keys(http)
    with pytest.raises(ValidationError) as info:
        await li.create_instance(request(ssh_key_ids=["999"]))
    assert info.value.field == "ssh_key_ids"
    assert sent(http, "POST") == []


async def test_weak_password_rejected_before_sending(
    http: aioresponses, li: LinodeProvider
) -> None:
    with pytest.raises(ValidationError) as info:
        await li.create_instance(request(root_password="abcdefgh"))
    assert info.value.field == "root_password"
    assert sent(http, "POST") == [] and sent(http, "GET") == []


async def test_lost_create_is_resolved_by_tag_filter(
    http: aioresponses, li: LinodeProvider
) -> None:
    profile_keys(http)
    http.post(f"{LI}/v4/linode/instances", exception=aiohttp.ServerDisconnectedError(), repeat=True)
    http.get(INSTANCES, payload=page([linode(id=555)]))
    instance = await li.create_instance(request())
    assert instance.id == "555"
    assert len(sent(http, "POST")) == 1
    ((_, kwargs),) = sent(http, "GET", f"{LI}/v4/linode/instances")
    assert json.loads(kwargs["headers"]["X-Filter"]) == {"tags": "vpsbot-abc"}


async def test_lost_create_not_found_is_outcome_unknown(
    http: aioresponses, li: LinodeProvider
) -> None:
    profile_keys(http)
    http.post(f"{LI}/v4/linode/instances", exception=TimeoutError(), repeat=True)
    # A listing that ignores the filter: the client still checks the tag itself.
    http.get(INSTANCES, payload=page([linode(id=1, tags=["other"])]), repeat=True)
    with pytest.raises(OutcomeUnknownError):
        await li.create_instance(request())
    assert len(sent(http, "POST")) == 1


async def test_list_instances_follows_pages(http: aioresponses, li: LinodeProvider) -> None:
    http.get(f"{LI}/v4/linode/instances?page=1&page_size=500", payload=page([linode(id=1)], 1, 3))
    http.get(
        f"{LI}/v4/linode/instances?page=2&page_size=500",
        payload=page([linode(id=2, status="offline")], 2, 3),
    )
    http.get(
        f"{LI}/v4/linode/instances?page=3&page_size=500",
        payload=page([linode(id=3, status="booting")], 3, 3),
    )
    instances = await li.list_instances()
    assert [i.id for i in instances] == ["1", "2", "3"]
    assert [i.status for i in instances] == [
        InstanceStatus.RUNNING,
        InstanceStatus.STOPPED,
        InstanceStatus.PROVISIONING,
    ]
    assert len(sent(http, "GET")) == 3


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("provisioning", InstanceStatus.PROVISIONING),
        ("booting", InstanceStatus.PROVISIONING),
        ("rebuilding", InstanceStatus.PROVISIONING),
        ("migrating", InstanceStatus.PROVISIONING),
        ("cloning", InstanceStatus.PROVISIONING),
        ("restoring", InstanceStatus.PROVISIONING),
        ("resizing", InstanceStatus.PROVISIONING),
        ("running", InstanceStatus.RUNNING),
        ("offline", InstanceStatus.STOPPED),
        ("stopped", InstanceStatus.STOPPED),
        ("shutting_down", InstanceStatus.STOPPED),
        ("rebooting", InstanceStatus.REBOOTING),
        ("deleting", InstanceStatus.DELETING),
        ("martian", InstanceStatus.UNKNOWN),
    ],
)
async def test_statuses(
    http: aioresponses, li: LinodeProvider, raw: str, status: InstanceStatus
) -> None:
    http.get(f"{LI}/v4/linode/instances/9", payload=linode(id=9, status=raw))
    instance = await li.get_instance("9")
    assert (instance.status, instance.raw_status) == (status, raw)


async def test_plans_normalised(http: aioresponses, li: LinodeProvider) -> None:
    http.get(
        f"{LI}/v4/linode/types?page=1&page_size=500",
        payload=page(
            [
                {
                    "id": "g6-nanode-1",
                    "label": "Nanode 1GB",
                    "vcpus": 1,
                    "memory": 1024,
                    "disk": 25600,
                    "transfer": 1000,
                    "price": {"hourly": 0.0075, "monthly": 5.0},
                    "class": "nanode",
                }
            ]
        ),
    )
    http.get(f"{LI}/v4/regions?page=1&page_size=500", payload=page([]))
    http.get(f"{LI}/v4/regions/availability?page=1&page_size=500", payload=page([]))
    (plan,) = await li.get_plans()
    assert (plan.id, plan.memory_mb, plan.disk_gb, plan.transfer_gb) == (
        "g6-nanode-1",
        1024,
        25,
        1000,
    )
    assert plan.price_hourly == Decimal("0.0075") and plan.price_monthly == Decimal("5.0")
    assert plan.regions == []


async def test_plans_carry_the_backups_add_on_price_by_region(
    http: aioresponses, li: LinodeProvider
) -> None:
    """``addons.backups.price`` and its own ``region_prices`` (which need not follow
    the type's); null amounts (a distributed type) mean no backups price."""
    http.get(
        f"{LI}/v4/linode/types?page=1&page_size=500",
        payload=page(
            [
                {
                    "id": "g6-standard-1",
                    "label": "Linode 2GB",
                    "price": {"hourly": 0.018, "monthly": 12.0},
                    "region_prices": [{"id": "id-cgk", "hourly": 0.0216, "monthly": 14.4}],
                    "addons": {
                        "backups": {
                            "price": {"hourly": 0.004, "monthly": 2.5},
                            "region_prices": [
                                {"id": "id-cgk", "hourly": 0.0045, "monthly": 3.0},
                                {"id": "br-gru", "hourly": 0.0053, "monthly": 3.5},
                            ],
                        }
                    },
                },
                {
                    "id": "g6-dedicated-edge-2",
                    "label": "Dedicated 4GB (distributed)",
                    "price": {"hourly": 0.0645, "monthly": 43.0},
                    "addons": {
                        "backups": {"price": {"hourly": None, "monthly": None}, "region_prices": []}
                    },
                },
            ]
        ),
    )
    http.get(f"{LI}/v4/regions?page=1&page_size=500", payload=page([]))
    http.get(f"{LI}/v4/regions/availability?page=1&page_size=500", payload=page([]))
    standard, edge = await li.get_plans()
    assert standard.backups is not None
    assert (standard.backups.monthly, standard.backups.hourly) == (Decimal("2.5"), Decimal("0.004"))
    assert standard.backups_region_prices["br-gru"].monthly == Decimal("3.5")
    assert standard.backups_prices_json() == {
        "monthly": "2.5",
        "hourly": "0.004",
        "region_prices": {
            "br-gru": {"monthly": "3.5", "hourly": "0.0053"},
            "id-cgk": {"monthly": "3.0", "hourly": "0.0045"},
        },
    }
    assert edge.backups is None and edge.backups_prices_json() == {}


async def test_images_public_not_deprecated(http: aioresponses, li: LinodeProvider) -> None:
    http.get(
        f"{LI}/v4/images?page=1&page_size=500",
        payload=page(
            [
                {
                    "id": "linode/debian12",
                    "label": "Debian 12",
                    "vendor": "Debian",
                    "is_public": True,
                    "deprecated": False,
                    "size": 1300,
                    "created": "2023-06-12T12:00:00",
                    "status": "available",
                },
                {
                    "id": "linode/debian9",
                    "label": "Debian 9",
                    "vendor": "Debian",
                    "is_public": True,
                    "deprecated": True,
                    "size": 1300,
                },
                {
                    "id": "private/1",
                    "label": "mine",
                    "vendor": None,
                    "is_public": False,
                    "deprecated": False,
                },
            ]
        ),
    )
    (image,) = await li.get_images()
    assert (image.id, image.name, image.distribution, image.version, image.min_disk_gb) == (
        "linode/debian12",
        "Debian 12",
        "Debian",
        "12",
        2,
    )
    ((_, kwargs),) = sent(http, "GET")
    assert json.loads(kwargs["headers"]["X-Filter"]) == {"is_public": True, "deprecated": False}


async def test_regions(http: aioresponses, li: LinodeProvider) -> None:
    http.get(
        f"{LI}/v4/regions?page=1&page_size=500",
        payload=page(
            [
                {
                    "id": "us-east",
                    "label": "Newark, NJ",
                    "country": "us",
                    "status": "ok",
                    "capabilities": ["Linodes", "Backups"],
                },
                {"id": "ap-west", "label": "Mumbai", "status": "outage", "capabilities": []},
            ]
        ),
    )
    http.get(f"{LI}/v4/regions/availability?page=1&page_size=500", payload=page([]))
    regions = await li.get_regions()
    assert [(r.id, r.name, r.available) for r in regions] == [
        ("us-east", "Newark, NJ", True),
        ("ap-west", "Mumbai", False),
    ]
    assert regions[0].features == ["Linodes", "Backups"]
    assert regions[0].sold_out == [] and regions[0].offers("g6-nanode-1")


def _region(rid: str, *caps: str) -> dict[str, Any]:
    return {"id": rid, "label": rid, "status": "ok", "capabilities": ["Linodes", *caps]}


def _type(tid: str, klass: str) -> dict[str, Any]:
    return {"id": tid, "label": tid, "class": klass, "price": {"hourly": 1, "monthly": 500}}


async def test_sold_out_pairs_from_every_page_of_the_availability(
    http: aioresponses, li: LinodeProvider
) -> None:
    gpu, netint = "g1-gpu-rtx6000-1", "g1-accelerated-netint-vpu-t1u1-s"
    regions = [
        _region("us-east", "GPU Linodes"),
        _region("eu-central", "GPU Linodes"),
        _region("us-central", "NETINT Quadra T1U"),
        _region("us-west"),
    ]
    http.get(f"{LI}/v4/regions?page=1&page_size=500", payload=page(regions), repeat=True)
    types = [_type(gpu, "gpu"), _type(netint, "accelerated"), _type("g6-nanode-1", "nanode")]
    http.get(f"{LI}/v4/linode/types?page=1&page_size=500", payload=page(types))
    availability = f"{LI}/v4/regions/availability?page=%d&page_size=500"
    first = [{"region": "us-east", "plan": gpu, "available": False}]
    second = [
        {"region": "eu-central", "plan": gpu, "available": True},
        {"region": "us-central", "plan": netint, "available": True},
    ]
    for _ in range(2):  # read once for the plans and once for the regions
        http.get(availability % 1, payload={"data": first, "page": 1, "pages": 2, "results": 3})
        http.get(availability % 2, payload={"data": second, "page": 2, "pages": 2, "results": 3})
    plans = {p.id: p for p in await li.get_plans()}
    assert plans[gpu].regions == ["eu-central"]  # sold out in us-east (page 1)
    # "accelerated" needs its region capability, as GPU and premium do
    assert plans[netint].regions == ["us-central"]
    assert plans["g6-nanode-1"].regions == ["us-east", "eu-central", "us-central", "us-west"]
    by_id = {r.id: r for r in await li.get_regions()}
    assert by_id["us-east"].sold_out == [gpu] and not by_id["us-east"].offers(gpu)
    assert by_id["eu-central"].offers(gpu) and by_id["us-east"].offers("g6-nanode-1")


async def test_stackscripts_with_udfs_and_bounded_filter(
    http: aioresponses, li: LinodeProvider
) -> None:
    http.get(
        re.compile(rf"^{re.escape(LI)}/v4/linode/stackscripts\?.*"),
        payload=page(
            [
                {
                    "id": 401697,
                    "label": "WordPress",
                    "username": "linode",
                    "is_public": True,
                    "mine": False,
                    "description": "WordPress on LAMP",
                    "images": ["linode/debian12"],
                    "user_defined_fields": [
                        {"name": "site_title", "label": "Title", "default": "My Site"},
                        {
                            "name": "stack",
                            "label": "Stack",
                            "oneOf": "LAMP,LEMP",
                            "default": "LAMP",
                        },
                        {"name": "extras", "label": "Extras", "manyOf": "redis, memcached"},
                        {"name": "email", "label": "Email", "example": "a@b.c"},
                    ],
                },
                {
                    "id": 7,
                    "label": "Random",
                    "username": "stranger",
                    "is_public": True,
                    "mine": False,
                },
                {
                    "id": 8,
                    "label": "Mine",
                    "username": "me",
                    "is_public": False,
                    "mine": True,
                    "images": ["any/all"],
                    "user_defined_fields": [],
                },
            ]
        ),
    )
    options = await li.get_deployment_options()
    assert [o.id for o in options] == ["401697", "8"]
    wp = options[0]
    assert (wp.kind, wp.name, wp.images, wp.description) == (
        "stackscript",
        "WordPress",
        ["linode/debian12"],
        "WordPress on LAMP",
    )
    title, stack, extras, email = wp.fields
    assert title.default == "My Site" and not title.required
    assert stack.oneof == ["LAMP", "LEMP"]
    assert extras.manyof == ["redis", "memcached"] and extras.required
    assert email.example == "a@b.c"
    assert options[1].category == "Mine"
    ((_, kwargs),) = sent(http, "GET")
    flt = json.loads(kwargs["headers"]["X-Filter"])
    assert {"mine": True} in flt["+or"]


async def test_ssh_keys(http: aioresponses, li: LinodeProvider) -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGRlbW8= demo"
    http.get(SSHKEYS, payload=page([{"id": 5, "label": "demo", "ssh_key": key}]))
    (ssh_key,) = await li.list_ssh_keys()
    assert (ssh_key.id, ssh_key.name, ssh_key.public_key) == ("5", "demo", key)
    assert re.fullmatch(r"([0-9a-f]{2}:){15}[0-9a-f]{2}", ssh_key.fingerprint)


EVENTS = re.compile(rf"^{re.escape(LI)}/v4/account/events\?.*")


@pytest.mark.parametrize(
    ("action", "kwargs", "endpoint", "body", "event_action"),
    [
        ("power_on", {}, "boot", {}, "linode_boot"),
        ("shutdown", {}, "shutdown", {}, "linode_shutdown"),
        ("power_off", {}, "shutdown", {}, "linode_shutdown"),
        ("reboot", {}, "reboot", {}, "linode_reboot"),
        ("power_cycle", {}, "reboot", {}, "linode_reboot"),
        (
            "rebuild",
            {"image": "linode/debian12", "root_password": PASSWORD},
            "rebuild",
            {"image": "linode/debian12", "root_pass": PASSWORD},
            "linode_rebuild",
        ),
        ("resize", {"plan": "g6-standard-2"}, "resize", {"type": "g6-standard-2"}, "linode_resize"),
    ],
)
async def test_actions_and_event_lookup(
    http: aioresponses,
    li: LinodeProvider,
    action: str,
    kwargs: dict[str, str],
    endpoint: str,
    body: dict[str, str],
    event_action: str,
) -> None:
    http.post(f"{LI}/v4/linode/instances/123/{endpoint}", payload={})
    http.get(
        EVENTS,
        payload=page(
            [
                {
                    "id": 900,
                    "action": event_action,
                    "status": "finished",
                    "percent_complete": 100,
                    "created": "2024-01-01T00:00:00",
                    "entity": {"id": 123, "type": "linode"},
                },
                {
                    "id": 901,
                    "action": event_action,
                    "status": "started",
                    "percent_complete": 40,
                    "created": "2024-01-01T00:05:00",
                    "entity": {"id": 123, "type": "linode"},
                },
            ]
        ),
    )
    result = await li.perform_action("123", action, **kwargs)
    ((_, post),) = sent(http, "POST")
    assert post["json"] == body
    assert (result.id, result.action, result.status, result.progress) == (
        "901",
        action,
        "in-progress",
        40,
    )
    ((_, get),) = sent(http, "GET")
    flt = json.loads(get["headers"]["X-Filter"])
    assert flt["entity.id"] == 123 and flt["action"] == event_action
    assert flt["+order"] == "desc"


async def test_action_without_visible_event(http: aioresponses, li: LinodeProvider) -> None:
    http.post(f"{LI}/v4/linode/instances/123/boot", payload={})
    http.get(EVENTS, payload=page([]), repeat=True)
    result = await li.perform_action("123", "power_on")
    assert (result.id, result.status) == ("", "in-progress")


async def test_unsupported_action(http: aioresponses, li: LinodeProvider) -> None:
    with pytest.raises(ValidationError) as info:
        await li.perform_action("123", "hibernate")
    assert info.value.field == "action"
    assert sent(http, "POST") == []


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("scheduled", "in-progress"),
        ("started", "in-progress"),
        ("finished", "completed"),
        ("failed", "errored"),
    ],
)
async def test_get_action_maps_event_status(
    http: aioresponses, li: LinodeProvider, raw: str, status: str
) -> None:
    http.get(
        f"{LI}/v4/account/events/901",
        payload={
            "id": 901,
            "action": "linode_reboot",
            "status": raw,
            "percent_complete": 50,
            "entity": {"id": 123, "type": "linode"},
        },
    )
    result = await li.get_action("123", "901")
    assert (result.id, result.action, result.status, result.progress) == (
        "901",
        "reboot",
        status,
        50,
    )


async def test_delete(http: aioresponses, li: LinodeProvider) -> None:
    http.delete(f"{LI}/v4/linode/instances/123", payload={})
    await li.delete_instance("123")
    assert len(sent(http, "DELETE")) == 1


# ------------------------------------------------------------------------ rules


@pytest.mark.parametrize("label", ["web", "web-1", "a_b.c-d", "Linode123", "a" * 64, "a-_b"])
def test_valid_labels(label: str) -> None:
    assert LinodeProvider.label_error(label) is None


@pytest.mark.parametrize(
    "label", ["ab", "a" * 65, "1web", "-web", "web--1", "web__1", "web..1", "web 1", "web!", "web-"]
)
def test_invalid_labels(label: str) -> None:
    assert LinodeProvider.label_error(label) is not None


@given(st.text(alphabet="ab1-_.", min_size=0, max_size=70))
def test_label_rule_property(label: str) -> None:
    ok = (
        3 <= len(label) <= 64
        and label[0].isalpha()
        and label[-1].isalnum()
        and not any(d in label for d in ("--", "__", ".."))
    )
    assert (LinodeProvider.label_error(label) is None) == ok


@pytest.mark.parametrize("password", ["Abc123!xyz0", "aB3" * 40])
def test_valid_passwords(password: str) -> None:
    assert LinodeProvider.password_error(password) is None


@pytest.mark.parametrize(
    "password", ["Ab1!", "Abc123!xyz", "abcdefgh", "ABCDEFG1", "aB3" * 43, "Abc 12\n3!"]
)
def test_invalid_passwords(password: str) -> None:
    assert LinodeProvider.password_error(password) is not None


@given(st.text(min_size=0, max_size=140))
def test_password_rule_property(password: str) -> None:
    if LinodeProvider.password_error(password) is None:
        assert 7 <= len(password) <= 128
        assert password.isascii()
