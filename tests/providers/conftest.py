"""Fixtures for the provider-client tests: mocked HTTP, fast retries, clean state."""

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
from providers.http import close_session, reset_rate_state
from providers.linode import LinodeProvider

DO = "https://api.digitalocean.com"
LI = "https://api.linode.com"
DO_TOKEN = "dop_v1_SECRETTOKEN0123456789abcdef"
LI_TOKEN = "linode-SECRET-token-9876543210"


@pytest.fixture
async def provider_env() -> AsyncIterator[None]:
    """Fresh rate state, no retry back-off (3 attempts kept), shared session closed."""
    reset_rate_state()
    with stamina.set_testing(True, attempts=3, cap=True):
        yield
    await close_session()
    reset_rate_state()


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
def do(provider_env: None) -> DigitalOceanProvider:
    provider = DigitalOceanProvider(name="do-test", token=DO_TOKEN)
    provider.lost_create_delay = 0
    return provider


@pytest.fixture
def li(provider_env: None) -> LinodeProvider:
    provider = LinodeProvider(name="li-test", token=LI_TOKEN)
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
