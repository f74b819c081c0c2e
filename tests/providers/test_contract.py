"""One contract for every provider client, run against the in-process sandbox.

The same tests run for DigitalOcean, Linode and Amazon EC2 through the real
clients (``build_provider``) over real HTTP on loopback: catalogue, the whole
server lifecycle, pagination, tag lookup and every error class from the
providers' own error bodies. EC2 runs against moto's server behind the AWS
sandbox's front (:class:`~standins.sandbox.aws.AwsSandbox`); where EC2 itself
differs (no action ids, throttles without ``Retry-After``, moto's states that
change at once) the :class:`Spec` says so.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import stamina
from stamina.instrumentation import RetryDetails, set_on_retry_hooks

from providers.base import Provider
from providers.errors import (
    CredentialsError,
    NotFoundError,
    OutageError,
    OutcomeUnknownError,
    RateLimitedError,
    ValidationError,
)
from providers.http import Transport
from providers.models import CreateRequest, InstanceStatus
from providers.registry import build_provider
from standins.sandbox import Sandbox
from standins.sandbox.aws import AwsSandbox

PROVISION_SECONDS = 20.0
ACTION_SECONDS = 5.0


@dataclass(frozen=True)
class Spec:
    """What differs between the providers; everything else is the contract."""

    display: str
    page_size: int
    list_path: str
    plans_path: str
    account_path: str
    region: str
    plan: str
    bigger_plan: str
    image: str
    other_image: str
    deployment_kind: str
    #: a well-formed token the sandbox does not know
    wrong_token: str = "not-the-right-token-123"
    #: HTTP status of a refused token, of a missing server
    auth_status: int = 401
    not_found_status: int = 404
    #: an id no server has, and the path its lookups are recorded under
    missing_id: str = "999"
    missing_path: str = ""
    #: where a create is sent, and how many creates an unknown plan costs
    create_path: str = ""
    bad_plan_creates: int = 1
    #: a write to break with a 500 (None: any POST)
    write_path: str | None = None
    #: how reads are sent (AWS's query protocol POSTs every call)
    read_method: str = "GET"
    #: states change at once (moto): no "half-way" to see
    instant: bool = False
    #: a throttled answer says when to retry (Retry-After), else back-off
    retry_after_header: bool = True


SPECS = {
    "digitalocean": Spec(
        display="DigitalOcean",
        page_size=200,
        list_path="/v2/droplets",
        plans_path="/v2/sizes",
        account_path="/v2/account",
        region="nyc3",
        plan="s-1vcpu-1gb",
        bigger_plan="s-2vcpu-2gb",
        image="ubuntu-24-04-x64",
        other_image="debian-12-x64",
        deployment_kind="oneclick",
        missing_path="/v2/droplets/999",
        create_path="/v2/droplets",
    ),
    "linode": Spec(
        display="Linode",
        page_size=500,
        list_path="/v4/linode/instances",
        plans_path="/v4/linode/types",
        account_path="/v4/profile",
        region="us-east",
        plan="g6-nanode-1",
        bigger_plan="g6-standard-1",
        image="linode/ubuntu24.04",
        other_image="linode/debian12",
        deployment_kind="stackscript",
        missing_path="/v4/linode/instances/999",
        create_path="/v4/linode/instances",
    ),
    "aws": Spec(
        display="Amazon EC2",
        page_size=1000,
        list_path="/DescribeInstances",
        plans_path="/DescribeInstanceTypes",
        account_path="/GetCallerIdentity",
        region="us-east-1",
        plan="t3.micro",
        bigger_plan="t3.small",
        image="ubuntu-24.04",
        other_image="debian-12",
        deployment_kind="",
        wrong_token="AKIANOTTHERIGHTKEY01:not-the-right-secret",
        auth_status=403,
        not_found_status=400,
        missing_id="us-east-1/i-0123456789abcdef0",
        missing_path="/DescribeInstances",
        create_path="/RunInstances",
        # the unknown type is refused by DescribeInstanceTypes, before any create
        bad_plan_creates=0,
        write_path="/RebootInstances",
        read_method="POST",
        instant=True,
        retry_after_header=False,
    ),
}


@dataclass
class Target:
    """One provider type against one running sandbox."""

    type: str
    sandbox: Sandbox | AwsSandbox
    spec: Spec
    transport: Transport

    @property
    def url(self) -> str:
        if isinstance(self.sandbox, AwsSandbox):
            return self.sandbox.url
        if self.type == "digitalocean":
            return self.sandbox.digitalocean_url
        return self.sandbox.linode_url

    @property
    def token(self) -> str:
        if isinstance(self.sandbox, AwsSandbox):
            return self.sandbox.token
        return self.sandbox.tokens[self.type]

    def client(
        self,
        *,
        token: str | None = None,
        timeout: float | None = None,
        transport: Transport | None = None,
    ) -> Provider:
        """A client on the target's transport (or ``transport``)."""
        # the sandbox is on loopback: the operator vouches for it, as `make run` does
        configuration: dict[str, Any] = {"api_url": self.url, "trusted": True}
        if isinstance(self.sandbox, AwsSandbox):  # the sandbox region only
            configuration["regions"] = [self.spec.region]
        if timeout is not None:
            configuration["timeout"] = timeout
        provider = build_provider(
            self.type,
            name=f"contract-{self.type}",
            token=self.token if token is None else token,
            configuration=configuration,
            transport=self.transport if transport is None else transport,
        )
        # No real waiting between by-tag or event lookups in tests.
        provider.lost_create_delay = 0  # type: ignore[attr-defined]
        if hasattr(provider, "event_lookup_delay"):
            provider.event_lookup_delay = 0
        if hasattr(provider, "state_poll_seconds"):
            provider.state_poll_seconds = 0
        return provider

    def requests(self, method: str | None = None, path: str | None = None) -> int:
        return self.sandbox.request_count(self.type, method, path)

    def create_request(self, label: str, tag: str, **extra: Any) -> CreateRequest:
        fields: dict[str, Any] = {
            "label": label,
            "region": self.spec.region,
            "plan": self.spec.plan,
            "image": self.spec.image,
            "tag": tag,
        }
        fields.update(extra)
        return CreateRequest(**fields)


