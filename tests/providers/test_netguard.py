"""providers.netguard: a provider call connects to public addresses only, unless the
operator vouched for the endpoint; no redirect is followed; an unknown host's error
bodies are never quoted.

A real HTTP server on loopback counts every request it gets, so "refused" means the
request never left vpsbot, not that the server happened to be down: the same server
is reached by a client the operator vouched for.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aioresponses import aioresponses

from providers.digitalocean import DigitalOceanProvider
from providers.errors import OutageError, OutcomeUnknownError, ProviderError, ValidationError
from providers.http import Transport
from providers.netguard import is_public, origin
from providers.registry import build_provider

pytestmark = pytest.mark.usefixtures("provider_env")


@dataclass
class Target:
    """A loopback HTTP server standing in for what lives on the operator's network."""

    port: int = 0
    hits: list[str] = field(default_factory=list)
    redirect_to: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(request.path)
        if self.redirect_to:
            raise web.HTTPFound(self.redirect_to)
        return web.json_response(
            {
                "account": {
                    "uuid": "b6fr89dbf6d9156cace5f3c78dc9851d957381ef",
                    "status": "active",
                    "internal": "db-password",
                }
            }
        )


async def _serve(target: Target) -> web.AppRunner:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", target.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    target.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner


@pytest.fixture
async def target() -> AsyncIterator[Target]:
    found = Target()
    runner = await _serve(found)
    yield found
    await runner.cleanup()


@pytest.fixture
async def other() -> AsyncIterator[Target]:
    found = Target()
    runner = await _serve(found)
    yield found
    await runner.cleanup()


class RebindingResolver(AbstractResolver):
    """Resolves every name to loopback, as a hostile DNS answer at connect time would."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


def _client(url: str, transport: Transport, *, trusted: bool = False) -> DigitalOceanProvider:
    return DigitalOceanProvider(
        name="probe", token="t0ken", base_url=url, transport=transport, trusted=trusted
    )


#: Spellings of the loopback server, and whether the connector's guard is what
#: refuses them (else the HTTP client rejects the URL itself before any connection:
#: aiohttp does not take ``127.1`` or ``2130706433`` as hosts today).
SPELLINGS = [
    ("http://127.0.0.1:{port}", True),
    ("http://localhost:{port}", True),
    ("http://127.1:{port}", False),
    ("http://[::ffff:127.0.0.1]:{port}", True),
    ("http://2130706433:{port}", False),
    ("http://0x7f000001:{port}", True),
    ("http://[::1]:{port}", True),
    ("http://0.0.0.0:{port}", True),
]


@pytest.mark.parametrize(("spelling", "by_guard"), SPELLINGS)
async def test_every_spelling_of_loopback_is_refused(
    spelling: str, by_guard: bool, target: Target, transport: Transport
) -> None:
    provider = _client(spelling.format(port=target.port), transport)
    with pytest.raises(OutageError) as caught:
        await provider.validate_credentials()
    if by_guard:
        assert "private or local network address" in caught.value.message
    else:
        assert "InvalidUrl" in caught.value.message
    assert target.hits == []


async def test_the_operator_vouched_endpoint_is_reached(
    target: Target, transport: Transport
) -> None:
    """The control: the same server, vouched for, answers (the refusals above are
    the guard's, not a server that was not there)."""
    await _client(f"http://127.0.0.1:{target.port}", transport, trusted=True).validate_credentials()
    url = f"http://localhost:{target.port}"
    allowed = Transport(trusted_origins=[url + "/digitalocean"])
    try:
        await _client(url, allowed).validate_credentials()
        # the allowlist is per origin: another port of the same host is not on it
        with pytest.raises(OutageError):
            await _client(f"http://localhost:{target.port + 1}", allowed).validate_credentials()
    finally:
        await allowed.aclose()
    assert target.hits == ["/v2/account", "/v2/account"]


async def test_a_name_resolving_to_loopback_at_connect_time_is_refused(target: Target) -> None:
    resolver = RebindingResolver()
    guarded = Transport(resolver=resolver)
    try:
        provider = _client(f"http://api.example.com:{target.port}", guarded)
        with pytest.raises(OutageError) as caught:
            await provider.validate_credentials()
        assert "private or local network address" in caught.value.message
        assert resolver.asked == ["api.example.com"]
        assert target.hits == []
        # the same resolution for a vouched endpoint connects: the check is on the
        # address the resolver gave, at connect time
        vouched = _client(f"http://api.example.com:{target.port}", guarded, trusted=True)
        await vouched.validate_credentials()
        assert target.hits == ["/v2/account"]
    finally:
        await guarded.aclose()


async def test_a_redirect_to_loopback_is_not_followed(
    target: Target, other: Target, transport: Transport
) -> None:
    target.redirect_to = f"http://127.0.0.1:{other.port}/v2/account"
    provider = _client(f"http://127.0.0.1:{target.port}", transport, trusted=True)
    with pytest.raises(OutageError) as caught:
        await provider.validate_credentials()
    assert "redirect (HTTP 302)" in caught.value.message
    with pytest.raises(OutcomeUnknownError):  # a write answered by a redirect: unknown
        await provider.api.post("/v2/droplets", {"name": "x"})
    assert other.hits == []
    # the GET was tried again (as any outage is), never towards the redirect's target
    assert target.hits == ["/v2/account"] * 3 + ["/v2/droplets"]


def test_build_provider_takes_trust_only_as_true() -> None:
    for value, expected in ((True, True), ("yes", False), (1, False), (None, False)):
        built = build_provider(
            "digitalocean",
            name="x",
            token="t",
            configuration={"api_url": "http://127.0.0.1:9", "trusted": value},
        )
        assert isinstance(built, DigitalOceanProvider)
        assert built.api.vouched is expected


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # shared (carrier-grade NAT)
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),  # unique-local
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::127.0.0.1", False),  # IPv4-compatible
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo of 10.0.0.1
        ("not-an-address", False),
        ("104.16.0.1", True),
        ("2606:4700::1111", True),
        ("::ffff:104.16.0.1", True),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(address) is public


