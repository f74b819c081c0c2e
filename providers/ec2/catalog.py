"""EC2's catalogue: regions with their zones, instance types priced from the AWS
Price List Query API, and the official OS images.

Why these shapes: vpsbot offers one list of plans and one of images per provider,
while EC2 prices and AMI ids differ per region. So a plan is an instance type
priced in every region it is sold in (``region_prices``), and an image is a
*release* ("ubuntu-24.04") that is resolved to the region's and architecture's AMI
only when a server is created.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from providers.ec2.api import Ec2Api
from providers.ec2.families import family_of
from providers.errors import NotFoundError, ProviderError, ValidationError
from providers.models import Image, Plan, Region, RegionPrice

__all__ = [
    "DEFAULT_FAMILIES",
    "DEFAULT_SIZES",
    "HOURS_PER_MONTH",
    "RELEASES",
    "Release",
    "instance_types",
    "plans",
    "prices",
    "regions",
    "resolve_ami",
]

logger = logging.getLogger("providers.ec2")

#: AWS's own monthly figure: 730 hours.
HOURS_PER_MONTH = Decimal(730)
#: Current burstable, general-purpose and compute families (admins widen with
#: ``families`` in the provider's configuration).
DEFAULT_FAMILIES: tuple[str, ...] = ("t3", "t4g", "m7i", "m7g", "c7i", "c7g")
DEFAULT_SIZES: tuple[str, ...] = ("micro", "small", "medium", "large", "xlarge", "2xlarge")
_CONCURRENCY = 4
_REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-north-1": "Europe (Stockholm)",
    "eu-south-1": "Europe (Milan)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "sa-east-1": "South America (São Paulo)",
}


async def _bounded(calls: Iterable[Callable[[], Awaitable[Any]]]) -> list[Any]:
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def one(call: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await call()

    return list(await asyncio.gather(*(one(c) for c in calls)))


# ------------------------------------------------------------------ regions


async def region_ids(api: Ec2Api, wanted: Sequence[str] = ()) -> list[str]:
    """The account's enabled regions (DescribeRegions), or ``wanted`` among them."""
    answer = await api.call("ec2", "describe_regions")
    enabled = [str(r["RegionName"]) for r in answer.get("Regions") or []]
    return [r for r in enabled if r in wanted] if wanted else sorted(enabled)


async def regions(api: Ec2Api, wanted: Sequence[str] = ()) -> list[Region]:
    """Each region with its available zones as ``features`` ("zone:us-east-1a")."""
    ids = await region_ids(api, wanted)

    async def zones(region: str) -> list[str]:
        answer = await api.call("ec2", "describe_availability_zones", region=region)
        return sorted(
            f"zone:{z['ZoneName']}"
            for z in answer.get("AvailabilityZones") or []
            if z.get("State", "available") == "available"
        )

    found = await _bounded([lambda r=r: zones(r) for r in ids])  # type: ignore[misc]
    return [
        Region(id=r, name=_REGION_NAMES.get(r, r), available=bool(z), features=z)
        for r, z in zip(ids, found, strict=True)
    ]


# -------------------------------------------------------------------- plans


