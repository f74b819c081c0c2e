"""DigitalOceanProvider: exact request shapes, pagination, normalisation, rules."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from hypothesis import given
from hypothesis import strategies as st

from providers.digitalocean import (
    WEEKLY_BACKUPS_SHARE,
    DigitalOceanProvider,
    cloud_config_for_password,
)
from providers.errors import OutcomeUnknownError, ValidationError
from providers.http import Transport
from providers.models import CreateRequest, InstanceStatus
from tests.providers.conftest import DO, sent

pytestmark = pytest.mark.usefixtures("provider_env")

PASSWORD = "Tr1cky:pass#word"


def droplet(
    id: int = 3164444, status: str = "active", tags: list[str] | None = None
) -> dict[str, Any]:
    return {
        "id": id,
        "name": "web-1",
        "memory": 1024,
        "vcpus": 1,
        "disk": 25,
        "locked": False,
        "status": status,
        "created_at": "2020-07-21T18:37:44Z",
        "image": {"id": 63663980, "slug": "ubuntu-20-04-x64", "distribution": "Ubuntu"},
        "size_slug": "s-1vcpu-1gb",
        "networks": {
            "v4": [
                {"ip_address": "10.128.192.124", "type": "private"},
                {"ip_address": "192.241.165.154", "type": "public"},
            ],
            "v6": [{"ip_address": "2604:a880:0:1010::18a:a001", "type": "public"}],
        },
        "region": {"slug": "nyc3", "name": "New York 3"},
        "tags": tags if tags is not None else ["vpsbot-abc"],
        "vpc_uuid": "760e09ef-dc84-11e8-981e-3cfdfeaae000",
    }


def request(**overrides: Any) -> CreateRequest:
    fields: dict[str, Any] = {
        "label": "web-1",
        "region": "nyc3",
        "plan": "s-1vcpu-1gb",
        "image": "ubuntu-24-04-x64",
        "tag": "vpsbot-abc",
        "root_password": PASSWORD,
        "ssh_key_ids": ["289794", "512190"],
        "backups": True,
        "monitoring": True,
        "ipv6": True,
        "vpc_id": "760e09ef-dc84-11e8-981e-3cfdfeaae000",
        "extra_tags": ["team-ops"],
    }
    fields.update(overrides)
    return CreateRequest(**fields)


async def test_create_request_shape(http: aioresponses, do: DigitalOceanProvider) -> None:
    http.post(f"{DO}/v2/droplets", status=202, payload={"droplet": droplet(status="new")})
    instance = await do.create_instance(request())
    ((url, kwargs),) = sent(http, "POST")
    assert str(url) == f"{DO}/v2/droplets"
    assert kwargs["json"] == {
        "name": "web-1",
        "region": "nyc3",
        "size": "s-1vcpu-1gb",
        "image": "ubuntu-24-04-x64",
        "ssh_keys": [289794, 512190],
        "backups": True,
        "ipv6": True,
        "monitoring": True,
        "tags": ["vpsbot-abc", "team-ops"],
        "vpc_uuid": "760e09ef-dc84-11e8-981e-3cfdfeaae000",
        "user_data": (
            "#cloud-config\nchpasswd:\n  expire: false\n  list: |\n"
            f"    root:{PASSWORD}\nssh_pwauth: true\n"
        ),
    }
    assert instance.status is InstanceStatus.PROVISIONING
    assert instance.raw_status == "new"
    assert instance.id == "3164444"
    assert instance.ipv4 == "192.241.165.154"
    assert instance.private_ipv4 == "10.128.192.124"
    assert instance.ipv6 == "2604:a880:0:1010::18a:a001"
    assert instance.region == "nyc3" and instance.plan == "s-1vcpu-1gb"
    assert instance.provider == "digitalocean"


def test_cloud_config_is_yaml_literal() -> None:
    text = cloud_config_for_password("a: b #c")
    assert text.startswith("#cloud-config\n")
    assert "    root:a: b #c\n" in text
    assert "expire: false" in text and "ssh_pwauth: true" in text


async def test_create_with_one_click_app_deploys_the_app_slug(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.post(f"{DO}/v2/droplets", status=202, payload={"droplet": droplet(status="new")})
    await do.create_instance(
        request(deployment_id="wordpress-20-04", image=None, root_password=None, vpc_id=None)
    )
    ((_, kwargs),) = sent(http, "POST")
    assert kwargs["json"]["image"] == "wordpress-20-04"
    assert "user_data" not in kwargs["json"]
    assert "vpc_uuid" not in kwargs["json"]


async def test_numeric_image_id_is_sent_as_integer(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.post(f"{DO}/v2/droplets", status=202, payload={"droplet": droplet()})
    await do.create_instance(request(image="63663980"))
    ((_, kwargs),) = sent(http, "POST")
    assert kwargs["json"]["image"] == 63663980


@pytest.mark.parametrize("password", ["short1A", "alllowercaseletters", "NoDigitsOrSymbols"])
async def test_weak_password_rejected_before_sending(
    http: aioresponses, do: DigitalOceanProvider, password: str
) -> None:
    with pytest.raises(ValidationError) as info:
        await do.create_instance(request(root_password=password))
    assert info.value.field == "root_password"
    assert password not in str(info.value)
    assert sent(http, "POST") == []


async def test_bad_name_rejected_before_sending(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    with pytest.raises(ValidationError) as info:
        await do.create_instance(request(label="web_1"))
    assert info.value.field == "label"
    assert sent(http, "POST") == []


TAG_LOOKUP = re.compile(rf"^{re.escape(DO)}/v2/droplets\?.*tag_name=vpsbot-abc.*")


async def test_lost_create_is_resolved_by_tag_not_retried(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.post(f"{DO}/v2/droplets", exception=aiohttp.ServerDisconnectedError(), repeat=True)
    http.get(TAG_LOOKUP, payload={"droplets": [droplet(id=77)], "links": {}, "meta": {"total": 1}})
    instance = await do.create_instance(request())
    assert instance.id == "77"
    assert len(sent(http, "POST")) == 1
    ((url, _),) = sent(http, "GET")
    assert url.query["tag_name"] == "vpsbot-abc"


async def test_create_5xx_then_found_by_tag(http: aioresponses, do: DigitalOceanProvider) -> None:
    http.post(f"{DO}/v2/droplets", status=500, payload={"id": "server_error", "message": "x"})
    http.get(TAG_LOOKUP, payload={"droplets": [droplet(id=78)], "links": {}})
    assert (await do.create_instance(request())).id == "78"
    assert len(sent(http, "POST")) == 1


async def test_lost_create_not_found_is_outcome_unknown(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.post(f"{DO}/v2/droplets", exception=TimeoutError(), repeat=True)
    http.get(TAG_LOOKUP, payload={"droplets": [], "links": {}}, repeat=True)
    with pytest.raises(OutcomeUnknownError) as info:
        await do.create_instance(request())
    assert "look it up again" in info.value.message
    assert len(sent(http, "POST")) == 1


async def test_lost_create_with_failing_lookup_is_outcome_unknown(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.post(f"{DO}/v2/droplets", exception=aiohttp.ServerDisconnectedError(), repeat=True)
    http.get(TAG_LOOKUP, status=503, body="down", repeat=True)
    with pytest.raises(OutcomeUnknownError):
        await do.create_instance(request())
    assert len(sent(http, "POST")) == 1


async def test_list_instances_follows_pages(http: aioresponses, do: DigitalOceanProvider) -> None:
    next_link = "https://api.digitalocean.com/v2/droplets?page=2&per_page=200"
    http.get(
        f"{DO}/v2/droplets?per_page=200",
        payload={
            "droplets": [droplet(id=1)],
            "links": {"pages": {"next": next_link, "last": next_link}},
        },
    )
    http.get(
        f"{DO}/v2/droplets?page=2&per_page=200",
        payload={"droplets": [droplet(id=2, status="off")], "links": {"pages": {"prev": "x"}}},
    )
    instances = await do.list_instances()
    assert [i.id for i in instances] == ["1", "2"]
    assert instances[1].status is InstanceStatus.STOPPED


async def test_next_link_is_followed_on_the_configured_base_url(
    http: aioresponses, transport: Transport
) -> None:
    provider = DigitalOceanProvider(
        name="sb", token="t", base_url="http://127.0.0.1:8765/digitalocean", transport=transport
    )
    base = "http://127.0.0.1:8765/digitalocean"
    http.get(
        f"{base}/v2/account/keys?per_page=200",
        payload={
            "ssh_keys": [{"id": 1, "name": "a", "public_key": "ssh-ed25519 AAA a"}],
            "links": {
                "pages": {
                    "next": "https://api.digitalocean.com/v2/account/keys?page=2&per_page=200"
                }
            },
        },
    )
    http.get(
        f"{base}/v2/account/keys?page=2&per_page=200",
        payload={
            "ssh_keys": [{"id": 2, "name": "b", "public_key": "ssh-rsa BBB b", "fingerprint": "f"}],
            "links": {},
        },
    )
    keys = await provider.list_ssh_keys()
    assert [(k.id, k.name) for k in keys] == [("1", "a"), ("2", "b")]
    assert keys[1].fingerprint == "f"


async def test_plans_normalised(http: aioresponses, do: DigitalOceanProvider) -> None:
    http.get(
        f"{DO}/v2/sizes?per_page=200",
        payload={
            "sizes": [
                {
                    "slug": "s-1vcpu-1gb",
                    "memory": 1024,
                    "vcpus": 1,
                    "disk": 25,
                    "transfer": 1.0,
                    "price_monthly": 6,
                    "price_hourly": 0.00893,
                    "regions": ["nyc3", "ams3"],
                    "available": True,
                    "description": "Basic",
                },
                {
                    "slug": "gone",
                    "memory": 512,
                    "vcpus": 1,
                    "disk": 10,
                    "transfer": 0.5,
                    "price_monthly": 4,
                    "price_hourly": 0.006,
                    "regions": [],
                    "available": False,
                    "description": "Basic",
                },
            ],
            "links": {},
            "meta": {"total": 2},
        },
    )
    http.get(
        f"{DO}/v2/regions?per_page=200",
        payload={
            "regions": [
                {"slug": "nyc3", "name": "New York 3", "available": True},
                {"slug": "ams3", "name": "Amsterdam 3", "available": True},
            ],
            "links": {},
            "meta": {"total": 2},
        },
    )
    (plan,) = await do.get_plans()
    assert plan.id == "s-1vcpu-1gb"
    assert (plan.memory_mb, plan.disk_gb, plan.transfer_gb, plan.vcpus) == (1024, 25, 1000, 1)
    assert plan.price_monthly == Decimal("6") and plan.price_hourly == Decimal("0.00893")
    assert plan.regions == ["nyc3", "ams3"]
    # no backups price in the API: DigitalOcean's weekly share of the droplet's price
    assert plan.backups is not None
    assert plan.backups.monthly == Decimal("6") * WEEKLY_BACKUPS_SHARE == Decimal("1.20")
    assert plan.backups.hourly == Decimal("0.00893") * WEEKLY_BACKUPS_SHARE


async def test_images_and_regions(http: aioresponses, do: DigitalOceanProvider) -> None:
    http.get(
        f"{DO}/v2/images?per_page=200&type=distribution",
        payload={
            "images": [
                {
                    "id": 1,
                    "slug": "ubuntu-24-04-x64",
                    "name": "24.04 (LTS) x64",
                    "distribution": "Ubuntu",
                    "public": True,
                    "min_disk_size": 15,
                    "created_at": "2024-04-25T12:00:00Z",
                    "status": "available",
                }
            ],
            "links": {},
        },
    )
    http.get(
        f"{DO}/v2/regions?per_page=200",
        payload={
            "regions": [
                {
                    "slug": "nyc3",
                    "name": "New York 3",
                    "available": True,
                    "features": ["backups", "ipv6"],
                    "sizes": [],
                }
            ],
            "links": {},
        },
    )
    (image,) = await do.get_images()
    assert (image.id, image.slug, image.distribution, image.min_disk_gb) == (
        "ubuntu-24-04-x64",
        "ubuntu-24-04-x64",
        "Ubuntu",
        15,
    )
    assert image.name == "Ubuntu 24.04 (LTS) x64"
    (region,) = await do.get_regions()
    assert (region.id, region.name, region.available, region.features) == (
        "nyc3",
        "New York 3",
        True,
        ["backups", "ipv6"],
    )


async def test_one_click_apps_enriched_from_application_images(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.get(
        f"{DO}/v2/1-clicks?type=droplet",
        payload={
            "1_clicks": [
                {"slug": "wordpress-20-04", "type": "droplet"},
                {"slug": "mystery-app", "type": "droplet"},
                {"slug": "monitoring", "type": "kubernetes"},
            ]
        },
    )
    http.get(
        f"{DO}/v2/images?per_page=200&type=application",
        payload={
            "images": [
                {
                    "id": 5,
                    "slug": "wordpress-20-04",
                    "name": "WordPress 6.2",
                    "description": "Blog platform",
                    "distribution": "Ubuntu",
                }
            ],
            "links": {},
        },
    )
    options = await do.get_deployment_options()
    assert [o.id for o in options] == ["wordpress-20-04", "mystery-app"]
    wp, mystery = options
    assert (wp.kind, wp.name, wp.category, wp.description, wp.image) == (
        "oneclick",
        "WordPress 6.2",
        "CMS",
        "Blog platform",
        "wordpress-20-04",
    )
    assert (mystery.name, mystery.category) == ("Mystery App", "Other")


async def test_vpcs(http: aioresponses, do: DigitalOceanProvider) -> None:
    http.get(
        f"{DO}/v2/vpcs?per_page=200",
        payload={
            "vpcs": [
                {
                    "id": "5a4981aa-9653-4bd1-bef5-d6bff52042e4",
                    "name": "default-nyc3",
                    "region": "nyc3",
                }
            ],
            "links": {},
        },
    )
    (vpc,) = await do.list_vpcs()
    assert (vpc.id, vpc.name, vpc.region) == (
        "5a4981aa-9653-4bd1-bef5-d6bff52042e4",
        "default-nyc3",
        "nyc3",
    )


@pytest.mark.parametrize(
    ("action", "kwargs", "body"),
    [
        ("power_on", {}, {"type": "power_on"}),
        ("shutdown", {}, {"type": "shutdown"}),
        ("power_off", {}, {"type": "power_off"}),
        ("reboot", {}, {"type": "reboot"}),
        ("power_cycle", {}, {"type": "power_cycle"}),
        (
            "rebuild",
            {"image": "ubuntu-24-04-x64"},
            {"type": "rebuild", "image": "ubuntu-24-04-x64"},
        ),
        ("rebuild", {"image": "123"}, {"type": "rebuild", "image": 123}),
        (
            "resize",
            {"plan": "s-2vcpu-2gb"},
            {"type": "resize", "size": "s-2vcpu-2gb", "disk": True},
        ),
    ],
)
async def test_action_bodies(
    http: aioresponses,
    do: DigitalOceanProvider,
    action: str,
    kwargs: dict[str, str],
    body: dict[str, Any],
) -> None:
    http.post(
        f"{DO}/v2/droplets/42/actions",
        status=201,
        payload={"action": {"id": 36804636, "status": "in-progress", "type": body["type"]}},
    )
    result = await do.perform_action("42", action, **kwargs)
    ((_, sent_kwargs),) = sent(http, "POST")
    assert sent_kwargs["json"] == body
    assert (result.id, result.action, result.status) == ("36804636", action, "in-progress")


async def test_action_validation(do: DigitalOceanProvider, http: aioresponses) -> None:
    with pytest.raises(ValidationError) as info:
        await do.perform_action("42", "explode")
    assert info.value.field == "action"
    with pytest.raises(ValidationError) as info:
        await do.perform_action("42", "resize")
    assert info.value.field == "plan"
    with pytest.raises(ValidationError) as info:
        await do.perform_action("42", "rebuild", image="x", root_password="Secr3t!pass")
    assert info.value.field == "root_password"
    assert sent(http, "POST") == []


async def test_get_action_and_delete(http: aioresponses, do: DigitalOceanProvider) -> None:
    http.get(
        f"{DO}/v2/droplets/42/actions/7",
        payload={"action": {"id": 7, "status": "completed", "type": "resize"}},
    )
    result = await do.get_action("42", "7")
    assert (result.id, result.action, result.status, result.progress) == (
        "7",
        "resize",
        "completed",
        100,
    )
    http.delete(f"{DO}/v2/droplets/42", status=204)
    await do.delete_instance("42")
    assert len(sent(http, "DELETE")) == 1


async def test_get_instance_statuses(http: aioresponses, do: DigitalOceanProvider) -> None:
    for i, (raw, status) in enumerate(
        [
            ("new", InstanceStatus.PROVISIONING),
            ("active", InstanceStatus.RUNNING),
            ("off", InstanceStatus.STOPPED),
            ("archive", InstanceStatus.DELETING),
            ("weird", InstanceStatus.UNKNOWN),
        ]
    ):
        http.get(f"{DO}/v2/droplets/{i}", payload={"droplet": droplet(id=i, status=raw)})
        instance = await do.get_instance(str(i))
        assert (instance.status, instance.raw_status) == (status, raw)


# ------------------------------------------------------------------------ rules


@pytest.mark.parametrize("name", ["web-1", "example.com", "a", "A1", "x" * 255])
def test_valid_names(name: str) -> None:
    assert DigitalOceanProvider.label_error(name) is None


@pytest.mark.parametrize("name", ["", "web_1", "-web", "web-", "web 1", "x" * 256, "wéb"])
def test_invalid_names(name: str) -> None:
    assert DigitalOceanProvider.label_error(name) is not None


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789.-", min_size=1, max_size=255))
def test_name_rule_property(name: str) -> None:
    ok = name[0].isalnum() and name[-1].isalnum()
    assert (DigitalOceanProvider.label_error(name) is None) == ok


@given(st.text(min_size=0, max_size=140))
def test_password_rule_property(password: str) -> None:
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    error = DigitalOceanProvider.password_error(password)
    if error is None:
        assert 8 <= len(password) <= 128
        assert classes >= 3
        assert password.isascii()
        assert "\n" not in password


@given(
    st.text(alphabet="abcdefghij", min_size=3, max_size=10),
    st.text(alphabet="ABCDEFGHIJ", min_size=3, max_size=10),
    st.text(alphabet="0123456789", min_size=2, max_size=10),
)
def test_strong_passwords_accepted(lower: str, upper: str, digits: str) -> None:
    assert DigitalOceanProvider.password_error(lower + upper + digits) is None
