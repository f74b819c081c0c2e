"""Deterministic, realistic catalogues for both providers.

Everything here is plain data shaped like the published API objects
(DigitalOcean v2, Linode v4), built fresh by :func:`do_catalog` /
:func:`linode_catalog` so that ``reset()`` restores a pristine copy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "DOCatalog",
    "LinodeCatalog",
    "do_catalog",
    "do_seed_image",
    "linode_catalog",
    "linode_seed_image",
]

#: The one public key both accounts hold (not a real key).
SANDBOX_PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFsandboxkeyFORvpsbotTESTING0000000000 sandbox@vpsbot"
)

_NS = uuid.UUID("6f1c2a1e-5b0c-4b8e-9d65-7e0f3a9c1d20")

# --------------------------------------------------------------------------- DigitalOcean

_DO_REGIONS: list[tuple[str, str]] = [
    ("nyc1", "New York 1"),
    ("nyc3", "New York 3"),
    ("sfo3", "San Francisco 3"),
    ("ams3", "Amsterdam 3"),
    ("fra1", "Frankfurt 1"),
    ("lon1", "London 1"),
    ("sgp1", "Singapore 1"),
]
#: Listed but closed to new droplets, as the live API shows nyc2 (available false).
_DO_CLOSED_REGIONS: list[tuple[str, str]] = [("nyc2", "New York 2")]
_DO_ALL = tuple(slug for slug, _ in _DO_REGIONS)
#: (region, size) pairs a size still lists but the region no longer offers
#: (sold out): the live API drops them from the region's ``sizes`` first.
_DO_SOLD_OUT = {("sgp1", "s-4vcpu-8gb"), ("fra1", "c-2")}
_DO_REGION_FEATURES = [
    "backups",
    "ipv6",
    "metadata",
    "install_agent",
    "storage",
    "image_transfer",
    "private_networking",
]

# slug, memory MB, vcpus, disk GB, transfer TB, monthly, hourly, description, regions excluded
_DO_SIZES: list[tuple[str, int, int, int, float, float, float, str, tuple[str, ...]]] = [
    ("s-1vcpu-512mb-10gb", 512, 1, 10, 0.5, 4.0, 0.00595, "Basic", ()),
    ("s-1vcpu-1gb", 1024, 1, 25, 1.0, 6.0, 0.00893, "Basic", ()),
    ("s-1vcpu-2gb", 2048, 1, 50, 2.0, 12.0, 0.01786, "Basic", ()),
    ("s-2vcpu-2gb", 2048, 2, 60, 3.0, 18.0, 0.02679, "Basic", ()),
    ("s-2vcpu-4gb", 4096, 2, 80, 4.0, 24.0, 0.03571, "Basic", ()),
    ("s-4vcpu-8gb", 8192, 4, 160, 5.0, 48.0, 0.07143, "Basic", ()),
    ("g-2vcpu-8gb", 8192, 2, 25, 4.0, 63.0, 0.09375, "General Purpose", ("sgp1", "lon1")),
    ("c-2", 4096, 2, 25, 4.0, 42.0, 0.0625, "CPU-Optimized", ("nyc1",)),
    # listed only in the closed nyc2 (appended below): a size no region can run now
    ("m-2vcpu-16gb", 16384, 2, 50, 4.0, 84.0, 0.125, "Memory-Optimized", _DO_ALL),
]

# slug, name, distribution, min disk GB, size GB, created
_DO_DISTROS: list[tuple[str, str, str, int, float, str]] = [
    ("ubuntu-24-04-x64", "24.04 (LTS) x64", "Ubuntu", 7, 2.35, "2024-04-25T13:30:27Z"),
    ("ubuntu-22-04-x64", "22.04 (LTS) x64", "Ubuntu", 7, 2.36, "2022-04-21T19:39:53Z"),
    ("debian-12-x64", "12 x64", "Debian", 10, 1.02, "2023-06-12T13:44:59Z"),
    ("debian-11-x64", "11 x64", "Debian", 15, 0.99, "2021-08-16T15:39:07Z"),
    ("fedora-40-x64", "40 x64", "Fedora", 15, 1.23, "2024-04-24T16:23:21Z"),
    ("rockylinux-9-x64", "9 x64", "Rocky Linux", 10, 1.14, "2022-07-19T19:54:26Z"),
    ("almalinux-9-x64", "AlmaLinux 9", "AlmaLinux", 10, 1.21, "2022-06-01T15:09:43Z"),
    ("centos-stream-9-x64", "9 Stream x64", "CentOS", 10, 1.36, "2022-02-07T18:27:20Z"),
]

# 1-Click slug (also the image slug), name, description, min disk, created
_DO_APPS: list[tuple[str, str, str, int]] = [
    (
        "wordpress",
        "WordPress on Ubuntu 22.04",
        "Blog and CMS: WordPress with LAMP, ready to install.",
        25,
    ),
    ("docker-20-04", "Docker on Ubuntu 22.04", "Containers: Docker CE and Docker Compose.", 25),
    ("lamp-20-04", "LAMP on Ubuntu 22.04", "Web stack: Linux, Apache, MySQL and PHP.", 25),
    ("mongodb-7-0", "MongoDB 7.0", "Database: MongoDB Community Edition 7.0.", 25),
    ("gitlab", "GitLab CE", "Developer tools: self-hosted GitLab Community Edition.", 50),
    ("nodejs", "NodeJS on Ubuntu 22.04", "Frameworks: Node.js LTS with PM2 and Nginx.", 25),
]
_DO_K8S_APPS = ["monitoring", "loki", "kube-state-metrics"]


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
        "regions": [slug for slug, _ in _DO_REGIONS],
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
    region_slugs = [slug for slug, _ in _DO_REGIONS]
    sizes: list[dict[str, Any]] = [
        {
            "slug": slug,
            "memory": mem,
            "vcpus": vcpus,
            "disk": disk,
            "transfer": transfer,
            "price_monthly": monthly,
            "price_hourly": hourly,
            "regions": [r for r in region_slugs if r not in excluded],
            "available": True,
            "description": desc,
            "disk_info": [{"type": "local", "size": {"amount": disk, "unit": "gib"}}],
        }
        for slug, mem, vcpus, disk, transfer, monthly, hourly, desc, excluded in _DO_SIZES
    ]
    regions = [
        {
            "name": name,
            "slug": slug,
            "features": list(_DO_REGION_FEATURES),
            "available": True,
            "sizes": [
                s["slug"]
                for s in sizes
                if slug in s["regions"] and (slug, s["slug"]) not in _DO_SOLD_OUT
            ],
        }
        for slug, name in _DO_REGIONS
    ]
    regions += [
        {"name": name, "slug": slug, "features": [], "available": False, "sizes": []}
        for slug, name in _DO_CLOSED_REGIONS
    ]
    for size in sizes:  # a closed region still appears in some sizes' lists
        if size["slug"].startswith(("s-", "m-")):
            size["regions"].append("nyc2")
    images: list[dict[str, Any]] = []
    image_id = 160_000_001
    for slug, name, distro, min_disk, size_gb, created in _DO_DISTROS:
        images.append(
            _do_image(
                image_id,
                slug,
                name,
                distro,
                min_disk,
                size_gb,
                created,
                f"{distro} {name}",
                "distribution",
            )
        )
        image_id += 1
    for slug, name, desc, min_disk in _DO_APPS:
        images.append(
            _do_image(
                image_id,
                slug,
                name,
                "Ubuntu",
                min_disk,
                4.5,
                "2024-05-02T10:00:00Z",
                desc,
                "application",
            )
        )
        image_id += 1
    one_clicks = [{"slug": slug, "type": "droplet"} for slug, *_ in _DO_APPS]
    one_clicks += [{"slug": slug, "type": "kubernetes"} for slug in _DO_K8S_APPS]
    ssh_keys = [
        {
            "id": 41_234_567,
            "fingerprint": "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa",
            "public_key": SANDBOX_PUBLIC_KEY,
            "name": "sandbox-key",
        }
    ]
    vpcs = []
    for slug, _ in _DO_REGIONS:
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

_LI_REGIONS: list[tuple[str, str, str]] = [
    ("us-east", "Newark, NJ", "us"),
    ("us-west", "Fremont, CA", "us"),
    ("us-central", "Dallas, TX", "us"),
    ("eu-west", "London, UK", "gb"),
    ("eu-central", "Frankfurt, DE", "de"),
    ("ap-south", "Singapore, SG", "sg"),
    ("id-cgk", "Jakarta, ID", "id"),
    ("br-gru", "Sao Paulo, BR", "br"),
]
#: Extra capabilities per core region (GPU, premium and accelerated plans run only there).
_LI_EXTRA_CAPS: dict[str, list[str]] = {
    "us-east": ["GPU Linodes", "Premium Plans"],
    "eu-central": ["GPU Linodes", "Premium Plans"],
    "ap-south": ["GPU Linodes"],
    "us-central": ["NETINT Quadra T1U"],
}
#: (region, type) pairs ``/v4/regions/availability`` reports sold out, as the live API
#: does for GPU types above all: the RTX6000 runs only in eu-central now, the RTX4000
#: Ada nowhere although three regions have the capability.
_LI_SOLD_OUT = {
    ("us-east", "g1-gpu-rtx6000-1"),
    ("ap-south", "g1-gpu-rtx6000-1"),
    ("us-east", "g2-gpu-rtx4000a1-s"),
    ("eu-central", "g2-gpu-rtx4000a1-s"),
    ("ap-south", "g2-gpu-rtx4000a1-s"),
}
#: Type classes ``/v4/regions/availability`` reports on.
_LI_AVAILABILITY_CLASSES = ("gpu", "premium", "accelerated")
#: Distributed (edge) regions: few capabilities, their own ``-edge-`` plans only.
_LI_DISTRIBUTED: list[tuple[str, str, str]] = [
    ("us-den-1", "Distributed - Denver, CO", "us"),
    ("de-ham-1", "Distributed - Hamburg, DE", "de"),
]
_LI_DISTRIBUTED_CAPS = ["Linodes", "Cloud Firewall", "Distributed Plans", "Placement Group"]
#: Regions whose prices differ from the base price (as the live types show).
_LI_PRICE_FACTORS = {"id-cgk": 1.2, "br-gru": 1.4}
_LI_CAPS = [
    "Linodes",
    "Backups",
    "NodeBalancers",
    "Block Storage",
    "Object Storage",
    "Kubernetes",
    "Cloud Firewall",
    "Vlans",
    "VPCs",
    "Metadata",
]

# id, label, class, vcpus, memory MB, disk MB, transfer GB, network_out, hourly, monthly
_LI_TYPES: list[tuple[str, str, str, int, int, int, int, int, float, float]] = [
    ("g6-nanode-1", "Nanode 1GB", "nanode", 1, 1024, 25600, 1000, 1000, 0.0075, 5.0),
    ("g6-standard-1", "Linode 2GB", "standard", 1, 2048, 51200, 2000, 2000, 0.018, 12.0),
    ("g6-standard-2", "Linode 4GB", "standard", 2, 4096, 81920, 4000, 4000, 0.036, 24.0),
    ("g6-standard-4", "Linode 8GB", "standard", 4, 8192, 163840, 5000, 5000, 0.072, 48.0),
    ("g6-standard-6", "Linode 16GB", "standard", 6, 16384, 327680, 8000, 6000, 0.144, 96.0),
    ("g6-dedicated-2", "Dedicated 4GB", "dedicated", 2, 4096, 81920, 4000, 4000, 0.054, 36.0),
    ("g6-dedicated-4", "Dedicated 8GB", "dedicated", 4, 8192, 163840, 5000, 5000, 0.108, 72.0),
    ("g7-highmem-1", "Linode 24GB", "highmem", 2, 24576, 20480, 5000, 5000, 0.09, 60.0),
    ("g7-premium-2", "Premium 4GB", "premium", 2, 4096, 81920, 4000, 4000, 0.06, 43.0),
    (
        "g1-gpu-rtx6000-1",
        "Dedicated 32GB + RTX6000 GPU x1",
        "gpu",
        8,
        32768,
        655360,
        16000,
        10000,
        1.5,
        1000.0,
    ),
    (
        "g2-gpu-rtx4000a1-s",
        "RTX4000 Ada x1 Small",
        "gpu",
        4,
        16384,
        512000,
        1000,
        10000,
        0.52,
        350.0,
    ),
    (
        "g1-accelerated-netint-vpu-t1u1-s",
        "Netint Quadra T1U x1 Small",
        "accelerated",
        8,
        16384,
        204800,
        6000,
        6000,
        0.42,
        280.0,
    ),
    (
        "g6-dedicated-edge-2",
        "Dedicated 4GB (distributed)",
        "dedicated",
        2,
        4096,
        81920,
        4000,
        4000,
        0.0645,
        43.0,
    ),
]

# id, label, vendor, size MB, created, eol (days from now: relative, so "near" and
# "past" stay true whenever the sandbox runs)
_LI_EOL_DAYS = {
    "linode/debian11": 120,  # near: shown with its end-of-life date
    "linode/fedora40": -200,  # past: hidden
    "linode/ubuntu18.04": -900,  # past and deprecated
}
_LI_IMAGES: list[tuple[str, str, str, int, str, str | None]] = [
    (
        "linode/ubuntu24.04",
        "Ubuntu 24.04 LTS",
        "Ubuntu",
        2500,
        "2024-04-25T12:00:00",
        "2029-04-30T04:00:00",
    ),
    (
        "linode/ubuntu22.04",
        "Ubuntu 22.04 LTS",
        "Ubuntu",
        2500,
        "2022-04-21T12:00:00",
        "2027-04-30T04:00:00",
    ),
    ("linode/debian12", "Debian 12", "Debian", 1300, "2023-06-12T12:00:00", "2028-06-30T04:00:00"),
    ("linode/debian11", "Debian 11", "Debian", 1300, "2021-08-15T12:00:00", "2026-06-30T04:00:00"),
    ("linode/fedora40", "Fedora 40", "Fedora", 1800, "2024-04-24T12:00:00", "2025-05-13T04:00:00"),
    ("linode/rocky9", "Rocky Linux 9", "Rocky", 1900, "2022-07-15T12:00:00", "2032-05-31T04:00:00"),
    (
        "linode/almalinux9",
        "AlmaLinux 9",
        "AlmaLinux",
        1900,
        "2022-05-27T12:00:00",
        "2032-05-31T04:00:00",
    ),
    ("linode/centos-stream9", "CentOS Stream 9", "CentOS", 2300, "2022-02-08T12:00:00", None),
    ("linode/rocky10", "Rocky Linux 10", "Rocky", 2000, "2025-06-12T12:00:00", None),
    ("linode/kali", "Kali Linux", "Kali", 4000, "2024-03-01T12:00:00", None),
    # not an OS to install: a Kubernetes (LKE) node image, public like the rest
    (
        "linode/debian11-kube-v1.27.5",
        "Kubernetes 1.27.5 on Debian 11",
        "Debian",
        5000,
        "2023-09-01T12:00:00",
        None,
    ),
    ("linode/ubuntu18.04", "Ubuntu 18.04 LTS", "Ubuntu", 2500, "2018-04-27T12:00:00", None),
]
_LI_DEPRECATED = {"linode/ubuntu18.04"}

_UBUNTU_DEBIAN = ["linode/ubuntu24.04", "linode/ubuntu22.04", "linode/debian12", "linode/debian11"]


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
    sold_out: set[tuple[str, str]] = field(default_factory=lambda: set(_LI_SOLD_OUT))

    def __post_init__(self) -> None:
        self.by_type = {t["id"]: t for t in self.types}
        self.by_region = {r["id"]: r for r in self.regions}

    def availability(self) -> list[dict[str, Any]]:
        """``GET /v4/regions/availability``'s items: each (region, type) of the
        classes it reports on that the region's capabilities allow, and whether it
        can be created there now."""
        from .linode import type_available  # the rule the create endpoint enforces

        return [
            {
                "region": r["id"],
                "plan": t["id"],
                "available": (r["id"], t["id"]) not in self.sold_out,
            }
            for r in self.regions
            if r["site_type"] == "core"
            for t in self.types
            if t["class"] in _LI_AVAILABILITY_CLASSES and type_available(t, r)
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


def _udf(
    name: str,
    label: str,
    *,
    default: str | None = None,
    example: str | None = None,
    oneof: str | None = None,
    manyof: str | None = None,
) -> dict[str, Any]:
    """A StackScript user-defined field; keys as in the spec (``oneOf``, ``manyOf``)."""
    udf: dict[str, Any] = {"name": name, "label": label, "example": example or ""}
    if default is not None:
        udf["default"] = default
    if oneof is not None:
        udf["oneOf"] = oneof
    if manyof is not None:
        udf["manyOf"] = manyof
    return udf


def _stackscript(
    script_id: int,
    label: str,
    description: str,
    images: list[str],
    udfs: list[dict[str, Any]],
    *,
    username: str = "linode",
    mine: bool = False,
    public: bool = True,
    deployments: int = 0,
) -> dict[str, Any]:
    return {
        "id": script_id,
        "username": username,
        "user_gravatar_id": "a445b305abda30ebc766bc7fda037c37",
        "label": label,
        "description": description,
        "images": images,
        "is_public": public,
        "mine": mine,
        "rev_note": "Initial revision",
        "script": "#!/bin/bash\n# <UDF> fields are read from the environment\nset -e\n",
        "user_defined_fields": udfs,
        "deployments_active": deployments // 4,
        "deployments_total": deployments,
        "created": "2023-03-01T12:00:00",
        "updated": "2024-06-01T12:00:00",
    }


def _li_prices(hourly: float, monthly: float) -> list[dict[str, Any]]:
    return [
        {"id": rid, "hourly": round(hourly * f, 4), "monthly": round(monthly * f, 2)}
        for rid, f in _LI_PRICE_FACTORS.items()
    ]


def linode_catalog(now: datetime | None = None) -> LinodeCatalog:
    """A fresh Linode catalogue; end-of-life dates are relative to ``now``."""
    now = now or datetime.now(UTC)
    types: list[dict[str, Any]] = [
        {
            "id": tid,
            "label": label,
            "class": klass,
            "vcpus": vcpus,
            "memory": mem,
            "disk": disk,
            "transfer": transfer,
            "network_out": net,
            "gpus": 1 if klass == "gpu" else 0,
            "price": {"hourly": hourly, "monthly": monthly},
            "region_prices": _li_prices(hourly, monthly),
            "successor": None,
            "addons": {
                "backups": {
                    "price": {"hourly": round(hourly / 4, 4), "monthly": round(monthly / 4, 2)},
                    "region_prices": _li_prices(hourly / 4, monthly / 4),
                }
            },
        }
        for tid, label, klass, vcpus, mem, disk, transfer, net, hourly, monthly in _LI_TYPES
    ]
    regions = [
        {
            "id": rid,
            "label": label,
            "country": country,
            "capabilities": list(_LI_CAPS) + _LI_EXTRA_CAPS.get(rid, []),
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
        for i, (rid, label, country) in enumerate(_LI_REGIONS)
    ]
    regions += [
        {
            "id": rid,
            "label": label,
            "country": country,
            "capabilities": list(_LI_DISTRIBUTED_CAPS),
            "status": "ok",
            "resolvers": {"ipv4": "173.223.100.53,173.223.101.53", "ipv6": "2600:14c0:a::53"},
            "placement_group_limits": {
                "maximum_linodes_per_pg": 5,
                "maximum_pgs_per_customer": None,
            },
            "site_type": "distributed",
        }
        for rid, label, country in _LI_DISTRIBUTED
    ]
    images = []
    for image_id, label, vendor, size, created, eol in _LI_IMAGES:
        days = _LI_EOL_DAYS.get(image_id)
        if days is not None:
            eol = (now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S")
        image = _li_image(image_id, label, vendor, size, created, eol)
        image["deprecated"] = image_id in _LI_DEPRECATED
        if "kube" in image_id:
            image["capabilities"] = []
        images.append(image)
    stackscripts = [
        _stackscript(
            401697,
            "WordPress One-Click",
            "WordPress with a LAMP stack and a database user.",
            list(_UBUNTU_DEBIAN),
            [
                _udf(
                    "soa_email_address",
                    "Email address for the admin user",
                    example="admin@example.com",
                ),
                _udf("webserver_stack", "Web server", default="LAMP", oneof="LAMP,LEMP"),
                _udf("site_title", "Website title", default="My WordPress Site"),
                _udf("db_password", "Database password", example="s3cure-Passw0rd"),
            ],
            deployments=54_210,
        ),
        _stackscript(
            401701,
            "LAMP One-Click",
            "Linux, Apache, MySQL and PHP.",
            list(_UBUNTU_DEBIAN),
            [
                _udf(
                    "soa_email_address",
                    "Email address for the SOA record",
                    example="admin@example.com",
                ),
                _udf("php_version", "PHP version", default="8.3", oneof="8.1,8.2,8.3"),
            ],
            deployments=23_118,
        ),
        _stackscript(
            607433,
            "Docker One-Click",
            "Docker Engine and Docker Compose.",
            ["linode/ubuntu24.04", "linode/ubuntu22.04", "linode/debian12"],
            [
                _udf(
                    "extras",
                    "Extra tools to install",
                    default="",
                    manyof="compose,buildx,portainer",
                ),
            ],
            deployments=41_902,
        ),
        _stackscript(
            1_000_001,
            "vpsbot-nodejs",
            "A private Node.js app server with PM2 and Nginx.",
            ["linode/ubuntu24.04", "linode/debian12"],
            [
                _udf(
                    "app_repo",
                    "Git repository of the app",
                    example="https://github.com/example/app",
                ),
                _udf("node_version", "Node.js version", default="22", oneof="18,20,22"),
            ],
            username="sandbox-user",
            mine=True,
            public=False,
            deployments=3,
        ),
    ]
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
