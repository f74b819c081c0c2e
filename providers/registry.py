"""Provider factory and the per-row registry of cached provider clients.

Why: the bot stores provider accounts as database rows; it should not care which
class speaks to which cloud. :func:`build_provider` maps a row's ``type`` to a
client, and :class:`ProviderRegistry` keeps one :class:`CachedProvider` per row,
rebuilding it (and dropping its cached catalogue) when the row's version changes.
The registry owns the :class:`~providers.http.Transport` its clients share (one
pooled HTTP session, one rate-limit state per account) and closes it in ``aclose``.
"""

from __future__ import annotations

import asyncio
import builtins
import copy
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from providers.base import Capabilities, Provider
from providers.cache import CatalogCache
from providers.digitalocean import DigitalOceanProvider
from providers.ec2 import Ec2Provider
from providers.errors import UnsupportedProviderError
from providers.http import Transport
from providers.linode import LinodeProvider
from providers.models import (
    VPC,
    ActionResult,
    CreateRequest,
    DeploymentOption,
    Image,
    Instance,
    Plan,
    Region,
    ServerMetrics,
    SSHKey,
)

__all__ = [
    "IMPLEMENTED_TYPES",
    "KNOWN_TYPES",
    "CachedProvider",
    "ProviderRegistry",
    "UnsupportedProviderError",
    "build_provider",
    "capabilities_for",
    "credential_hints",
    "display_name",
    "official_api_url",
    "type_for_word",
]

T = TypeVar("T")

_CLASSES: dict[str, type[DigitalOceanProvider] | type[LinodeProvider] | type[Ec2Provider]] = {
    DigitalOceanProvider.type: DigitalOceanProvider,
    LinodeProvider.type: LinodeProvider,
    Ec2Provider.type: Ec2Provider,
}

#: Types that have a client.
IMPLEMENTED_TYPES: tuple[str, ...] = tuple(_CLASSES)
#: Types the database accepts (some not implemented yet).
KNOWN_TYPES: tuple[str, ...] = (*IMPLEMENTED_TYPES, "gcp")


def capabilities_for(type: str) -> Capabilities | None:
    """What a provider type supports, without building a client (None if unknown)."""
    cls = _CLASSES.get(type)
    return cls.capabilities if cls is not None else None


def official_api_url(type: str) -> str | None:
    """The provider type's own public API (None if the type has no client)."""
    api = getattr(_CLASSES.get(type), "api_class", None)  # EC2: boto's per-region endpoints
    return str(api.default_base_url) if api is not None else None


def display_name(type: str) -> str:
    """How a provider type is written for people ("DigitalOcean"); unknown ones as is."""
    caps = capabilities_for(type)
    return caps.display_name if caps is not None and caps.display_name else type.upper()


def credential_hints() -> list[str]:
    """What each provider whose credentials are more than one API token asks the
    admin to paste ("Amazon EC2: ACCESS_KEY_ID:SECRET …"), for the add-provider form."""
    return [
        f"{cls.capabilities.display_name}: {cls.capabilities.credential_hint}"
        for cls in _CLASSES.values()
        if cls.capabilities.credential_hint
    ]


def type_for_word(word: str) -> str | None:
    """The implemented provider type a person means by ``word`` ("do", "Linode"), or None."""
    lowered = word.lower()
    for type_, cls in _CLASSES.items():
        if lowered == type_ or lowered in cls.capabilities.aliases:
            return type_
    return None