@pytest.fixture
def fast_retries() -> Iterator[None]:
    """Immediate retries (3 attempts kept)."""
    with stamina.set_testing(True, attempts=3, cap=True):
        yield


@pytest.fixture(params=sorted(SPECS))
async def target(
    request: pytest.FixtureRequest, fast_retries: None, transport: Transport
) -> AsyncIterator[Target]:
    """One provider type against a new sandbox; its clients share the test's transport
    (fresh per-account rate state)."""
    sandbox: Sandbox | AwsSandbox
    if request.param == "aws":
        sandbox = AwsSandbox()
    else:
        sandbox = Sandbox(provision_seconds=PROVISION_SECONDS, action_seconds=ACTION_SECONDS)
    await sandbox.start()
    try:
        yield Target(request.param, sandbox, SPECS[request.param], transport)
    finally:
        await sandbox.stop()


# ------------------------------------------------------------------ credentials


async def test_good_token_validates(target: Target) -> None:
    await target.client().validate_credentials()
    assert target.requests(target.spec.read_method, target.spec.account_path) == 1


async def test_wrong_token_is_a_credentials_error_naming_the_provider(target: Target) -> None:
    client = target.client(token=target.spec.wrong_token)
    with pytest.raises(CredentialsError) as info:
        await client.validate_credentials()
    err = info.value
    assert err.provider == target.spec.display
    assert err.status == target.spec.auth_status
    assert target.spec.display in err.user_message()
    # 401 is final: never retried.
    assert target.requests(target.spec.read_method, target.spec.account_path) == 1


# -------------------------------------------------------------------- catalogue


async def test_catalogue(target: Target) -> None:
    client = target.client()
    plans = await client.get_plans()
    assert {target.spec.plan, target.spec.bigger_plan} <= {p.id for p in plans}
    nano = next(p for p in plans if p.id == target.spec.plan)
    assert nano.vcpus >= 1 and nano.memory_mb >= 1024 and nano.disk_gb > 0
    assert nano.price_monthly > 0 and nano.price_hourly > 0

    regions = await client.get_regions()
    assert target.spec.region in {r.id for r in regions}
    assert all(r.name for r in regions)

    images = await client.get_images()
    by_id = {i.id: i for i in images}
    assert {target.spec.image, target.spec.other_image} <= set(by_id)
    assert by_id[target.spec.image].distribution == "Ubuntu"

    keys = await client.list_ssh_keys()
    assert keys and all(k.id and k.public_key.startswith("ssh-") for k in keys)

    vpcs = await client.list_vpcs()
    if client.capabilities.vpc:
        assert target.spec.region in {v.region for v in vpcs}
    else:
        assert vpcs == []