def test_origin_makes_the_port_explicit() -> None:
    assert origin("https://API.example.com/v2") == ("https", "api.example.com", 443)
    assert origin("http://h:8080") == ("http", "h", 8080)
    assert origin("ftp://h") is None
    assert origin("http://h:99999") is None


async def test_an_unknown_hosts_error_body_is_never_quoted(
    http: aioresponses, transport: Transport
) -> None:
    url = "https://do-proxy.example.net"
    http.get(
        f"{url}/v2/account",
        status=422,
        payload={"id": "unprocessable_entity", "message": "internal: db at 10.0.0.5 says hi"},
        headers={"x-request-id": "internal-req-7"},
    )
    http.get(f"{url}/v2/account", status=502, body="<html>nginx on db-01</html>")
    provider = _client(url, transport)
    with pytest.raises(ValidationError) as first:
        await provider.validate_credentials()
    with pytest.raises(ProviderError) as second:
        await provider.validate_credentials()
    for error in (first.value, second.value):
        shown: Any = error.user_message()
        assert "10.0.0.5" not in shown and "db-01" not in shown and "internal" not in shown
        assert error.request_id is None
    assert first.value.message == "HTTP 422 Unprocessable Entity"
    assert first.value.fields == {}


async def test_the_official_hosts_errors_are_quoted(
    http: aioresponses, transport: Transport
) -> None:
    http.get(
        "https://api.digitalocean.com/v2/account",
        status=422,
        payload={"id": "unprocessable_entity", "message": "name is invalid"},
    )
    provider = DigitalOceanProvider(name="do", token="t", transport=transport)
    with pytest.raises(ValidationError) as caught:
        await provider.validate_credentials()
    assert "name is invalid" in caught.value.message
