"""Fixtures for the provider-client tests: mocked HTTP, fast retries, a fresh transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import aioresponses.core as aioresponses_core
import pytest
import stamina
from aiohttp import ClientResponse
from aioresponses import aioresponses
from yarl import URL

from providers.digitalocean import DigitalOceanProvider
from providers.http import Transport
from providers.linode import LinodeProvider

DO = "https://api.digitalocean.com"
LI = "https://api.linode.com"
DO_TOKEN = "dop_v1_SECRETTOKEN0123456789abcdef"
LI_TOKEN = "linode-SECRET-token-9876543210"


@pytest.fixture
async def transport() -> AsyncIterator[Transport]:
    """A new session and rate-limit state per test (each test's accounts are new),
    closed at its end."""
    shared = Transport()
    try:
        yield shared
    finally:
        await shared.aclose()


@pytest.fixture
def provider_env(transport: Transport) -> Iterator[None]:
    """No retry back-off (3 attempts kept); the test's transport is closed after it."""
    with stamina.set_testing(True, attempts=3, cap=True):
        yield


class _NoUpload:
    output_size = 0


class _CompatResponse(ClientResponse):
    """aioresponses 0.7.9 predates aiohttp 3.14's required ``stream_writer``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _NoUpload())
        super().__init__(*args, **kwargs)


@pytest.fixture
def http(provider_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses]:
    monkeypatch.setattr(aioresponses_core, "ClientResponse", _CompatResponse)
    with aioresponses() as mocked:
        yield mocked


@pytest.fixture
def do(provider_env: None, transport: Transport) -> DigitalOceanProvider:
    provider = DigitalOceanProvider(name="do-test", token=DO_TOKEN, transport=transport)
    provider.lost_create_delay = 0
    return provider


@pytest.fixture
def li(provider_env: None, transport: Transport) -> LinodeProvider:
    provider = LinodeProvider(name="li-test", token=LI_TOKEN, transport=transport)
    provider.lost_create_delay = 0
    provider.event_lookup_delay = 0
    return provider


def sent(mocked: aioresponses, method: str, prefix: str = "") -> list[tuple[URL, dict[str, Any]]]:
    """Requests the mock received, in order of first call per URL."""
    return [
        (url, call.kwargs)
        for (meth, url), calls in mocked.requests.items()
        if meth == method and str(url).startswith(prefix)
        for call in calls
    ]