async def test_deployment_options(target: Target) -> None:
    client = target.client()
    options = await client.get_deployment_options()
    assert client.capabilities.deployment_kind == target.spec.deployment_kind
    if not target.spec.deployment_kind:  # EC2: a plain OS image, nothing to deploy on it
        assert options == []
        return
    assert options
    assert {o.kind for o in options} == {target.spec.deployment_kind}
    assert client.capabilities.deployment_kind == target.spec.deployment_kind
    images = {i.id for i in await client.get_images()}
    for option in options:
        assert option.id and option.name and option.description
        assert option.category
        if option.kind == "oneclick":  # the app is the image to deploy
            assert option.image == option.id
            assert option.fields == []
        else:  # StackScripts: compatible images and user-defined fields
            assert option.image is None
            assert option.images and set(option.images) & images
    if target.spec.deployment_kind == "oneclick":
        wordpress = next(o for o in options if o.id == "wordpress")
        assert wordpress.category == "CMS"
        assert wordpress.name == "WordPress on Ubuntu 22.04"
    else:
        wordpress = next(o for o in options if o.name == "WordPress One-Click")
        fields = {f.name: f for f in wordpress.fields}
        assert fields["soa_email_address"].required
        assert not fields["webserver_stack"].required
        assert fields["webserver_stack"].oneof == ["LAMP", "LEMP"]
        assert any(o.category == "Mine" for o in options)


# -------------------------------------------------------------------- lifecycle


async def _settle_action(target: Target, client: Provider, instance_id: str, action: str) -> None:
    started = await client.perform_action(
        instance_id,
        action,
        image=target.spec.other_image if action == "rebuild" else None,
        plan=target.spec.bigger_plan if action == "resize" else None,
    )
    assert started.action == action
    assert started.id, f"{action}: the provider's action/event id is known"
    assert started.status == "in-progress"
    target.sandbox.advance(ACTION_SECONDS / 2)
    halfway = await client.get_action(instance_id, started.id)
    assert halfway.status == ("completed" if target.spec.instant else "in-progress")
    target.sandbox.advance(ACTION_SECONDS)
    done = await client.get_action(instance_id, started.id)
    assert done.id == started.id
    assert done.status == "completed"
    assert done.progress == 100


async def test_server_lifecycle(target: Target) -> None:
    client = target.client()
    tag = f"vpsbot-contract-{target.type}"
    request = target.create_request("contract-web-1", tag, root_password="Sandbox-Pass-42!")
    created = await client.create_instance(request)
    assert created.provider == target.type
    assert created.label == "contract-web-1"
    assert created.status == InstanceStatus.PROVISIONING
    assert created.region == target.spec.region and created.plan == target.spec.plan
    assert tag in created.tags

    fetched = await client.get_instance(created.id)
    booting = InstanceStatus.RUNNING if target.spec.instant else InstanceStatus.PROVISIONING
    assert fetched.id == created.id and fetched.status == booting
    listed = await client.list_instances(tag=tag)
    assert [i.id for i in listed] == [created.id]
    found = await client.find_by_tag(tag)
    assert found is not None and found.id == created.id

    target.sandbox.advance(PROVISION_SECONDS + 1)
    running = await client.get_instance(created.id)
    assert running.status == InstanceStatus.RUNNING
    assert running.ipv4 is not None and running.ipv4.count(".") == 3

    for action in ("reboot", "shutdown"):
        await _settle_action(target, client, created.id, action)
    assert (await client.get_instance(created.id)).status == InstanceStatus.STOPPED

    await _settle_action(target, client, created.id, "resize")
    resized = await client.get_instance(created.id)
    assert resized.plan == target.spec.bigger_plan

    await _settle_action(target, client, created.id, "power_on")
    assert (await client.get_instance(created.id)).status == InstanceStatus.RUNNING

    if "rebuild" in client.capabilities.actions:
        await _settle_action(target, client, created.id, "rebuild")
        rebuilt = await client.get_instance(created.id)
        assert rebuilt.status == InstanceStatus.RUNNING
        assert rebuilt.image == target.spec.other_image
    else:  # not offered in Slack, and refused by the client before sending
        before = target.requests()
        with pytest.raises(ValidationError) as refused:
            await client.perform_action(created.id, "rebuild", image=target.spec.other_image)
        assert refused.value.field == "action" and target.requests() == before

    await client.delete_instance(created.id)
    with pytest.raises(NotFoundError) as info:
        await client.get_instance(created.id)
    assert info.value.provider == target.spec.display and info.value.status == 404
    assert await client.find_by_tag(tag) is None
    with pytest.raises(NotFoundError):
        await client.delete_instance(created.id)
    assert target.sandbox.instances(target.type) == []


