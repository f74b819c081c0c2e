"""Normalised, typed catalogue and instance models shared by every provider."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "VPC",
    "ActionResult",
    "CreateRequest",
    "DeploymentOption",
    "Image",
    "Instance",
    "InstanceStatus",
    "MetricSeries",
    "Plan",
    "Region",
    "RegionPrice",
    "SSHKey",
    "ScriptField",
    "ServerMetrics",
    "version_key",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InstanceStatus(StrEnum):
    PROVISIONING = "provisioning"
    RUNNING = "running"
    STOPPED = "stopped"
    REBOOTING = "rebooting"
    DELETING = "deleting"
    ERROR = "error"
    UNKNOWN = "unknown"


class RegionPrice(_Model):
    """What a plan costs in one region when that differs from its base price."""

    hourly: Decimal
    monthly: Decimal


class Plan(_Model):
    """A size (DigitalOcean) or type (Linode).

    ``regions`` lists the regions that can run it now (empty: none, so the plan
    is offered nowhere); ``region_prices`` holds the regions whose price differs from the base
    ``price_hourly``/``price_monthly`` (Linode's ``region_prices``).
    """

    id: str
    label: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    transfer_gb: int
    price_hourly: Decimal
    price_monthly: Decimal
    #: the class the provider's own create page groups it under ("Basic",
    #: "Dedicated CPU", "Burstable"); empty when the provider gives none
    family: str = ""
    #: what the disk is, as people compare plans ("SSD", "EBS")
    storage: str = "SSD"
    regions: list[str] = Field(default_factory=list)
    region_prices: dict[str, RegionPrice] = Field(default_factory=dict)
    #: what the backups add-on costs on top (None: the provider publishes no price,
    #: so vpsbot does not offer backups with this plan), and where it differs by region
    backups: RegionPrice | None = None
    backups_region_prices: dict[str, RegionPrice] = Field(default_factory=dict)

    def monthly_in(self, region: str | None) -> Decimal:
        """The monthly price in ``region`` (the base price where none differs)."""
        found = self.region_prices.get(region or "")
        return found.monthly if found is not None else self.price_monthly

    def hourly_in(self, region: str | None) -> Decimal:
        found = self.region_prices.get(region or "")
        return found.hourly if found is not None else self.price_hourly

    def region_prices_json(self) -> dict[str, dict[str, str]]:
        """``region_prices`` as stored (``vps_plans.region_prices``): only the
        regions whose price differs from the base one, amounts as strings."""
        return {
            region: {"monthly": str(price.monthly), "hourly": str(price.hourly)}
            for region, price in sorted(self.region_prices.items())
            if price.monthly != self.price_monthly or price.hourly != self.price_hourly
        }

    def backups_prices_json(self) -> dict[str, Any]:
        """The backups add-on's prices as stored (``vps_plans.backups_prices``):
        ``{}`` when unknown, else the base price and the regions that differ."""
        if self.backups is None:
            return {}
        base = self.backups
        return {
            "monthly": str(base.monthly),
            "hourly": str(base.hourly),
            "region_prices": {
                region: {"monthly": str(price.monthly), "hourly": str(price.hourly)}
                for region, price in sorted(self.backups_region_prices.items())
                if price.monthly != base.monthly or price.hourly != base.hourly
            },
        }


class Image(_Model):
    id: str
    slug: str | None = None
    name: str
    distribution: str
    version: str = ""
    min_disk_gb: int = 0
    created_at: datetime | None = None
    #: when the vendor stops supporting this release (Linode ``eol``), if known
    eol: datetime | None = None

    @property
    def version_key(self) -> tuple[int, ...]:
        return version_key(self.version)


_VERSION = re.compile(r"\d+(?:\.\d+)*")


def version_key(version: str) -> tuple[int, ...]:
    """A release's number as integers, for sorting: "10" after "9", "24.04" after
    "22.10"; the architecture ("x64") and words ("LTS") do not count."""
    found = _VERSION.search(version)
    return tuple(int(part) for part in found.group().split(".")) if found else ()


class Region(_Model):
    id: str
    name: str
    available: bool = True
    features: list[str] = Field(default_factory=list)
    #: Linode ``site_type``: "core" or "distributed" (edge); DigitalOcean: "core"
    site_type: str = "core"
    #: ISO 3166 country code, lower case ("de"); "" when unknown
    country: str = ""
    #: the plans that can be created here now, when the provider lists them
    #: (DigitalOcean's region ``sizes``); None: it does not say
    plans: list[str] | None = None
    #: plans sold out here now (Linode's ``/regions/availability``)
    sold_out: list[str] = Field(default_factory=list)

    def offers(self, plan_id: str) -> bool:
        """Whether ``plan_id`` can be created here now, as far as the region says
        (the plan's own ``regions`` must list the region too)."""
        return (
            self.available
            and (self.plans is None or plan_id in self.plans)
            and plan_id not in self.sold_out
        )


class SSHKey(_Model):
    id: str
    name: str
    fingerprint: str = ""
    public_key: str = ""


class VPC(_Model):
    id: str
    name: str
    region: str


#: Words that make a StackScript field a secret ("MySQL root password", "API_TOKEN").
_SECRET_WORDS = re.compile(r"pass(word|wd|phrase)?|secret|token|key", re.IGNORECASE)


class ScriptField(_Model):
    """A Linode StackScript user-defined field (UDF)."""

    name: str
    label: str
    default: str | None = None
    example: str | None = None
    oneof: list[str] | None = None
    manyof: list[str] | None = None

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def secret(self) -> bool:
        """Whether the value is a secret (a password, token or key): its name or
        label says so. Secrets are kept sealed, never shown back and never logged."""
        return bool(_SECRET_WORDS.search(f"{self.name} {self.label}"))


class DeploymentOption(_Model):
    """A 1-Click app (DigitalOcean) or a StackScript (Linode).

    ``image`` is the image to deploy for 1-Click apps (the app is the image);
    ``images`` lists the compatible images for StackScripts.
    """

    id: str
    kind: str  # "oneclick" | "stackscript"
    name: str
    category: str = ""
    description: str = ""
    image: str | None = None
    images: list[str] = Field(default_factory=list)
    fields: list[ScriptField] = Field(default_factory=list)


class Instance(_Model):
    provider: str
    id: str
    label: str
    status: InstanceStatus
    raw_status: str
    ipv4: str | None = None
    ipv6: str | None = None
    private_ipv4: str | None = None
    region: str
    plan: str
    image: str | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: datetime | None = None


class CreateRequest(_Model):
    """Everything needed to create one server, provider-neutral.

    ``tag`` is the unique vpsbot tag that makes a lost create findable.
    ``root_password`` is a secret: it is never logged (``repr=False``).
    """

    label: str
    region: str
    plan: str
    image: str | None = None
    tag: str
    root_password: str | None = Field(default=None, repr=False)
    ssh_key_ids: list[str] = Field(default_factory=list)
    backups: bool = False
    private_ip: bool = False
    monitoring: bool = False
    ipv6: bool = False
    vpc_id: str | None = None
    deployment_id: str | None = None
    deployment_data: dict[str, Any] = Field(default_factory=dict)
    extra_tags: list[str] = Field(default_factory=list)


class ActionResult(_Model):
    """The provider's handle on an asynchronous action (DO action / Linode event)."""

    provider: str
    id: str
    action: str
    status: str  # in-progress | completed | errored | canceled
    progress: int | None = None

    @property
    def finished(self) -> bool:
        """Nothing more will happen to this action (done, failed or canceled)."""
        return self.status in ("completed", "errored", "canceled")


class MetricSeries(_Model):
    """One measured quantity over time, as the provider answered it.

    ``points`` are (unix seconds, value) in time order; a stretch the provider has
    no reading for is simply absent (a gap), never filled in.
    """

    name: str  # "cpu" | "net_in" | "net_out" | "disk_io"
    label: str  # what a person reads: "CPU", "Network in", ...
    unit: str  # "%" | "B/s" | "blocks/s"
    points: list[tuple[float, float]] = Field(default_factory=list)


class ServerMetrics(_Model):
    """A server's recent graphs: one :class:`MetricSeries` per metric the cloud has.

    ``agent_missing``: the cloud only measures servers running its monitoring agent
    (DigitalOcean) and this one answered nothing, so there is nothing to draw until
    the agent is installed.
    """

    provider: str
    instance_id: str
    start: datetime
    end: datetime
    series: list[MetricSeries] = Field(default_factory=list)
    agent_missing: bool = False

    def get(self, name: str) -> MetricSeries | None:
        """The series called ``name``, if the provider has it."""
        return next((s for s in self.series if s.name == name), None)
