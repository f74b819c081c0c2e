"""The provider clients against an untidy sandbox: what the real APIs answer.

Region prices, region/plan availability, non-OS and end-of-life images, busy
answers, canceled events, empty and HTML bodies, repeated items at page
boundaries and several field errors at once, each served by the sandbox as the
live APIs serve them and read correctly by the clients.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import stamina

from providers.digitalocean import DigitalOceanProvider
from providers.errors import BusyError, OutageError, ProviderError, ValidationError
from providers.http import Transport
from providers.linode import LinodeProvider
from providers.models import CreateRequest
from providers.registry import build_provider
from standins.sandbox import Sandbox


@pytest.fixture
def fast_retries() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3, cap=True):
        yield


@pytest.fixture
async def sb(fast_retries: None) -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(provision_seconds=20.0, action_seconds=5.0)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


def linode(sb: Sandbox, transport: Transport) -> LinodeProvider:
    provider = build_provider(
        "linode",
        name="li",
        token=sb.tokens["linode"],
        configuration={"api_url": sb.linode_url, "trusted": True},
        transport=transport,
    )
    assert isinstance(provider, LinodeProvider)
    provider.event_lookup_delay = 0
    provider.lost_create_delay = 0
    return provider


def digitalocean(sb: Sandbox, transport: Transport) -> DigitalOceanProvider:
    provider = build_provider(
        "digitalocean",
        name="do",
        token=sb.tokens["digitalocean"],
        configuration={"api_url": sb.digitalocean_url, "trusted": True},
        transport=transport,
    )
    assert isinstance(provider, DigitalOceanProvider)
    provider.lost_create_delay = 0
    return provider


# ------------------------------------------------------------------ prices and regions


async def test_linode_region_prices_follow_the_region(sb: Sandbox, transport: Transport) -> None:
    plans = {p.id: p for p in await linode(sb, transport).get_plans()}
    nanode = plans["g6-nanode-1"]
    assert nanode.price_monthly == Decimal("5.0")
    assert nanode.monthly_in("us-east") == Decimal("5.0")
    assert nanode.monthly_in("id-cgk") == Decimal("6.0")
    assert nanode.monthly_in("br-gru") == Decimal("7.0")
    assert nanode.hourly_in("br-gru") > nanode.price_hourly


async def test_linode_plans_only_in_regions_that_run_them(
    sb: Sandbox, transport: Transport
) -> None:
    plans = {p.id: p for p in await linode(sb, transport).get_plans()}
    regions = {r.id: r for r in await linode(sb, transport).get_regions()}
    assert regions["us-den-1"].site_type == "distributed"
    # only "GPU Linodes" regions, and of those only where it is not sold out
    assert plans["g1-gpu-rtx6000-1"].regions == ["eu-central"]
    assert plans["g2-gpu-rtx4000a1-s"].regions == []  # sold out everywhere: offered nowhere
    assert plans["g1-accelerated-netint-vpu-t1u1-s"].regions == ["us-central"]
    assert sorted(plans["g7-premium-2"].regions) == ["eu-central", "us-east"]
    assert regions["us-east"].sold_out == ["g1-gpu-rtx6000-1", "g2-gpu-rtx4000a1-s"]
    assert sorted(plans["g6-dedicated-edge-2"].regions) == ["de-ham-1", "us-den-1"]
    assert "us-den-1" not in plans["g6-nanode-1"].regions
    assert "id-cgk" in plans["g6-nanode-1"].regions


async def test_every_linode_pair_offered_is_accepted_and_others_refused(
    sb: Sandbox, transport: Transport
) -> None:
    client = linode(sb, transport)
    plans = {p.id: p for p in await client.get_plans()}
    for plan_id, region, ok in (
        ("g6-dedicated-edge-2", "us-den-1", True),
        ("g6-nanode-1", "us-den-1", False),
        ("g1-gpu-rtx6000-1", "eu-west", False),
        ("g1-gpu-rtx6000-1", "us-east", False),  # sold out
        ("g1-gpu-rtx6000-1", "eu-central", True),
        ("g1-accelerated-netint-vpu-t1u1-s", "us-east", False),
    ):
        assert (region in plans[plan_id].regions) is ok
        request = CreateRequest(
            label=f"pair-{plan_id[:8]}-{region[:5]}".replace("--", "-"),
            region=region,
            plan=plan_id,
            image="linode/ubuntu24.04",
            tag=f"vpsbot-pair-{plan_id}-{region}",
        )
        if ok:
            created = await client.create_instance(request)
            assert created.region == region
        else:
            with pytest.raises(ValidationError) as refused:
                await client.create_instance(request)
            assert refused.value.field == "plan"


async def test_digitalocean_sizes_only_where_both_sides_list_them(
    sb: Sandbox, transport: Transport
) -> None:
    client = digitalocean(sb, transport)
    plans = {p.id: p for p in await client.get_plans()}
    regions = {r.id: r for r in await client.get_regions()}
    assert regions["nyc2"].available is False
    assert all("nyc2" not in p.regions for p in plans.values())  # closed region
    assert "sgp1" not in plans["s-4vcpu-8gb"].regions  # sold out there
    assert "nyc3" in plans["s-4vcpu-8gb"].regions
    assert plans["m-2vcpu-16gb"].regions == []  # listed only in the closed nyc2: nowhere
    assert not regions["sgp1"].offers("s-4vcpu-8gb") and regions["nyc3"].offers("s-4vcpu-8gb")
    with pytest.raises(ValidationError):
        await client.create_instance(
            CreateRequest(
                label="sold-out",
                region="sgp1",
                plan="s-4vcpu-8gb",
                image="ubuntu-24-04-x64",
                tag="vpsbot-sold-out",
            )
        )


# ------------------------------------------------------------------ images


async def test_linode_images_are_supported_operating_systems(
    sb: Sandbox, transport: Transport
) -> None:
    images = {i.id: i for i in await linode(sb, transport).get_images()}
    assert "linode/debian11-kube-v1.27.5" not in images  # a Kubernetes node image
    assert "linode/ubuntu18.04" not in images  # deprecated
    assert "linode/fedora40" not in images  # past its end of life
    debian11 = images["linode/debian11"]
    assert debian11.eol is not None and debian11.eol > datetime.now(UTC)
    rocky = images["linode/rocky10"]
    assert (rocky.distribution, rocky.version) == ("Rocky Linux", "10")
    kali = images["linode/kali"]
    assert (kali.distribution, kali.version) == ("Kali Linux", "")
    rockies = sorted(
        (i for i in images.values() if i.distribution == "Rocky Linux"),
        key=lambda i: i.version_key,
        reverse=True,
    )
    assert [i.version for i in rockies] == ["10", "9"]  # numbers, not strings


# ------------------------------------------------------------------ transient answers


async def test_linode_busy_is_retried_until_the_linode_is_free(
    sb: Sandbox, transport: Transport
) -> None:
    client = linode(sb, transport)
    sb.seed_instances("linode", 1, tag="vpsbot-busy")
    (server,) = await client.list_instances(tag="vpsbot-busy")
    path = f"/v4/linode/instances/{server.id}/reboot"
    sb.inject("linode", method="POST", path=path, body="busy", count=2)
    result = await client.perform_action(server.id, "reboot")
    assert result.status == "in-progress" and result.id
    assert sb.request_count("linode", "POST", path) == 3


async def test_linode_busy_that_persists_is_a_busy_error(sb: Sandbox, transport: Transport) -> None:
    client = linode(sb, transport)
    sb.seed_instances("linode", 1, tag="vpsbot-busy")
    (server,) = await client.list_instances(tag="vpsbot-busy")
    await client.perform_action(server.id, "reboot")
    # the live state: a second job while the reboot runs is refused as busy
    with pytest.raises(BusyError) as busy:
        await client.perform_action(server.id, "shutdown")
    assert "try again" in busy.value.user_message()
    assert not isinstance(busy.value, ValidationError)
    sb.advance(10)
    await client.perform_action(server.id, "shutdown")


async def test_digitalocean_pending_event_is_busy_too(sb: Sandbox, transport: Transport) -> None:
    client = digitalocean(sb, transport)
    (droplet_id,) = sb.seed_instances("digitalocean", 1)
    await client.perform_action(droplet_id, "reboot")
    with pytest.raises(BusyError):
        await client.perform_action(droplet_id, "power_off")
    path = f"/v2/droplets/{droplet_id}/actions"
    assert sb.request_count("digitalocean", "POST", path) == 1 + 3  # retried, then told
    sb.advance(10)
    assert (await client.perform_action(droplet_id, "power_off")).id


@pytest.mark.parametrize("status", ["canceled", "completed", "failed", "notification"])
async def test_every_finished_linode_event_status_ends_the_wait(
    sb: Sandbox, transport: Transport, status: str
) -> None:
    client = linode(sb, transport)
    sb.seed_instances("linode", 1, tag="vpsbot-ev")
    (server,) = await client.list_instances(tag="vpsbot-ev")
    started = await client.perform_action(server.id, "reboot")
    assert not started.finished
    sb.linode.set_event_status(int(started.id), status)
    result = await client.get_action(server.id, started.id)
    assert result.finished
    expected = {"canceled": "canceled", "failed": "errored"}.get(status, "completed")
    assert result.status == expected


async def test_canceled_event_through_the_control_api(sb: Sandbox, transport: Transport) -> None:
    import aiohttp

    client = linode(sb, transport)
    sb.seed_instances("linode", 1, tag="vpsbot-ctl")
    (server,) = await client.list_instances(tag="vpsbot-ctl")
    started = await client.perform_action(server.id, "reboot")
    async with aiohttp.ClientSession() as session:
        url = f"{sb.url}/_sandbox/events/linode/{started.id}/status"
        async with session.post(url, json={"status": "canceled"}) as resp:
            assert resp.status == 200
        async with session.post(url, json={"status": "paused"}) as resp:
            assert resp.status == 400
    assert (await client.get_action(server.id, started.id)).status == "canceled"
    assert (await client.get_instance(server.id)).raw_status == "offline"


# ------------------------------------------------------------------ odd bodies


@pytest.mark.parametrize("status", [200, 204])
async def test_empty_bodies_become_provider_errors(
    sb: Sandbox, transport: Transport, status: int
) -> None:
    li, do = linode(sb, transport), digitalocean(sb, transport)
    (li_id,) = sb.seed_instances("linode", 1)
    (do_id,) = sb.seed_instances("digitalocean", 1)
    sb.inject("linode", path=f"/v4/linode/instances/{li_id}", body="empty", status=status)
    sb.inject("digitalocean", path=f"/v2/droplets/{do_id}", body="empty", status=status)
    with pytest.raises(OutageError):
        await li.get_instance(li_id)
    with pytest.raises(OutageError):
        await do.get_instance(do_id)
    sb.inject("linode", path="/v4/linode/types", body="empty", status=status)
    with pytest.raises(OutageError):
        await li.get_plans()
    sb.inject("digitalocean", path="/v2/sizes", body="empty", status=status)
    with pytest.raises(OutageError):
        await do.get_plans()


async def test_an_action_accepted_without_an_id_is_followed_by_status(
    sb: Sandbox, transport: Transport
) -> None:
    do = digitalocean(sb, transport)
    (do_id,) = sb.seed_instances("digitalocean", 1)
    sb.inject("digitalocean", method="POST", path=f"/v2/droplets/{do_id}/actions", body="empty")
    result = await do.perform_action(do_id, "reboot")
    assert (result.id, result.status) == ("", "in-progress")
    with pytest.raises(ValidationError):  # a normalised error, never a KeyError
        await do.get_action(do_id, "")
    sb.inject("digitalocean", path=f"/v2/droplets/{do_id}/actions/1", body="empty")
    with pytest.raises(OutageError):
        await do.get_action(do_id, "1")


async def test_html_error_page_never_reaches_the_message(
    sb: Sandbox, transport: Transport, caplog: pytest.LogCaptureFixture
) -> None:
    do = digitalocean(sb, transport)
    sb.inject("digitalocean", path="/v2/regions", body="html", status=502, count=3)
    with (
        caplog.at_level(logging.WARNING, logger="providers.http"),
        pytest.raises(OutageError) as failed,
    ):
        await do.get_regions()
    text = failed.value.user_message()
    assert "502" in text and "<" not in text and "nginx" not in text
    assert failed.value.message == "HTTP 502 Bad Gateway"
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "502 Bad Gateway" in logged and "<html>" not in logged
    assert sb.tokens["digitalocean"] not in logged


async def test_repeated_items_at_page_boundaries_are_kept_once(
    sb: Sandbox, transport: Transport
) -> None:
    sb.set_paging(max_page_size=3, overlap=1)
    sb.seed_instances("linode", 7, tag="vpsbot")
    sb.seed_instances("digitalocean", 7, tag="vpsbot")
    li_plans = [p.id for p in await linode(sb, transport).get_plans()]
    do_plans = [p.id for p in await digitalocean(sb, transport).get_plans()]
    assert len(li_plans) == len(set(li_plans)) == len(sb.linode.catalog.types)
    assert len(do_plans) == len(set(do_plans)) == len(sb.do.catalog.sizes)
    li_servers = [s.id for s in await linode(sb, transport).list_instances(tag="vpsbot")]
    do_servers = [s.id for s in await digitalocean(sb, transport).list_instances(tag="vpsbot")]
    assert len(li_servers) == len(set(li_servers)) == 7
    assert len(do_servers) == len(set(do_servers)) == 7


# ------------------------------------------------------------------ validation


async def test_several_field_errors_keep_each_field(sb: Sandbox, transport: Transport) -> None:
    client = linode(sb, transport)
    with pytest.raises(ValidationError) as refused:
        await client.create_instance(
            CreateRequest(
                label="two-errors",
                region="mars-1",
                plan="g0-nope",
                image="linode/ubuntu24.04",
                tag="vpsbot-two",
            )
        )
    error = refused.value
    assert set(error.fields) == {"region", "plan"}
    assert "region" in error.user_message() and "plan" in error.user_message()
    assert error.as_dict()["fields"] == error.fields


async def test_short_linode_password_is_refused_before_any_request(
    sb: Sandbox, transport: Transport
) -> None:
    client = linode(sb, transport)
    before = sb.request_count("linode")
    with pytest.raises(ValidationError) as refused:
        await client.create_instance(
            CreateRequest(
                label="short-pass",
                region="us-east",
                plan="g6-nanode-1",
                image="linode/ubuntu24.04",
                tag="vpsbot-short",
                root_password="Abc123!xyz",  # 10: the spec's 7 allows it, the API does not
            )
        )
    assert refused.value.field == "root_password"
    assert sb.request_count("linode") == before
    assert isinstance(refused.value, ProviderError)


async def test_regions_carry_their_country(sb: Sandbox, transport: Transport) -> None:
    """Linode's regions say their country; DigitalOcean's are read from the slug."""
    li = {r.id: r.country for r in await linode(sb, transport).get_regions()}
    assert li["eu-central"] == "de" and li["us-east"] == "us" and li["br-gru"] == "br"
    do = {r.id: r.country for r in await digitalocean(sb, transport).get_regions()}
    assert do["fra1"] == "de" and do["nyc3"] == "us" and do["lon1"] == "gb"