# ----------------------------------------------------------- pagination and tags


@pytest.mark.parametrize("count", [450, 1001])
async def test_listing_follows_every_page(target: Target, count: int) -> None:
    seeded = set(target.sandbox.seed_instances(target.type, count))
    client = target.client()
    before = target.requests(target.spec.read_method, target.spec.list_path)
    listed = await client.list_instances()
    calls = target.requests(target.spec.read_method, target.spec.list_path) - before
    assert {i.id for i in listed} == seeded
    assert len(listed) == count
    assert calls == math.ceil(count / target.spec.page_size)


async def test_tag_lookup(target: Target) -> None:
    target.sandbox.seed_instances(target.type, 30, tag="vpsbot-other")
    [wanted] = target.sandbox.seed_instances(target.type, 1, tag="vpsbot-wanted-1")
    client = target.client()
    found = await client.find_by_tag("vpsbot-wanted-1")
    assert found is not None and found.id == wanted
    assert found.tags == ["vpsbot-wanted-1"]
    assert await client.find_by_tag("vpsbot-nobody-has-this") is None
    tagged = await client.list_instances(tag="vpsbot-other")
    assert len(tagged) == 30 and all(i.tags == ["vpsbot-other"] for i in tagged)


# ----------------------------------------------------------------------- errors


async def test_missing_server_is_not_found(target: Target) -> None:
    client = target.client()
    with pytest.raises(NotFoundError) as info:
        await client.get_instance(target.spec.missing_id)
    assert info.value.provider == target.spec.display
    assert info.value.status == target.spec.not_found_status
    assert info.value.message
    with pytest.raises(NotFoundError):
        await client.perform_action(target.spec.missing_id, "reboot")
    # Not found is final: one request each, never retried.
    assert target.requests(path=target.spec.missing_path) == 2


async def test_unknown_plan_is_rejected_naming_the_plan_field(target: Target) -> None:
    client = target.client()
    with pytest.raises(ValidationError) as info:
        await client.create_instance(
            target.create_request("contract-bad-plan", "vpsbot-bad-1", plan="no-such-plan")
        )
    err = info.value
    assert err.provider == target.spec.display
    assert err.field == "plan"
    assert err.status in (400, 422)
    assert "plan" in err.user_message()
    assert target.sandbox.instances(target.type) == []
    assert target.requests("POST", target.spec.create_path) == target.spec.bad_plan_creates


async def test_invalid_label_is_refused_before_sending(target: Target) -> None:
    client = target.client()
    with pytest.raises(ValidationError) as info:
        await client.create_instance(target.create_request("-bad label-", "vpsbot-bad-2"))
    assert info.value.field == "label"
    assert info.value.provider == target.spec.display
    assert target.requests("POST") == 0


@pytest.mark.parametrize("target", ["linode"], indirect=True)
async def test_linode_label_rejected_by_the_api_names_the_label(target: Target) -> None:
    client = target.client()
    await client.create_instance(target.create_request("contract-dup", "vpsbot-dup-1"))
    with pytest.raises(ValidationError) as info:
        await client.create_instance(target.create_request("contract-dup", "vpsbot-dup-2"))
    assert info.value.status == 400
    assert info.value.field == "label"
    assert "unique" in info.value.message
    assert len(target.sandbox.instances("linode")) == 1


@pytest.mark.parametrize("target", ["digitalocean"], indirect=True)
async def test_digitalocean_bad_region_names_the_region(target: Target) -> None:
    client = target.client()
    with pytest.raises(ValidationError) as info:
        await client.create_instance(
            target.create_request("contract-region", "vpsbot-region-1", region="mars1")
        )
    assert info.value.status == 422
    assert info.value.field == "region"
    assert "invalid region" in info.value.message


