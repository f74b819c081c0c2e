"""providers.http: transport, error mapping, retries, rate budget, logging."""

from __future__ import annotations

import logging
import re
import time

import aiohttp
import pytest
from aioresponses import aioresponses
from prometheus_client import REGISTRY

from providers.digitalocean import DigitalOceanApi, DigitalOceanProvider
from providers.errors import (
    CredentialsError,
    NotFoundError,
    OutageError,
    OutcomeUnknownError,
    QuotaError,
    RateLimitedError,
    UnreadableAnswerError,
    ValidationError,
)
from providers.http import (
    RateBudget,
    Transport,
    account_key,
    path_template,
)
from providers.linode import LinodeProvider
from providers.models import CreateRequest
from tests.providers.conftest import DO, DO_TOKEN, LI, LI_TOKEN, sent

pytestmark = pytest.mark.usefixtures("provider_env")

ACCOUNT = f"{DO}/v2/account"
PROFILE = f"{LI}/v4/profile"


def test_path_template_replaces_ids() -> None:
    assert path_template("/v2/droplets/123/actions/9") == "/v2/droplets/{id}/actions/{id}"
    assert path_template("/v2/vpcs/5a4981aa-9653-4bd1-bef5-d6bff52042e4?x=1") == "/v2/vpcs/{id}"
    assert path_template("/v4/linode/instances") == "/v4/linode/instances"


def test_account_key_hashes_the_token() -> None:
    key = account_key("digitalocean", DO_TOKEN)
    assert key.startswith("digitalocean:")
    assert DO_TOKEN not in key
    assert key == account_key("digitalocean", DO_TOKEN)
    assert key != account_key("linode", DO_TOKEN)


async def test_one_pooled_session_per_transport(transport: Transport) -> None:
    first = transport.session()
    assert transport.session() is first
    other = Transport()
    try:
        assert other.session() is not first
    finally:
        await other.aclose()
    assert not first.closed
    await transport.aclose()
    assert first.closed and transport.closed
    await transport.aclose()  # twice is fine
    with pytest.raises(RuntimeError):
        transport.session()  # closed for good: no session nobody would close


async def test_a_call_after_the_transport_closed_is_an_outage_never_sent(
    http: aioresponses, transport: Transport, do: DigitalOceanProvider
) -> None:
    http.get(ACCOUNT, payload={"account": {"uuid": "a1"}}, repeat=True)
    await transport.aclose()
    with pytest.raises(OutageError) as info:
        await do.validate_credentials()
    assert not isinstance(info.value, OutcomeUnknownError)
    assert "shutting down" in info.value.message
    assert sent(http, "GET") == []


async def test_clients_on_one_transport_send_through_its_session(
    http: aioresponses, transport: Transport
) -> None:
    do = DigitalOceanProvider(name="d", token="t", transport=transport)
    li = LinodeProvider(name="l", token="t", transport=transport)
    assert do.transport is li.transport is transport
    http.get(ACCOUNT, payload={"account": {"uuid": "a1"}})
    http.get(PROFILE, payload={"username": "u"})
    await do.validate_credentials()
    session = transport.session()
    await li.validate_credentials()
    assert transport.session() is session
    # a shared transport is its owner's to close, not a client's
    await do.aclose()
    await li.aclose()
    assert not session.closed


async def test_a_client_without_a_transport_owns_and_closes_its_own(http: aioresponses) -> None:
    provider = DigitalOceanProvider(name="x", token="t")
    http.get(ACCOUNT, payload={"account": {"uuid": "a1"}})
    await provider.validate_credentials()
    session = provider.transport.session()
    assert not session.closed
    await provider.aclose()
    assert session.closed


async def test_timeout_is_explicit(transport: Transport) -> None:
    provider = DigitalOceanProvider(name="x", token="t", timeout=7.5, transport=transport)
    assert provider.api.timeout.total == 7.5


async def test_base_url_override_keeps_api_prefix(http: aioresponses, transport: Transport) -> None:
    provider = LinodeProvider(
        name="x", token="t", base_url="http://127.0.0.1:9999/linode/", transport=transport
    )
    http.get("http://127.0.0.1:9999/linode/v4/profile", payload={"username": "u"})
    await provider.validate_credentials()


