"""Cloud provider clients for vpsbot: one interface over DigitalOcean and Linode.

Why a package: the bot and the database layer only see :class:`Provider`, the
normalised models and errors; the HTTP, caching and rate-limit machinery stays in
here. This package never imports ``bot`` or ``db``.
"""

from __future__ import annotations

from providers.base import ACTIONS, Capabilities, Provider
from providers.cache import CatalogCache
from providers.digitalocean import DigitalOceanProvider
from providers.errors import (
    BusyError,
    CredentialsError,
    NotFoundError,
    OutageError,
    OutcomeUnknownError,
    ProviderError,
    QuotaError,
    RateLimitedError,
    ValidationError,
)
from providers.http import RateBudget, Transport
from providers.linode import LinodeProvider
from providers.models import (
    VPC,
    ActionResult,
    CreateRequest,
    DeploymentOption,
    Image,
    Instance,
    InstanceStatus,
    Plan,
    Region,
    RegionPrice,
    ScriptField,
    SSHKey,
)
from providers.registry import (
    CachedProvider,
    ProviderRegistry,
    UnsupportedProviderError,
    build_provider,
)

__all__ = [
    "ACTIONS",
    "VPC",
    "ActionResult",
    "BusyError",
    "CachedProvider",
    "Capabilities",
    "CatalogCache",
    "CreateRequest",
    "CredentialsError",
    "DeploymentOption",
    "DigitalOceanProvider",
    "Image",
    "Instance",
    "InstanceStatus",
    "LinodeProvider",
    "NotFoundError",
    "OutageError",
    "OutcomeUnknownError",
    "Plan",
    "Provider",
    "ProviderError",
    "ProviderRegistry",
    "QuotaError",
    "RateBudget",
    "RateLimitedError",
    "Region",
    "RegionPrice",
    "SSHKey",
    "ScriptField",
    "Transport",
    "UnsupportedProviderError",
    "ValidationError",
    "build_provider",
]