async def test_429_is_retried_after_the_retry_after_delay(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    def record(details: RetryDetails) -> None:
        waits.append(details.wait_for)

    slept: list[float] = []

    async def no_sleep(delay: float) -> None:  # record the wait, do not spend it
        slept.append(delay)

    monkeypatch.setattr("stamina._core._smart_sleep", no_sleep)
    set_on_retry_hooks([record])
    try:
        with stamina.set_testing(False):
            target.sandbox.inject(
                target.type, method=target.spec.read_method, path=target.spec.plans_path, status=429
            )
            plans = await target.client().get_plans()
    finally:
        set_on_retry_hooks(None)
    assert plans
    assert target.requests(target.spec.read_method, target.spec.plans_path) == 2
    if target.spec.retry_after_header:
        # The sandbox sends ``Retry-After: 1``; the client waits exactly that long.
        assert waits == [1.0]
    else:
        # EC2's RequestLimitExceeded (HTTP 503) names no delay: a jittered back-off.
        assert len(waits) == 1 and 0 < waits[0] <= 2.0
    assert slept == waits


async def test_429_with_a_long_retry_after_is_surfaced(target: Target) -> None:
    if isinstance(target.sandbox, AwsSandbox):
        await _ec2_throttle_is_surfaced_after_backoff(target)
        return
    async with Sandbox(rate_limit=(2, 60.0)) as limited:
        small = Target(target.type, limited, target.spec, target.transport)
        client = small.client()
        await client.validate_credentials()
        await client.validate_credentials()
        # The client now knows the budget is spent for about a minute: it refuses
        # the next call itself instead of sending it.
        with pytest.raises(RateLimitedError) as local:
            await client.get_regions()
        assert local.value.provider == target.spec.display
        assert local.value.retry_after is not None and local.value.retry_after > 30
        assert small.requests() == 2

        # A client that has not seen the budget yet (another transport: its own
        # account state) gets the provider's own 429, whose Retry-After (about
        # 60 s) is beyond the cap: surfaced, not retried.
        unaware = Transport()
        try:
            with pytest.raises(RateLimitedError) as upstream:
                await small.client(transport=unaware).validate_credentials()
        finally:
            await unaware.aclose()
        err = upstream.value
        assert err.status == 429
        assert err.provider == target.spec.display
        assert err.retry_after is not None and 30 < err.retry_after <= 60
        assert f"retry in about {int(err.retry_after)} s" in err.user_message()
        assert small.requests() == 3


async def _ec2_throttle_is_surfaced_after_backoff(target: Target) -> None:
    """EC2 keeps no rate budget a client can read: a spent budget answers
    RequestLimitExceeded, sent again with back-off and then surfaced."""
    async with AwsSandbox(rate_limit=(2, 60.0)) as limited:
        small = Target(target.type, limited, target.spec, target.transport)
        client = small.client()
        await client.validate_credentials()  # GetCallerIdentity + DescribeRegions
        with pytest.raises(RateLimitedError) as upstream:
            await client.get_regions()
        err = upstream.value
        assert err.status == 503
        assert err.provider == target.spec.display
        assert "rate limiting vpsbot" in err.user_message()
        assert small.requests() == 2 + 3  # three tries, no more


async def test_server_errors_on_reads_become_an_outage_after_retries(target: Target) -> None:
    target.sandbox.inject(
        target.type,
        method=target.spec.read_method,
        path=target.spec.plans_path,
        status=503,
        count=0,
    )
    with pytest.raises(OutageError) as info:
        await target.client().get_plans()
    err = info.value
    assert not isinstance(err, OutcomeUnknownError)
    assert err.provider == target.spec.display
    assert err.status == 503
    assert target.spec.display in err.user_message()
    assert target.requests(target.spec.read_method, target.spec.plans_path) == 3


async def test_server_error_on_a_write_is_not_retried(target: Target) -> None:
    [server] = target.sandbox.seed_instances(target.type, 1)
    target.sandbox.inject(
        target.type, method="POST", path=target.spec.write_path, status=500, count=0
    )
    with pytest.raises(OutcomeUnknownError) as info:
        await target.client().perform_action(server, "reboot")
    assert info.value.provider == target.spec.display
    assert info.value.status == 500
    assert target.requests("POST", target.spec.write_path) == 1


async def test_timeout_is_an_outage_naming_the_provider(target: Target) -> None:
    target.sandbox.inject(
        target.type,
        method=target.spec.read_method,
        path=target.spec.account_path,
        timeout=True,
        count=0,
    )
    with pytest.raises(OutageError) as info:
        await target.client(timeout=0.3).validate_credentials()
    err = info.value
    assert not isinstance(err, OutcomeUnknownError)
    assert err.provider == target.spec.display
    assert err.message.startswith(target.spec.display)
    assert "did not answer in time" in err.message
    assert err.status is None
    assert target.requests(target.spec.read_method, target.spec.account_path) == 3