async def test_bearer_auth_header(http: aioresponses, do: DigitalOceanProvider) -> None:
    http.get(ACCOUNT, payload={"account": {"uuid": "a1"}})
    await do.validate_credentials()
    ((_, kwargs),) = sent(http, "GET")
    assert kwargs["headers"]["Authorization"] == f"Bearer {DO_TOKEN}"


# ------------------------------------------------------------------ error mapping


@pytest.mark.parametrize(
    ("status", "body", "cls", "field"),
    [
        (
            401,
            {"id": "unauthorized", "message": "Unable to authenticate you."},
            CredentialsError,
            None,
        ),
        (403, {"id": "forbidden", "message": "You do not have access."}, CredentialsError, None),
        (
            404,
            {"id": "not_found", "message": "The resource you were accessing could not be found."},
            NotFoundError,
            None,
        ),
        (400, {"id": "bad_request", "message": "Bad request."}, ValidationError, None),
        (
            422,
            {"id": "unprocessable_entity", "message": "Name is invalid."},
            ValidationError,
            "label",
        ),
        (
            422,
            {"id": "unprocessable_entity", "message": "Size is not available in this region."},
            ValidationError,
            "plan",
        ),
        (
            422,
            {
                "id": "unprocessable_entity",
                "message": "creating this/these droplet(s) will exceed your droplet limit",
            },
            QuotaError,
            None,
        ),
    ],
)
async def test_digitalocean_error_bodies(
    http: aioresponses,
    do: DigitalOceanProvider,
    status: int,
    body: dict[str, str],
    cls: type[Exception],
    field: str | None,
) -> None:
    body = {**body, "request_id": "req-123"}
    http.post(f"{DO}/v2/droplets/1/actions", status=status, payload=body)
    with pytest.raises(cls) as info:
        await do.perform_action("1", "reboot")
    err = info.value
    assert err.provider == "DigitalOcean"  # type: ignore[attr-defined]
    assert err.status == status  # type: ignore[attr-defined]
    assert err.field == field  # type: ignore[attr-defined]
    assert err.request_id == "req-123"  # type: ignore[attr-defined]
    assert body["message"] in err.message  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("status", "errors", "cls", "field"),
    [
        (401, [{"reason": "Invalid Token"}], CredentialsError, None),
        (403, [{"reason": "Unauthorized"}], CredentialsError, None),
        (404, [{"reason": "Not found"}], NotFoundError, None),
        (
            400,
            [{"field": "label", "reason": "Label must be unique among your linodes"}],
            ValidationError,
            "label",
        ),
        (
            400,
            [{"field": "root_pass", "reason": "Password does not meet strength requirement."}],
            ValidationError,
            "root_password",
        ),
        (
            400,
            [{"field": "type", "reason": "A valid plan type by that ID was not found"}],
            ValidationError,
            "plan",
        ),
        (
            400,
            [{"reason": "Account limit reached. Please open a support ticket."}],
            QuotaError,
            None,
        ),
    ],
)
async def test_linode_error_bodies(
    http: aioresponses,
    li: LinodeProvider,
    status: int,
    errors: list[dict[str, str]],
    cls: type[Exception],
    field: str | None,
) -> None:
    http.post(f"{LI}/v4/linode/instances/5/reboot", status=status, payload={"errors": errors})
    with pytest.raises(cls) as info:
        await li.perform_action("5", "reboot")
    err = info.value
    assert err.provider == "Linode"  # type: ignore[attr-defined]
    assert err.field == field  # type: ignore[attr-defined]
    assert errors[0]["reason"] in err.message  # type: ignore[attr-defined]