async def instance_types(api: Ec2Api, families: Sequence[str]) -> list[dict[str, Any]]:
    """DescribeInstanceTypes for the families, every page."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {
        "Filters": [{"Name": "instance-type", "Values": [f"{f}.*" for f in families]}],
        "MaxResults": 100,
    }
    for _ in range(100):
        answer = await api.call("ec2", "describe_instance_types", **params)
        found.extend(answer.get("InstanceTypes") or [])
        token = answer.get("NextToken")
        if not token:
            break
        params["NextToken"] = token
    return found


def _price_of(document: str) -> tuple[str, str, Decimal] | None:
    """(instance type, region, USD per hour) of one Price List product, or None."""
    try:
        product = json.loads(document)
        attributes = product["product"]["attributes"]
        for term in product["terms"]["OnDemand"].values():
            for dimension in term["priceDimensions"].values():
                if dimension.get("unit") == "Hrs":
                    usd = Decimal(str(dimension["pricePerUnit"]["USD"])).normalize()
                    usd = Decimal(format(usd, "f"))  # 0.0104000000 → 0.0104, never 1E+1
                    return str(attributes["instanceType"]), str(attributes["regionCode"]), usd
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation):
        return None
    return None


_LINUX = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
}


async def prices(api: Ec2Api, types: Sequence[str]) -> dict[str, dict[str, Decimal]]:
    """On-demand Linux hourly prices: instance type → region → USD (GetProducts).

    A type the Price List does not price is absent (the caller imports it
    inactive); a price list that cannot be read is logged, never invented.
    """

    async def one(type_: str) -> list[tuple[str, str, Decimal]]:
        filters = [{"Type": "TERM_MATCH", "Field": "instanceType", "Value": type_}]
        filters += [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in _LINUX.items()]
        params: dict[str, Any] = {
            "ServiceCode": "AmazonEC2",
            "Filters": filters,
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        got: list[tuple[str, str, Decimal]] = []
        for _ in range(50):
            answer = await api.call("pricing", "get_products", region="us-east-1", **params)
            for document in answer.get("PriceList") or []:
                price = _price_of(document) if isinstance(document, str) else None
                if price is None:
                    logger.warning("an unreadable Price List product was skipped")
                elif price[2] > 0:
                    got.append(price)
            token = answer.get("NextToken")
            if not token:
                break
            params["NextToken"] = token
        return got

    table: dict[str, dict[str, Decimal]] = {}
    for found in await _bounded([lambda t=t: one(t) for t in types]):  # type: ignore[misc]
        for type_, region, usd in found:
            table.setdefault(type_, {})[region] = usd
    return table


def _plan(raw: dict[str, Any], priced: dict[str, Decimal], home: str, root_gb: int) -> Plan:
    name = str(raw["InstanceType"])
    vcpus = int((raw.get("VCpuInfo") or {}).get("DefaultVCpus") or 0)
    memory = int((raw.get("MemoryInfo") or {}).get("SizeInMiB") or 0)
    arch = "/".join((raw.get("ProcessorInfo") or {}).get("SupportedArchitectures") or [])
    network = str((raw.get("NetworkInfo") or {}).get("NetworkPerformance") or "")
    memory_label = f"{memory / 1024:g} GB" if memory >= 1024 else f"{memory} MB"
    base = priced.get(home) or (min(priced.values()) if priced else Decimal(0))
    label = f"{name} · {vcpus} vCPU · {memory_label} RAM · {arch}"
    if network:
        label += f" · network {network}"
    return Plan(
        id=name,
        label=label,
        family=family_of(name),
        storage="EBS",
        vcpus=vcpus,
        memory_mb=memory,
        disk_gb=root_gb,
        transfer_gb=0,
        price_hourly=base,
        price_monthly=(base * HOURS_PER_MONTH).quantize(Decimal("0.01")),
        regions=sorted(priced),
        region_prices={
            region: RegionPrice(
                hourly=usd, monthly=(usd * HOURS_PER_MONTH).quantize(Decimal("0.01"))
            )
            for region, usd in priced.items()
            if usd != base
        },
    )


async def plans(
    api: Ec2Api,
    *,
    families: Sequence[str],
    sizes: Sequence[str],
    enabled: Sequence[str],
    root_gb: int,
) -> list[Plan]:
    """The curated instance types as plans, priced per region; a type nobody
    prices comes with price 0 (imported inactive until an admin prices it)."""
    raws = await instance_types(api, families)
    wanted = [
        r for r in raws if not sizes or str(r.get("InstanceType", "")).partition(".")[2] in sizes
    ]
    table = await prices(api, [str(r["InstanceType"]) for r in wanted])
    result = []
    for raw in wanted:
        priced = {
            region: usd
            for region, usd in table.get(str(raw["InstanceType"]), {}).items()
            if region in enabled
        }
        result.append(_plan(raw, priced, api.home_region, root_gb))
    return sorted(result, key=lambda p: (p.price_hourly == 0, p.price_hourly, p.id))


# ------------------------------------------------------------------- images


@dataclass(frozen=True)
class Release:
    """One OS release and where AWS publishes its images."""

    id: str
    distribution: str
    version: str
    eol: datetime
    #: SSM public parameters holding the latest AMI id ({arch}: x86_64/arm64,
    #: {deb}: amd64/arm64), tried in order
    parameters: tuple[str, ...]
    owner: str
    #: DescribeImages name filter when no parameter answers
    name_filter: str


_CANONICAL = "099720109477"
_DEBIAN = "136693071363"
_AMAZON = "137112412989"
_UBUNTU_SSM = "/aws/service/canonical/ubuntu/server/{v}/stable/current/{{deb}}/hvm/{disk}/ami-id"

RELEASES: tuple[Release, ...] = (
    Release(
        "ubuntu-24.04",
        "Ubuntu",
        "24.04 LTS",
        datetime(2029, 5, 31, tzinfo=UTC),
        (_UBUNTU_SSM.format(v="24.04", disk="ebs-gp3"),),
        _CANONICAL,
        "ubuntu/images/*ubuntu-noble-24.04-{deb}-server-*",
    ),
    Release(
        "ubuntu-22.04",
        "Ubuntu",
        "22.04 LTS",
        datetime(2027, 6, 1, tzinfo=UTC),
        (_UBUNTU_SSM.format(v="22.04", disk="ebs-gp2"),),
        _CANONICAL,
        "ubuntu/images/*ubuntu-jammy-22.04-{deb}-server-*",
    ),
    Release(
        "ubuntu-20.04",
        "Ubuntu",
        "20.04 LTS",
        datetime(2025, 5, 31, tzinfo=UTC),
        (_UBUNTU_SSM.format(v="20.04", disk="ebs-gp2"),),
        _CANONICAL,
        "ubuntu/images/*ubuntu-focal-20.04-{deb}-server-*",
    ),
    Release(
        "debian-13",
        "Debian",
        "13",
        datetime(2030, 6, 30, tzinfo=UTC),
        ("/aws/service/debian/release/13/latest/{deb}",),
        _DEBIAN,
        "debian-13-{deb}-*",
    ),
    Release(
        "debian-12",
        "Debian",
        "12",
        datetime(2028, 6, 30, tzinfo=UTC),
        ("/aws/service/debian/release/12/latest/{deb}",),
        _DEBIAN,
        "debian-12-{deb}-*",
    ),
    Release(
        "al2023",
        "Amazon Linux",
        "2023",
        datetime(2029, 6, 30, tzinfo=UTC),
        (
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}",
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-{arch}",
        ),
        _AMAZON,
        "al2023-ami-2023.*-{arch}",
    ),
)
_BY_ID = {r.id: r for r in RELEASES}


def _deb(arch: str) -> str:
    return "amd64" if arch == "x86_64" else arch


async def resolve_ami(api: Ec2Api, release_id: str, region: str, arch: str) -> str | None:
    """The latest AMI of ``release_id`` for ``arch`` in ``region``: the public SSM
    parameter where AWS publishes one, else the publisher's newest image by name."""
    release = _BY_ID.get(release_id)
    if release is None:
        if release_id.startswith("ami-"):
            return release_id  # an AMI id given as is
        raise ValidationError(f"unknown image {release_id!r}", provider="Amazon EC2", field="image")
    names = [p.format(arch=arch, deb=_deb(arch)) for p in release.parameters]
    try:
        answer = await api.call("ssm", "get_parameters", region=region, Names=names)
        values = {str(p["Name"]): str(p["Value"]) for p in answer.get("Parameters") or []}
        for name in names:
            if values.get(name, "").startswith("ami-"):
                return values[name]
    except (NotFoundError, ValidationError):
        pass
    except ProviderError as exc:  # SSM refused (permissions): the owner list still works
        logger.info("SSM public parameters unavailable: %s", exc.code)
    answer = await api.call(
        "ec2",
        "describe_images",
        region=region,
        Owners=[release.owner],
        Filters=[
            {"Name": "name", "Values": [release.name_filter.format(arch=arch, deb=_deb(arch))]},
            {"Name": "architecture", "Values": [arch]},
            {"Name": "state", "Values": ["available"]},
        ],
    )
    found = sorted(
        answer.get("Images") or [], key=lambda i: str(i.get("CreationDate") or ""), reverse=True
    )
    return str(found[0]["ImageId"]) if found else None


async def images(api: Ec2Api, *, now: datetime | None = None) -> list[Image]:
    """Releases still supported whose x86_64 or arm64 image exists in the home region."""
    now = now or datetime.now(UTC)
    live = [r for r in RELEASES if r.eol > now]

    async def offered(release: Release) -> bool:
        for arch in ("x86_64", "arm64"):
            if await resolve_ami(api, release.id, api.home_region, arch):
                return True
        return False

    found = await _bounded([lambda r=r: offered(r) for r in live])  # type: ignore[misc]
    return [
        Image(
            id=r.id,
            slug=r.id,
            name=f"{r.distribution} {r.version}",
            distribution=r.distribution,
            version=r.version,
            min_disk_gb=8,
            eol=r.eol,
        )
        for r, ok in zip(live, found, strict=True)
        if ok
    ]