def build_provider(
    type: str,
    *,
    name: str,
    token: str,
    configuration: Mapping[str, Any] | None = None,
    transport: Transport | None = None,
) -> Provider:
    """A new client for one provider account.

    ``configuration`` may carry ``api_url`` (base URL, e.g. the sandbox's
    ``http://127.0.0.1:PORT/digitalocean``), ``timeout`` (seconds) and ``trusted``
    (the operator vouched for ``api_url``: it may be a private address, and its
    errors are quoted; only the operator's own paths set it) and ``shared`` (several
    workspaces use this account: each gets a fair share of its rate budget, see
    :mod:`providers.fairshare`). ``transport``
    is the session and rate-limit state to share; without one the client makes its
    own, closed by its ``aclose()``.
    """
    cls = _CLASSES.get(type)
    if cls is None:
        if type in KNOWN_TYPES:
            raise UnsupportedProviderError(
                f"provider type {type!r} is not supported yet "
                f"(supported: {', '.join(IMPLEMENTED_TYPES)})",
                provider=type,
            )
        raise UnsupportedProviderError(
            f"unknown provider type {type!r} (supported: {', '.join(IMPLEMENTED_TYPES)})",
            provider=type,
        )
    config = dict(configuration or {})
    base_url = config.get("api_url") or config.get("base_url")
    timeout = float(config.get("timeout") or 30.0)
    if issubclass(cls, Ec2Provider):  # more settings than an endpoint (regions, families)
        return Ec2Provider(
            name=name,
            token=token,
            base_url=str(base_url) if base_url else None,
            timeout=timeout,
            configuration=config,
        )
    return cls(
        name=name,
        token=token,
        base_url=str(base_url) if base_url else None,
        timeout=timeout,
        transport=transport,
        trusted=config.get("trusted") is True,
        shared=config.get("shared") is True,
    )


class CachedProvider(Provider):
    """A provider whose catalogue reads go through a shared :class:`CatalogCache`.

    Cached: plans, images, regions, deployment options, SSH keys, VPCs. Writes and
    instance reads pass straight through. Build with :meth:`wrap`, which makes a
    subclass carrying the wrapped class's ``type``, ``capabilities`` and rules.
    """

    type: ClassVar[str] = "cached"
    capabilities: ClassVar[Capabilities] = Capabilities(
        deployment_kind="",
        monitoring=False,
        ipv6=False,
        vpc=False,
        private_ip=False,
        root_password=False,
        actions=(),
    )
    _subclasses: ClassVar[dict[builtins.type[Provider], builtins.type[CachedProvider]]] = {}

    def __init__(self, inner: Provider, *, cache: CatalogCache, key: str) -> None:
        self.inner = inner
        self.name = inner.name
        self.cache = cache
        self.key = key

    @classmethod
    def wrap(cls, inner: Provider, *, cache: CatalogCache, key: str) -> CachedProvider:
        inner_cls = builtins.type(inner)
        sub = cls._subclasses.get(inner_cls)
        if sub is None:
            sub = builtins.type(
                f"Cached{inner_cls.__name__}",
                (cls,),
                {
                    "type": inner_cls.type,
                    "capabilities": inner_cls.capabilities,
                    "label_error": staticmethod(inner_cls.label_error),
                    "password_error": staticmethod(inner_cls.password_error),
                    "__doc__": f"{inner_cls.__name__} behind the catalogue cache.",
                },
            )
            cls._subclasses[inner_cls] = sub
        return sub(inner, cache=cache, key=key)

    def __repr__(self) -> str:
        return f"<CachedProvider {self.key!r} {self.inner!r}>"

    @staticmethod
    def label_error(label: str) -> str | None:  # replaced per subclass by wrap()
        raise NotImplementedError("build CachedProvider with CachedProvider.wrap()")

    @staticmethod
    def password_error(password: str) -> str | None:  # replaced per subclass by wrap()
        raise NotImplementedError("build CachedProvider with CachedProvider.wrap()")

    @property
    def rate_budget(self) -> Any:
        return getattr(self.inner, "rate_budget", None)

    @property
    def last_success(self) -> float | None:
        value = getattr(self.inner, "last_success", None)
        return float(value) if value is not None else None

    async def _cached(self, kind: str, loader: Callable[[], Awaitable[list[T]]]) -> list[T]:
        value = await self.cache.get_or_load(self.key, kind, loader, provider_type=self.type)
        return list(value)

    def invalidate(self, kind: str | None = None) -> None:
        """Drop this provider's cached catalogue (e.g. after adding an SSH key)."""
        self.cache.invalidate(self.key, kind)

    async def validate_credentials(self) -> None:
        await self.inner.validate_credentials()

    async def get_plans(self) -> list[Plan]:
        return await self._cached("plans", self.inner.get_plans)

    async def get_regions(self) -> list[Region]:
        return await self._cached("regions", self.inner.get_regions)

    async def get_images(self) -> list[Image]:
        return await self._cached("images", self.inner.get_images)

    async def get_deployment_options(self) -> list[DeploymentOption]:
        return await self._cached("deployment_options", self.inner.get_deployment_options)

    async def list_ssh_keys(self) -> list[SSHKey]:
        return await self._cached("ssh_keys", self.inner.list_ssh_keys)

    async def list_vpcs(self) -> list[VPC]:
        return await self._cached("vpcs", self.inner.list_vpcs)

    async def create_instance(self, request: CreateRequest) -> Instance:
        return await self.inner.create_instance(request)

    async def get_instance(self, instance_id: str) -> Instance:
        return await self.inner.get_instance(instance_id)

    async def list_instances(self, *, tag: str | None = None) -> list[Instance]:
        return await self.inner.list_instances(tag=tag)

    async def find_by_tag(self, tag: str) -> Instance | None:
        return await self.inner.find_by_tag(tag)

    async def perform_action(
        self,
        instance_id: str,
        action: str,
        *,
        image: str | None = None,
        plan: str | None = None,
        root_password: str | None = None,
    ) -> ActionResult:
        return await self.inner.perform_action(
            instance_id, action, image=image, plan=plan, root_password=root_password
        )

    async def get_action(self, instance_id: str, action_id: str) -> ActionResult:
        return await self.inner.get_action(instance_id, action_id)

    async def delete_instance(self, instance_id: str) -> None:
        await self.inner.delete_instance(instance_id)

    async def get_metrics(self, instance_id: str, start: datetime, end: datetime) -> ServerMetrics:
        """Not cached here: the graphs keep their drawn charts (bot.servers.graphs)."""
        return await self.inner.get_metrics(instance_id, start, end)

    async def aclose(self) -> None:
        await self.inner.aclose()