async def test_429_retry_after_beyond_cap_is_raised_without_retry(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.get(
        ACCOUNT,
        status=429,
        payload={"id": "too_many_requests", "message": "API rate limit exceeded."},
        headers={"Retry-After": "120"},
        repeat=True,
    )
    with pytest.raises(RateLimitedError) as info:
        await do.validate_credentials()
    assert info.value.retry_after == 120
    assert len(sent(http, "GET")) == 1


async def test_429_short_retry_after_is_honoured_then_succeeds(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.get(
        ACCOUNT,
        status=429,
        payload={"id": "too_many_requests", "message": "API rate limit exceeded."},
        headers={"retry-after": "1"},
    )
    http.get(ACCOUNT, payload={"account": {"uuid": "a1"}})
    await do.validate_credentials()
    assert len(sent(http, "GET")) == 2


async def test_429_retry_after_from_reset_header(http: aioresponses, li: LinodeProvider) -> None:
    reset = int(time.time()) + 100
    http.post(
        f"{LI}/v4/linode/instances/5/boot",
        status=429,
        payload={"errors": [{"reason": "Too many requests"}]},
        headers={"X-RateLimit-Reset": str(reset), "X-RateLimit-Remaining": "0"},
    )
    with pytest.raises(RateLimitedError) as info:
        await li.perform_action("5", "power_on")
    assert info.value.retry_after is not None
    assert 90 <= info.value.retry_after <= 100


async def test_get_retried_on_5xx_then_success(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.get(ACCOUNT, status=500, payload={"id": "server_error", "message": "Unexpected"})
    http.get(ACCOUNT, status=503, body="upstream down")
    http.get(ACCOUNT, payload={"account": {"uuid": "a1", "status": "active"}})
    await do.validate_credentials()
    assert len(sent(http, "GET")) == 3


async def test_get_gives_up_after_bounded_attempts(http: aioresponses, li: LinodeProvider) -> None:
    http.get(PROFILE, status=500, payload={"errors": [{"reason": "oops"}]}, repeat=True)
    with pytest.raises(OutageError) as info:
        await li.validate_credentials()
    assert not isinstance(info.value, OutcomeUnknownError)
    assert info.value.provider == "Linode"
    assert info.value.status == 500
    assert "Linode" in info.value.user_message()
    assert len(sent(http, "GET")) == 3


@pytest.mark.parametrize(
    "exc",
    [
        aiohttp.ClientConnectionError("reset"),
        aiohttp.ServerDisconnectedError(),
        TimeoutError(),
    ],
)
async def test_read_transport_failures_are_outages(
    http: aioresponses, do: DigitalOceanProvider, exc: Exception
) -> None:
    http.get(ACCOUNT, exception=exc, repeat=True)
    with pytest.raises(OutageError) as info:
        await do.validate_credentials()
    assert not isinstance(info.value, OutcomeUnknownError)
    assert info.value.provider == "DigitalOcean"
    assert len(sent(http, "GET")) == 3


@pytest.mark.parametrize(
    "exc", [aiohttp.ServerDisconnectedError(), TimeoutError(), aiohttp.ClientOSError()]
)
async def test_write_lost_answer_is_outcome_unknown_and_not_retried(
    http: aioresponses, do: DigitalOceanProvider, exc: Exception
) -> None:
    http.post(f"{DO}/v2/droplets/1/actions", exception=exc, repeat=True)
    with pytest.raises(OutcomeUnknownError):
        await do.perform_action("1", "power_on")
    assert len(sent(http, "POST")) == 1


async def test_write_5xx_is_outcome_unknown(http: aioresponses, li: LinodeProvider) -> None:
    http.delete(f"{LI}/v4/linode/instances/5", status=502, body="bad gateway", repeat=True)
    with pytest.raises(OutcomeUnknownError):
        await li.delete_instance("5")
    assert len(sent(http, "DELETE")) == 1


# ------------------------------------------------------------------- rate budget


async def test_digitalocean_rate_budget_from_headers(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    assert do.rate_budget is None
    http.get(
        ACCOUNT,
        payload={"account": {"uuid": "a1"}},
        headers={
            "ratelimit-limit": "5000",
            "ratelimit-remaining": "4816",
            "rateLimit-reset": "1444931833",
        },
    )
    await do.validate_credentials()
    assert do.rate_budget == RateBudget(limit=5000, remaining=4816, reset_at=1444931833.0)
    short = do.api.account.short
    gauge = REGISTRY.get_sample_value(
        "vpsbot_provider_ratelimit_remaining", {"provider": "digitalocean", "account": short}
    )
    assert gauge == 4816
    assert DO_TOKEN not in short


async def test_linode_rate_budget_from_headers(http: aioresponses, li: LinodeProvider) -> None:
    http.get(
        PROFILE,
        payload={"username": "u"},
        headers={
            "X-RateLimit-Limit": "800",
            "X-RateLimit-Remaining": "799",
            "X-RateLimit-Reset": "1700000000",
        },
    )
    await li.validate_credentials()
    assert li.rate_budget == RateBudget(limit=800, remaining=799, reset_at=1700000000.0)


async def test_budget_is_per_account(http: aioresponses, transport: Transport) -> None:
    a = DigitalOceanProvider(name="a", token="token-a", transport=transport)
    a2 = DigitalOceanProvider(name="a again", token="token-a", transport=transport)
    b = DigitalOceanProvider(name="b", token="token-b", transport=transport)
    assert a.api.account is a2.api.account
    assert a.api.account is not b.api.account
    assert a.api.account.limiter is a2.api.account.limiter
    http.get(
        ACCOUNT,
        payload={"account": {"uuid": "a1"}},
        headers={"ratelimit-remaining": "7", "ratelimit-limit": "10"},
    )
    await a.validate_credentials()
    assert a2.rate_budget is not None and a2.rate_budget.remaining == 7
    assert b.rate_budget is None


async def test_accounts_are_per_transport(transport: Transport) -> None:
    other = Transport()
    here = DigitalOceanProvider(name="a", token="token-a", transport=transport)
    there = DigitalOceanProvider(name="a", token="token-a", transport=other)
    assert here.api.account.key == there.api.account.key
    assert here.api.account is not there.api.account
    await other.aclose()


async def test_exhausted_budget_waits_for_reset(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    do.api.account.budget = RateBudget(limit=5000, remaining=0, reset_at=time.time() + 0.2)
    http.get(ACCOUNT, payload={"account": {"uuid": "a1"}})
    started = time.monotonic()
    await do.validate_credentials()
    assert time.monotonic() - started >= 0.15
    assert len(sent(http, "GET")) == 1


async def test_exhausted_budget_far_reset_raises_without_sending(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    do.api.account.budget = RateBudget(limit=5000, remaining=0, reset_at=time.time() + 600)
    http.get(ACCOUNT, payload={"account": {"uuid": "a1"}}, repeat=True)
    with pytest.raises(RateLimitedError) as info:
        await do.validate_credentials()
    assert info.value.retry_after is not None and info.value.retry_after > 500
    assert sent(http, "GET") == []


def test_client_side_limits(transport: Transport) -> None:
    assert DigitalOceanApi.requests_per_minute == 250
    do_api = DigitalOceanApi(token="limits", transport=transport)
    assert do_api.account.limiter.max_rate == 250
    assert ("GET", "/v2/account/keys") in do_api.account.special
    li = LinodeProvider(name="x", token="limits", transport=transport)
    assert li.api.account.limiter.max_rate == 800


# ------------------------------------------------------------------------ logging


async def test_one_structured_log_line_per_call(
    http: aioresponses, do: DigitalOceanProvider, caplog: pytest.LogCaptureFixture
) -> None:
    http.get(
        f"{DO}/v2/droplets/42/actions/7",
        payload={"action": {"id": 7, "status": "completed", "type": "reboot"}},
        headers={"x-request-id": "rid-42"},
    )
    with caplog.at_level(logging.INFO, logger="providers.http"):
        await do.get_action("42", "7")
    (record,) = [r for r in caplog.records if r.name == "providers.http"]
    assert record.provider == "digitalocean"  # type: ignore[attr-defined]
    assert record.method == "GET"  # type: ignore[attr-defined]
    assert record.path == "/v2/droplets/{id}/actions/{id}"  # type: ignore[attr-defined]
    assert record.status == 200  # type: ignore[attr-defined]
    assert record.provider_request_id == "rid-42"  # type: ignore[attr-defined]
    assert isinstance(record.latency_ms, float)  # type: ignore[attr-defined]
    assert "rid-42" in record.getMessage()


async def test_logs_never_contain_secrets(
    http: aioresponses,
    do: DigitalOceanProvider,
    li: LinodeProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    password = "S3cret!Passw0rd-xyz"
    public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISECRETKEYMATERIAL user@host"
    http.post(
        f"{DO}/v2/droplets",
        status=202,
        payload={"droplet": {"id": 1, "name": "web-1", "status": "new", "tags": ["vpsbot-t1"]}},
    )
    http.get(
        re.compile(rf"^{re.escape(LI)}/v4/profile/sshkeys.*"),
        payload={"data": [{"id": 9, "label": "me", "ssh_key": public_key}], "page": 1, "pages": 1},
    )
    http.post(f"{LI}/v4/linode/instances", exception=aiohttp.ServerDisconnectedError())
    http.get(
        re.compile(rf"^{re.escape(LI)}/v4/linode/instances\?.*"),
        payload={"data": [], "page": 1, "pages": 1},
        repeat=True,
    )
    with caplog.at_level(logging.DEBUG):
        await do.create_instance(
            CreateRequest(
                label="web-1",
                region="nyc3",
                plan="s-1vcpu-1gb",
                image="ubuntu-24-04-x64",
                tag="vpsbot-t1",
                root_password=password,
                ssh_key_ids=["123"],
            )
        )
        with pytest.raises(OutcomeUnknownError) as info:
            await li.create_instance(
                CreateRequest(
                    label="web-1",
                    region="us-east",
                    plan="g6-nanode-1",
                    image="linode/debian12",
                    tag="vpsbot-t2",
                    root_password=password,
                    ssh_key_ids=["9"],
                )
            )
    text = caplog.text + " ".join(repr(r.__dict__) for r in caplog.records)
    text += str(info.value) + repr(info.value)
    assert caplog.records
    for secret in (password, DO_TOKEN, LI_TOKEN, "SECRETKEYMATERIAL", "chpasswd", "root:"):
        assert secret not in text


# ------------------------------------------------------------------ odd answers (issue 19)


@pytest.mark.parametrize("body", ["", "{}", '{"account": {}}', '{"account": null}', "[]"])
async def test_a_do_account_answer_without_the_account_validates_nothing(
    http: aioresponses, do: DigitalOceanProvider, body: str
) -> None:
    http.get(ACCOUNT, status=200, body=body, repeat=True)
    with pytest.raises(UnreadableAnswerError) as info:
        await do.validate_credentials()
    assert "could not read" in info.value.user_message()
    assert "unavailable" not in info.value.user_message()


@pytest.mark.parametrize("body", ["", "{}", '{"username": null}', '{"data": []}'])
async def test_a_linode_profile_without_a_username_validates_nothing(
    http: aioresponses, li: LinodeProvider, body: str
) -> None:
    http.get(PROFILE, status=200, body=body, repeat=True)
    with pytest.raises(UnreadableAnswerError):
        await li.validate_credentials()


async def test_a_not_json_2xx_read_is_unreadable_not_unreachable(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.get(ACCOUNT, status=200, body="<html>hello</html>", repeat=True)
    with pytest.raises(UnreadableAnswerError) as info:
        await do.validate_credentials()
    assert info.value.status == 200


async def test_a_429_whose_reset_is_past_backs_off_by_the_floor(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    past = str(int(time.time()) - 5)
    http.get(
        ACCOUNT,
        status=429,
        payload={"id": "too_many_requests", "message": "API rate limit exceeded."},
        headers={"ratelimit-reset": past, "ratelimit-remaining": "0", "ratelimit-limit": "250"},
        repeat=True,
    )
    with pytest.raises(RateLimitedError) as info:
        await do.validate_credentials()
    assert info.value.retry_after == 0.0  # "now", as the reset header says
    # the wait stamina is given before the next attempt: never less than the floor
    assert do.api._retry_hook(info.value) == DigitalOceanApi.rate_limit_floor >= 1.0


async def test_a_429_retry_after_above_the_floor_is_honoured(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    http.get(
        ACCOUNT,
        status=429,
        payload={"id": "too_many_requests", "message": "API rate limit exceeded."},
        headers={"Retry-After": "7", "ratelimit-reset": str(int(time.time()) - 5)},
        repeat=True,
    )
    with pytest.raises(RateLimitedError) as info:
        await do.validate_credentials()
    assert do.api._retry_hook(info.value) == 7.0
