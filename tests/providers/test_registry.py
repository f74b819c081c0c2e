"""providers.registry: factory, CachedProvider, rebuild on version change."""

from __future__ import annotations

import re

import pytest
from aioresponses import aioresponses

from providers.base import Provider
from providers.cache import CatalogCache
from providers.digitalocean import DigitalOceanProvider
from providers.ec2 import Ec2Provider, parse_credentials
from providers.errors import CredentialsError
from providers.http import Transport
from providers.linode import LinodeProvider
from providers.models import CreateRequest
from providers.registry import (
    CachedProvider,
    ProviderRegistry,
    UnsupportedProviderError,
    build_provider,
)
from tests.providers.conftest import sent

pytestmark = pytest.mark.usefixtures("provider_env")

SANDBOX = "http://127.0.0.1:8765"


def test_build_provider_types() -> None:
    do = build_provider("digitalocean", name="d", token="t", configuration={})
    assert isinstance(do, DigitalOceanProvider)
    assert do.api.base_url == "https://api.digitalocean.com"
    li = build_provider(
        "linode", name="l", token="t", configuration={"api_url": f"{SANDBOX}/linode", "timeout": 5}
    )
    assert isinstance(li, LinodeProvider)
    assert li.api.base_url == f"{SANDBOX}/linode"
    assert li.api.timeout.total == 5
    assert li.name == "l"


def test_build_provider_uses_the_transport_given(transport: Transport) -> None:
    do = build_provider("digitalocean", name="d", token="t", transport=transport)
    assert isinstance(do, DigitalOceanProvider)
    assert do.transport is do.api.transport is transport


def test_known_but_unimplemented() -> None:
    with pytest.raises(UnsupportedProviderError, match="not supported yet"):
        build_provider("gcp", name="x", token="t", configuration=None)


def test_ec2_credentials_are_one_sealed_token() -> None:
    """An access key pair (and a role) travel as one token; a malformed one is a
    credentials error that never repeats the secret."""
    ec2 = build_provider(
        "aws",
        name="x",
        token="AKIAEXAMPLE000000001:s3cret/Key+:arn:aws:iam::123456789012:role/vpsbot",
        configuration={"region": "eu-west-1", "families": ["t3"]},
    )
    assert isinstance(ec2, Ec2Provider)
    creds = ec2.api.credentials
    assert (creds.access_key_id, creds.secret_access_key) == ("AKIAEXAMPLE000000001", "s3cret/Key+")
    assert creds.role_arn == "arn:aws:iam::123456789012:role/vpsbot"
    assert "s3cret" not in repr(creds)
    assert ec2.api.home_region == "eu-west-1" and ec2.families == ["t3"]
    pasted = parse_credentials("AKIAEXAMPLE000000001  s3cret/Key+")
    assert pasted.secret_access_key == "s3cret/Key+" and pasted.role_arn is None
    for bad in ("t", "AKIAEXAMPLE000000001:", "AKIAEXAMPLE000000001:x:not-an-arn"):
        with pytest.raises(CredentialsError) as info:
            parse_credentials(bad)
        assert "x:not" not in info.value.message


def test_unknown_type() -> None:
    with pytest.raises(UnsupportedProviderError, match="unknown provider type 'vultr'"):
        build_provider("vultr", name="x", token="t", configuration=None)


def registry_get(registry: ProviderRegistry, version: object, **kw: object) -> CachedProvider:
    args: dict[str, object] = {
        "type": "linode",
        "name": "main",
        "token": "tok",
        "configuration": {"api_url": f"{SANDBOX}/linode"},
        "version": version,
    }
    args.update(kw)
    return registry.get("7", **args)  # type: ignore[arg-type]


async def test_cached_provider_mirrors_inner() -> None:
    registry = ProviderRegistry()
    provider = registry_get(registry, 1)
    assert isinstance(provider, CachedProvider) and isinstance(provider, Provider)
    assert isinstance(provider.inner, LinodeProvider)
    assert provider.type == "linode"
    assert provider.capabilities is LinodeProvider.capabilities
    assert provider.label_error("ab") == LinodeProvider.label_error("ab")
    assert type(provider).password_error("x") is not None
    assert provider.name == "main"
    await registry.aclose()


TYPES = re.compile(rf"^{re.escape(SANDBOX)}/linode/v4/linode/types\?.*")
REGIONS = re.compile(rf"^{re.escape(SANDBOX)}/linode/v4/regions\?.*")
AVAILABILITY = re.compile(rf"^{re.escape(SANDBOX)}/linode/v4/regions/availability\?.*")


def types_read(http: aioresponses) -> list[object]:
    """The types reads the mock saw (each get_plans also reads the regions)."""
    return [call for url, call in sent(http, "GET") if "/linode/types" in str(url)]


