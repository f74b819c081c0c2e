"""DigitalOcean's catalogue, from its API JSON to :mod:`providers.models`.

Why its own module: which sizes are offered where (both the size's and the region's
lists must say so), what backups cost, which images and 1-Click apps are offered and
how they are named are DigitalOcean's own rules; they are plain functions of the
answers, kept apart from the calls that fetch them
(:class:`~providers.digitalocean.provider.DigitalOceanProvider`). A malformed item
raises ``KeyError``/``TypeError``/``ValueError``; the caller turns that into the
normalised error.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from providers.http_provider import integer_id
from providers.models import VPC, DeploymentOption, Image, Plan, Region, RegionPrice, SSHKey

__all__ = [
    "WEEKLY_BACKUPS_SHARE",
    "apps_from",
    "image_from",
    "parse_time",
    "plans_from",
    "region_country",
    "region_from",
    "ssh_key_from",
    "vpc_from",
]

#: What DigitalOcean charges for (weekly) backups, as a share of the droplet's price.
#: The API has no price field for it; DigitalOcean's pricing page says weekly
#: backups cost 20 % of the Droplet's price, daily ones 30 %
#: (https://docs.digitalocean.com/products/backups/details/pricing/). vpsbot asks
#: for plain ``backups: true``, which is the weekly plan.
WEEKLY_BACKUPS_SHARE = Decimal("0.20")

#: Keyword in a 1-Click slug → category shown to users.
_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("wordpress", "CMS"),
    ("ghost", "CMS"),
    ("drupal", "CMS"),
    ("joomla", "CMS"),
    ("discourse", "Community"),
    ("mastodon", "Community"),
    ("docker", "Containers"),
    ("kube", "Containers"),
    ("portainer", "Containers"),
    ("mysql", "Databases"),
    ("postgres", "Databases"),
    ("mongo", "Databases"),
    ("redis", "Databases"),
    ("mariadb", "Databases"),
    ("lamp", "Frameworks"),
    ("lemp", "Frameworks"),
    ("node", "Frameworks"),
    ("django", "Frameworks"),
    ("rails", "Frameworks"),
    ("laravel", "Frameworks"),
    ("grafana", "Monitoring"),
    ("prometheus", "Monitoring"),
    ("netdata", "Monitoring"),
    ("openvpn", "Networking"),
    ("wireguard", "Networking"),
    ("pihole", "Networking"),
    ("gitlab", "Developer tools"),
    ("jenkins", "Developer tools"),
    ("ollama", "AI/ML"),
    ("nextcloud", "Storage"),
    ("minio", "Storage"),
)


def _category(slug: str) -> str:
    lowered = slug.lower()
    for needle, category in _CATEGORIES:
        if needle in lowered:
            return category
    return "Other"


#: Country of each DigitalOcean data-centre city, by its slug's letters ("fra1" → "de"):
#: the regions API names the city but not the country.
_REGION_COUNTRIES = {
    "nyc": "us",
    "sfo": "us",
    "atl": "us",
    "ams": "nl",
    "fra": "de",
    "lon": "gb",
    "sgp": "sg",
    "tor": "ca",
    "blr": "in",
    "syd": "au",
}


def region_country(slug: str) -> str:
    """The country code of a DigitalOcean region slug ("" for a city not listed)."""
    return _REGION_COUNTRIES.get(slug.rstrip("0123456789").lower(), "")


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time from an answer; None when missing or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def plans_from(sizes: list[dict[str, Any]], regions: list[dict[str, Any]]) -> list[Plan]:
    """Sizes as plans, each with the regions where it can be created now.

    A size lists its ``regions`` and each region lists its ``sizes`` and whether it
    is ``available``: a pair is offered only when both sides say so (a sold-out
    size drops out of a region's list before the size's own).
    """
    open_regions = {
        str(r["slug"]): {str(s) for s in r["sizes"]} if "sizes" in r else None
        for r in regions
        if r.get("available", True) is not False
    }
    plans = []
    for size in sizes:
        if size.get("available") is False:
            continue
        slug = str(size["slug"])
        where = [
            str(r)
            for r in size.get("regions") or []
            if str(r) in open_regions
            and (open_regions[str(r)] is None or slug in (open_regions[str(r)] or ()))
        ]
        plans.append(_plan(size, slug, where))
    return plans


def _plan(size: dict[str, Any], slug: str, where: list[str]) -> Plan:
    memory = int(size.get("memory") or 0)
    memory_label = f"{memory // 1024} GB" if memory % 1024 == 0 else f"{memory} MB"
    disk = int(size.get("disk") or 0)
    vcpus = int(size.get("vcpus") or 0)
    description = size.get("description") or "Droplet"
    hourly = Decimal(str(size.get("price_hourly") or 0))
    monthly = Decimal(str(size.get("price_monthly") or 0))
    return Plan(
        id=slug,
        label=f"{description} · {vcpus} vCPU · {memory_label} RAM · {disk} GB disk",
        family=str(description),
        vcpus=vcpus,
        memory_mb=memory,
        disk_gb=disk,
        transfer_gb=round(float(size.get("transfer") or 0) * 1000),
        price_hourly=hourly,
        price_monthly=monthly,
        regions=where,
        backups=RegionPrice(
            hourly=hourly * WEEKLY_BACKUPS_SHARE,
            monthly=monthly * WEEKLY_BACKUPS_SHARE,
        ),
    )


def region_from(region: dict[str, Any]) -> Region:
    """A region, with its country from its slug (the API names only the city)."""
    return Region(
        id=str(region["slug"]),
        name=str(region.get("name") or region["slug"]),
        available=bool(region.get("available", True)),
        features=[str(f) for f in region.get("features") or []],
        country=region_country(str(region["slug"])),
        plans=[str(s) for s in region["sizes"]] if "sizes" in region else None,
    )


def image_from(raw: dict[str, Any]) -> Image:
    """An image; its id is the slug when there is one (what create/rebuild accept)."""
    slug = raw.get("slug")
    distribution = str(raw.get("distribution") or "")
    version = str(raw.get("name") or "")
    return Image(
        id=str(slug) if slug else str(raw["id"]),
        slug=str(slug) if slug else None,
        name=f"{distribution} {version}".strip() or str(slug or raw["id"]),
        distribution=distribution,
        version=version,
        min_disk_gb=int(raw.get("min_disk_size") or 0),
        created_at=parse_time(raw.get("created_at")),
    )


def apps_from(
    apps_body: dict[str, Any], by_slug: dict[str, dict[str, Any]]
) -> list[DeploymentOption]:
    """The droplet 1-Click apps, named and described from their application images
    (``by_slug``, maybe empty) and put in a category by keyword."""
    options = []
    for app in apps_body.get("1_clicks") or []:
        if not isinstance(app, dict) or app.get("type", "droplet") != "droplet":
            continue
        slug = str(app["slug"])
        image = by_slug.get(slug, {})
        name = image.get("name") or slug.replace("-", " ").title()
        options.append(
            DeploymentOption(
                id=slug,
                kind="oneclick",
                name=str(name),
                category=_category(slug),
                description=str(image.get("description") or "").strip(),
                image=slug,
            )
        )
    return options


def ssh_key_from(key: dict[str, Any]) -> SSHKey:
    """An account SSH key."""
    return SSHKey(
        id=integer_id(key["id"]),
        name=str(key.get("name") or ""),
        fingerprint=str(key.get("fingerprint") or ""),
        public_key=str(key.get("public_key") or ""),
    )


def vpc_from(raw: dict[str, Any]) -> VPC:
    """A VPC."""
    return VPC(
        id=str(raw["id"]), name=str(raw.get("name") or ""), region=str(raw.get("region") or "")
    )