#: What a client is built from: type, name, token, configuration and version.
_Inputs = tuple[str, str, str, Any, object]


class ProviderRegistry:
    """One :class:`CachedProvider` per provider row, rebuilt when the row changes.

    ``key`` identifies the row (e.g. its id as a string); ``version`` is anything
    that changes when the row does (e.g. ``updated_at``). A change of version (or
    of type, name, token or configuration) replaces the client and drops the
    row's cached catalogue.

    Every client is built with the registry's ``transport`` (``builder`` is called
    with it as a keyword), so clients of one token share one rate-limit state. A
    transport handed in becomes the registry's: :meth:`aclose` closes it.
    """

    def __init__(
        self,
        *,
        cache: CatalogCache | None = None,
        builder: Callable[..., Provider] = build_provider,
        transport: Transport | None = None,
    ) -> None:
        self.cache = cache or CatalogCache()
        self.transport = transport if transport is not None else Transport()
        self._builder = builder
        self._entries: dict[str, tuple[_Inputs, CachedProvider]] = {}
        self._retired: list[Provider] = []

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(
        self,
        key: str,
        *,
        type: str,
        name: str,
        token: str,
        configuration: Mapping[str, Any] | None = None,
        version: object = None,
    ) -> CachedProvider:
        """The client for row ``key``, built (or rebuilt) as needed."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] == (type, name, token, configuration or {}, version):
            return entry[1]
        inner = self._builder(
            type,
            name=name,
            token=token,
            configuration=configuration,
            transport=self.transport,
        )
        if entry is not None:
            self._retired.append(entry[1])
            self.cache.invalidate(key)
        provider = CachedProvider.wrap(inner, cache=self.cache, key=key)
        # a copy of the configuration, so a change made to the row's dict in place
        # is seen as a change
        inputs = (type, name, token, copy.deepcopy(dict(configuration or {})), version)
        self._entries[key] = (inputs, provider)
        return provider

    def invalidate(self, key: str) -> None:
        """Forget row ``key``'s client and cached catalogue (e.g. row deleted)."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._retired.append(entry[1])
        self.cache.invalidate(key)

    async def aclose(self) -> None:
        """Close every client this registry built, then the transport they share."""
        providers = [p for _, p in self._entries.values()] + self._retired
        self._entries.clear()
        self._retired = []
        await asyncio.gather(*(p.aclose() for p in providers), return_exceptions=True)
        await self.transport.aclose()