TYPE = {
    "id": "g6-nanode-1",
    "label": "Nanode",
    "vcpus": 1,
    "memory": 1024,
    "disk": 25600,
    "transfer": 1000,
    "price": {"hourly": 0.0075, "monthly": 5},
}


async def test_catalogue_cached_and_rebuilt_on_version_change(http: aioresponses) -> None:
    registry = ProviderRegistry(cache=CatalogCache())
    http.get(TYPES, payload={"data": [TYPE], "page": 1, "pages": 1}, repeat=True)
    http.get(REGIONS, payload={"data": [], "page": 1, "pages": 1}, repeat=True)
    http.get(AVAILABILITY, payload={"data": [], "page": 1, "pages": 1}, repeat=True)
    first = registry_get(registry, "2024-01-01")
    assert registry_get(registry, "2024-01-01") is first
    await first.get_plans()
    await first.get_plans()
    assert len(types_read(http)) == 1

    second = registry_get(registry, "2024-02-02")
    assert second is not first
    assert registry.cache.peek("7", "plans") is None
    await second.get_plans()
    assert len(types_read(http)) == 2

    registry.invalidate("7")
    assert "7" not in registry
    third = registry_get(registry, "2024-02-02")
    assert third is not second
    await third.get_plans()
    assert len(types_read(http)) == 3
    await registry.aclose()


async def test_token_change_rebuilds_even_with_same_version() -> None:
    registry = ProviderRegistry()
    a = registry_get(registry, 1)
    b = registry_get(registry, 1, token="other")
    assert a is not b
    await registry.aclose()


async def test_a_configuration_change_rebuilds_even_one_made_in_place() -> None:
    registry = ProviderRegistry()
    config: dict[str, object] = {"api_url": f"{SANDBOX}/linode"}
    first = registry.get("1", type="linode", name="p", token="t", configuration=config)
    assert registry.get("1", type="linode", name="p", token="t", configuration=config) is first
    config["allowed_deployments"] = ["lamp"]  # the row's dict, changed where it is
    second = registry.get("1", type="linode", name="p", token="t", configuration=config)
    assert second is not first
    same = {"api_url": f"{SANDBOX}/linode", "allowed_deployments": ["lamp"]}
    assert registry.get("1", type="linode", name="p", token="t", configuration=same) is second
    await registry.aclose()


async def test_writes_and_instance_reads_pass_through(http: aioresponses) -> None:
    registry = ProviderRegistry()
    provider = registry_get(registry, 1)
    linode = {
        "id": 1,
        "label": "web",
        "status": "running",
        "ipv4": [],
        "region": "us-east",
        "type": "g6-nanode-1",
        "tags": ["vpsbot-x"],
    }
    http.get(f"{SANDBOX}/linode/v4/linode/instances/1", payload=linode, repeat=True)
    await provider.get_instance("1")
    await provider.get_instance("1")
    assert len(sent(http, "GET")) == 2
    http.post(f"{SANDBOX}/linode/v4/linode/instances", payload=linode)
    created = await provider.create_instance(
        CreateRequest(
            label="web",
            region="us-east",
            plan="g6-nanode-1",
            image="linode/debian12",
            tag="vpsbot-x",
            root_password="Str0ng!pass",
        )
    )
    assert created.id == "1"
    await registry.aclose()


async def test_builder_injection_counts_builds() -> None:
    built: list[str] = []

    def builder(type: str, **kwargs: object) -> Provider:
        built.append(type)
        return build_provider(type, **kwargs)  # type: ignore[arg-type]

    registry = ProviderRegistry(builder=builder)
    registry_get(registry, 1)
    registry_get(registry, 1)
    registry_get(registry, 2)
    assert built == ["linode", "linode"]
    await registry.aclose()


async def test_registry_clients_share_its_transport_which_aclose_closes() -> None:
    registry = ProviderRegistry()
    first = registry_get(registry, 1)
    second = registry.get(
        "8",
        type="linode",
        name="same token, another row",
        token="tok",
        configuration={"api_url": f"{SANDBOX}/linode"},
    )
    assert isinstance(first.inner, LinodeProvider) and isinstance(second.inner, LinodeProvider)
    assert first.inner.transport is second.inner.transport is registry.transport
    # one provider account (endpoint + token): one rate-limit state for both rows
    assert first.inner.api.account is second.inner.api.account
    session = registry.transport.session()
    await registry.aclose()
    assert session.closed


async def test_registry_takes_a_transport_and_closes_it(transport: Transport) -> None:
    registry = ProviderRegistry(transport=transport)
    provider = registry_get(registry, 1)
    assert isinstance(provider.inner, LinodeProvider)
    assert provider.inner.transport is transport
    session = transport.session()
    await registry.aclose()
    assert session.closed
