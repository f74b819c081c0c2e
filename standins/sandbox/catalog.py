"""Deterministic, realistic catalogues for both providers.

Everything here is plain data shaped like the published API objects
(DigitalOcean v2, Linode v4), built fresh by :func:`do_catalog` /
:func:`linode_catalog` so that ``reset()`` restores a pristine copy.

The tables themselves (regions, sizes and types, images, 1-Click apps, StackScripts)
are data files, ``data/digitalocean.json`` and ``data/linode.json`` (each says what its
tables mean under ``_notes``); this module turns them into the API's objects, adding
what the objects share and what is derived (per-region prices, default VPCs, dates
relative to now).
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, cast

__all__ = [
    "DOCatalog",
    "LinodeCatalog",
    "do_catalog",
    "do_seed_image",
    "linode_catalog",
    "linode_seed_image",
    "type_available",
]

#: The one public key both accounts hold (not a real key).
SANDBOX_PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFsandboxkeyFORvpsbotTESTING0000000000 sandbox@vpsbot"
)

_NS = uuid.UUID("6f1c2a1e-5b0c-4b8e-9d65-7e0f3a9c1d20")


@cache
def _tables(provider: str) -> dict[str, Any]:
    """The tables of ``data/<provider>.json``, read once; builders copy what they hand out."""
    data = resources.files("standins.sandbox").joinpath("data", f"{provider}.json")
    return cast(dict[str, Any], json.loads(data.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- DigitalOcean


@dataclass
class DOCatalog:
    """DigitalOcean catalogue: sizes, regions, images, 1-Clicks, keys, VPCs."""

    sizes: list[dict[str, Any]]
    regions: list[dict[str, Any]]
    images: list[dict[str, Any]]  # every image; ``_kind`` is "distribution" or "application"
    one_clicks: list[dict[str, Any]]
    ssh_keys: list[dict[str, Any]]
    vpcs: list[dict[str, Any]]
    account: dict[str, Any]
    next_image_id: int = 170_000_000
    by_size: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_region: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_size = {s["slug"]: s for s in self.sizes}
        self.by_region = {r["slug"]: r for r in self.regions}

    def find_image(self, ref: Any) -> dict[str, Any] | None:
        """An image by numeric id or slug."""
        for image in self.images:
            if image["slug"] == ref or str(image["id"]) == str(ref):
                return image
        return None

    def default_vpc(self, region: str) -> dict[str, Any] | None:
        for vpc in self.vpcs:
            if vpc["region"] == region and vpc["default"]:
                return vpc
        return None


def _do_image(
    image_id: int,
    slug: str | None,
    name: str,
    distribution: str,
    min_disk: int,
    size_gb: float,
    created: str,
    description: str,
    kind: str,
) -> dict[str, Any]:
    return {
        "id": image_id,
        "name": name,
        "type": "base",
        "distribution": distribution,
        "slug": slug,
        "public": True,
        "regions": [region["slug"] for region in _tables("digitalocean")["regions"]],
        "created_at": created,
        "min_disk_size": min_disk,
        "size_gigabytes": size_gb,
        "description": description,
        "tags": [],
        "status": "available",
        "error_message": "",
        "_kind": kind,
    }


def do_seed_image(image_id: int, index: int) -> dict[str, Any]:
    """An extra distribution image for catalogue-size tests."""
    return _do_image(
        image_id,
        f"sandbox-linux-{index}-x64",
        f"Sandbox Linux {index} x64",
        "Unknown",
        10,
        1.0,
        "2024-01-01T00:00:00Z",
        f"Sandbox Linux {index}, a generated image",
        "distribution",
    )


def do_catalog() -> DOCatalog:
    """A fresh DigitalOcean catalogue."""
    tables = copy.deepcopy(_tables("digitalocean"))
    region_slugs = [region["slug"] for region in tables["regions"]]
    sold_out = {(pair["region"], pair["size"]) for pair in tables["sold_out"]}
    sizes: list[dict[str, Any]] = [
        {
            "slug": size["slug"],
            "memory": size["memory"],
            "vcpus": size["vcpus"],
            "disk": size["disk"],
            "transfer": size["transfer"],
            "price_monthly": size["price_monthly"],
            "price_hourly": size["price_hourly"],
            "regions": [r for r in region_slugs if r not in size["excluded_regions"]],
            "available": True,
            "description": size["description"],
            "disk_info": [{"type": "local", "size": {"amount": size["disk"], "unit": "gib"}}],
        }
        for size in tables["sizes"]
    ]
    regions = [
        {
            "name": region["name"],
            "slug": region["slug"],
            "features": list(tables["region_features"]),
            "available": True,
            "sizes": [
                s["slug"]
                for s in sizes
                if region["slug"] in s["regions"] and (region["slug"], s["slug"]) not in sold_out
            ],
        }
        for region in tables["regions"]
    ]
    regions += [
        {
            "name": region["name"],
            "slug": region["slug"],
            "features": [],
            "available": False,
            "sizes": [],
        }
        for region in tables["closed_regions"]
    ]
    for size in sizes:  # a closed region still appears in some sizes' lists
        if size["slug"].startswith(("s-", "m-")):
            size["regions"].append("nyc2")
    images: list[dict[str, Any]] = []
    image_id = 160_000_001
    for d in tables["distributions"]:
        images.append(
            _do_image(
                image_id,
                d["slug"],
                d["name"],
                d["distribution"],
                d["min_disk_size"],
                d["size_gigabytes"],
                d["created_at"],
                f"{d['distribution']} {d['name']}",
                "distribution",
            )
        )
        image_id += 1
    for app in tables["apps"]:
        images.append(
            _do_image(
                image_id,
                app["slug"],
                app["name"],
                "Ubuntu",
                app["min_disk_size"],
                4.5,
                "2024-05-02T10:00:00Z",
                app["description"],
                "application",
            )
        )
        image_id += 1
    one_clicks = [{"slug": app["slug"], "type": "droplet"} for app in tables["apps"]]
    one_clicks += [{"slug": slug, "type": "kubernetes"} for slug in tables["kubernetes_apps"]]
    ssh_keys = [
        {
            "id": 41_234_567,
            "fingerprint": "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa",
            "public_key": SANDBOX_PUBLIC_KEY,
            "name": "sandbox-key",
        }
    ]
    vpcs = []
    for slug in region_slugs:
        vpc_id = str(uuid.uuid5(_NS, f"do-vpc-{slug}"))
        vpcs.append(
            {
                "name": f"default-{slug}",
                "description": "",
                "region": slug,
                "ip_range": f"10.{100 + region_slugs.index(slug)}.0.0/20",
                "default": True,
                "id": vpc_id,
                "urn": f"do:vpc:{vpc_id}",
                "created_at": "2023-01-10T12:00:00Z",
            }
        )
    account = {
        "droplet_limit": 25_000,  # high enough for bulk-seeded benchmarks
        "floating_ip_limit": 5,
        "volume_limit": 100,
        "email": "sandbox@example.com",
        "name": "Sandbox User",
        "uuid": uuid.uuid5(_NS, "do-account").hex,
        "email_verified": True,
        "status": "active",
        "status_message": "",
        "team": {"uuid": uuid.uuid5(_NS, "do-team").hex, "name": "Sandbox Team"},
    }
    return DOCatalog(sizes, regions, images, one_clicks, ssh_keys, vpcs, account)


# --------------------------------------------------------------------------- Linode


def type_available(type_: dict[str, Any], region: dict[str, Any]) -> bool:
    """What the live API enforces: edge types only (and only) in distributed
    regions; GPU, premium and accelerated classes only where the region has the
    capability. The create endpoint and ``availability`` both apply it."""
    caps = set(region["capabilities"])
    edge = "-edge-" in type_["id"]
    if region["site_type"] == "distributed":
        return edge and "Distributed Plans" in caps
    if edge or "Linodes" not in caps:
        return False
    need = {
        "gpu": "GPU Linodes",
        "premium": "Premium Plans",
        "accelerated": "NETINT Quadra T1U",
    }.get(type_["class"])
    return need is None or need in caps


@dataclass
class LinodeCatalog:
    """Linode catalogue: types, regions, images, StackScripts, SSH keys, profile."""

    types: list[dict[str, Any]]
    regions: list[dict[str, Any]]
    images: list[dict[str, Any]]
    stackscripts: list[dict[str, Any]]
    ssh_keys: list[dict[str, Any]]
    profile: dict[str, Any]
    next_image_index: int = 1
    by_type: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_region: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: (region, type) pairs sold out now; tests may add or remove pairs
    sold_out: set[tuple[str, str]] = field(
        default_factory=lambda: {(p["region"], p["type"]) for p in _tables("linode")["sold_out"]}
    )

    def __post_init__(self) -> None:
        self.by_type = {t["id"]: t for t in self.types}
        self.by_region = {r["id"]: r for r in self.regions}

    def availability(self) -> list[dict[str, Any]]:
        """``GET /v4/regions/availability``'s items: each (region, type) of the
        classes it reports on that the region's capabilities allow, and whether it
        can be created there now."""
        classes = _tables("linode")["availability_classes"]
        return [
            {
                "region": r["id"],
                "plan": t["id"],
                "available": (r["id"], t["id"]) not in self.sold_out,
            }
            for r in self.regions
            if r["site_type"] == "core"
            for t in self.types
            if t["class"] in classes and type_available(t, r)
        ]

    def find_image(self, image_id: str) -> dict[str, Any] | None:
        for image in self.images:
            if image["id"] == image_id:
                return image
        return None

    def find_stackscript(self, script_id: Any) -> dict[str, Any] | None:
        for script in self.stackscripts:
            if str(script["id"]) == str(script_id):
                return script
        return None


def _li_image(
    image_id: str, label: str, vendor: str, size: int, created: str, eol: str | None
) -> dict[str, Any]:
    return {
        "id": image_id,
        "label": label,
        "description": "",
        "created": created,
        "created_by": "linode",
        "deprecated": False,
        "eol": eol,
        "expiry": None,
        "is_public": True,
        "size": size,
        "total_size": size,
        "status": "available",
        "type": "manual",
        "updated": created,
        "vendor": vendor,
        "capabilities": ["cloud-init"],
        "tags": [],
        "regions": [],
    }


def linode_seed_image(index: int) -> dict[str, Any]:
    """An extra public image for catalogue-size tests."""
    return _li_image(
        f"linode/sandbox{index}",
        f"Sandbox Linux {index}",
        "Sandbox",
        1500,
        "2024-01-01T00:00:00",
        None,
    )


def _stackscript(spec: dict[str, Any]) -> dict[str, Any]:
    """A StackScript from its table entry, with what every sandbox script shares."""
    deployments = int(spec["deployments"])
    return {
        "id": spec["id"],
        "username": spec.get("username", "linode"),
        "user_gravatar_id": "a445b305abda30ebc766bc7fda037c37",
        "label": spec["label"],
        "description": spec["description"],
        "images": spec["images"],
        "is_public": spec.get("is_public", True),
        "mine": spec.get("mine", False),
        "rev_note": "Initial revision",
        "script": "#!/bin/bash\n# <UDF> fields are read from the environment\nset -e\n",
        "user_defined_fields": spec["user_defined_fields"],
        "deployments_active": deployments // 4,
        "deployments_total": deployments,
        "created": "2023-03-01T12:00:00",
        "updated": "2024-06-01T12:00:00",
    }


def _li_prices(hourly: float, monthly: float) -> list[dict[str, Any]]:
    return [
        {"id": rid, "hourly": round(hourly * f, 4), "monthly": round(monthly * f, 2)}
        for rid, f in _tables("linode")["price_factors"].items()
    ]


def linode_catalog(now: datetime | None = None) -> LinodeCatalog:
    """A fresh Linode catalogue; end-of-life dates are relative to ``now``."""
    now = now or datetime.now(UTC)
    tables = copy.deepcopy(_tables("linode"))
    types: list[dict[str, Any]] = [
        {
            "id": plan["id"],
            "label": plan["label"],
            "class": plan["class"],
            "vcpus": plan["vcpus"],
            "memory": plan["memory"],
            "disk": plan["disk"],
            "transfer": plan["transfer"],
            "network_out": plan["network_out"],
            "gpus": 1 if plan["class"] == "gpu" else 0,
            "price": {"hourly": plan["hourly"], "monthly": plan["monthly"]},
            "region_prices": _li_prices(plan["hourly"], plan["monthly"]),
            "successor": None,
            "addons": {
                "backups": {
                    "price": {
                        "hourly": round(plan["hourly"] / 4, 4),
                        "monthly": round(plan["monthly"] / 4, 2),
                    },
                    "region_prices": _li_prices(plan["hourly"] / 4, plan["monthly"] / 4),
                }
            },
        }
        for plan in tables["types"]
    ]
    regions = [
        {
            "id": rid,
            "label": label,
            "country": country,
            "capabilities": tables["capabilities"] + tables["extra_capabilities"].get(rid, []),
            "status": "ok",
            "resolvers": {
                "ipv4": f"172.105.{i}.5,172.105.{i}.6",
                "ipv6": f"2600:3c0{i}::5,2600:3c0{i}::6",
            },
            "placement_group_limits": {
                "maximum_linodes_per_pg": 5,
                "maximum_pgs_per_customer": 100,
            },
            "site_type": "core",
        }
        for i, (rid, label, country) in enumerate(
            (r["id"], r["label"], r["country"]) for r in tables["regions"]
        )
    ]
    regions += [
        {
            "id": rid,
            "label": label,
            "country": country,
            "capabilities": list(tables["distributed_capabilities"]),
            "status": "ok",
            "resolvers": {"ipv4": "173.223.100.53,173.223.101.53", "ipv6": "2600:14c0:a::53"},
            "placement_group_limits": {
                "maximum_linodes_per_pg": 5,
                "maximum_pgs_per_customer": None,
            },
            "site_type": "distributed",
        }
        for rid, label, country in (
            (r["id"], r["label"], r["country"]) for r in tables["distributed_regions"]
        )
    ]
    images = []
    for spec in tables["images"]:
        image_id, eol = spec["id"], spec["eol"]
        days = tables["eol_days"].get(image_id)
        if days is not None:
            eol = (now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S")
        image = _li_image(
            image_id, spec["label"], spec["vendor"], spec["size"], spec["created"], eol
        )
        image["deprecated"] = image_id in tables["deprecated"]
        if "kube" in image_id:
            image["capabilities"] = []
        images.append(image)
    stackscripts = [_stackscript(spec) for spec in tables["stackscripts"]]
    ssh_keys = [
        {
            "id": 42,
            "label": "sandbox-key",
            "ssh_key": SANDBOX_PUBLIC_KEY,
            "created": "2023-01-10T12:00:00",
        }
    ]
    profile = {
        "uid": 1234,
        "username": "sandbox-user",
        "email": "sandbox@example.com",
        "timezone": "UTC",
        "email_notifications": True,
        "ip_whitelist_enabled": False,
        "lish_auth_method": "keys_only",
        "referrals": {
            "code": "0" * 40,
            "completed": 0,
            "credit": 0,
            "pending": 0,
            "total": 0,
            "url": "https://www.linode.com/?r=" + "0" * 40,
        },
        "restricted": False,
        "two_factor_auth": True,
        "authorized_keys": None,
        "authentication_type": "password",
        "verified_phone_number": None,
    }
    return LinodeCatalog(types, regions, images, stackscripts, ssh_keys, profile)
