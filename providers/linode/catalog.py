"""Linode's catalogue, from its API JSON to :mod:`providers.models`.

Why its own module: which types run where (region capabilities, distributed
regions, sold-out pairs), which images are operating systems still supported, and
which StackScripts are offered are Linode's own rules; they are plain functions
of the answers, kept apart from the calls that fetch them
(:class:`~providers.linode.provider.LinodeProvider`). A malformed item raises
``KeyError``/``TypeError``/``ValueError``; the caller turns that into the
normalised error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from providers.http_provider import integer_id
from providers.models import (
    DeploymentOption,
    Image,
    Plan,
    Region,
    RegionPrice,
    ScriptField,
    SSHKey,
)

__all__ = [
    "family_of",
    "fingerprint",
    "image_from",
    "parse_time",
    "plan_from",
    "region_from",
    "runs_in",
    "scripts_from",
    "sold_out_from",
    "split_label",
    "ssh_key_from",
    "stackscript_filter",
]

#: Region capability a type class needs (spec: "Only available in regions with ...").
_CLASS_NEEDS = {
    "gpu": "GPU Linodes",
    "premium": "Premium Plans",
    "accelerated": "NETINT Quadra T1U",
}
#: Images that are not operating systems to install (LKE node images).
_NOT_OS = re.compile(r"kube|\blke\b", re.IGNORECASE)
_FIRST_NUMBER = re.compile(r"\d")


def parse_time(value: Any) -> datetime | None:
    """Linode times are naive UTC (``2018-01-01T00:01:01``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def fingerprint(public_key: str) -> str:
    """MD5 colon fingerprint of an OpenSSH public key (empty if unparsable)."""
    parts = public_key.split()
    if len(parts) < 2:
        return ""
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return ""
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _distributed_type(type_id: str) -> bool:
    """Types sold only in distributed (edge) regions: ``g6-dedicated-edge-2``..."""
    return "-edge-" in type_id


#: a type's ``class`` -> the tab Linode's own create page shows it under
_FAMILIES = {
    "nanode": "Shared CPU",
    "standard": "Shared CPU",
    "dedicated": "Dedicated CPU",
    "premium": "Premium CPU",
    "highmem": "High Memory",
    "gpu": "GPU",
    "accelerated": "Accelerated",
}


def family_of(linode_class: Any) -> str:
    """The family people choose among for a type's ``class`` (an unknown class
    keeps its own name, capitalised, rather than vanish into another group)."""
    text = str(linode_class or "").strip()
    return _FAMILIES.get(text.lower(), text.replace("_", " ").capitalize())


def runs_in(type_raw: dict[str, Any], region_raw: dict[str, Any]) -> bool:
    """Whether a Linode type can be deployed in a region.

    Distributed (edge) regions run only their own ``-edge-`` types, which core
    regions do not run; GPU, premium and accelerated classes need the region capability the
    spec names; a region without the "Linodes" capability runs none.
    """
    caps = {str(c) for c in region_raw.get("capabilities") or []}
    if caps and "Linodes" not in caps:
        return False
    edge = _distributed_type(str(type_raw.get("id") or ""))
    if str(region_raw.get("site_type") or "core") == "distributed":
        return edge and (not caps or "Distributed Plans" in caps)
    if edge:
        return False
    needed = _CLASS_NEEDS.get(str(type_raw.get("class") or ""))
    return needed is None or needed in caps


def split_label(label: str, vendor: str) -> tuple[str, str]:
    """(distribution, version) of an image label.

    The version starts at the first word with a digit: "Rocky Linux 10" →
    ("Rocky Linux", "10"), "Ubuntu 24.04 LTS" → ("Ubuntu", "24.04 LTS"); a label
    without one is all distribution ("Kali Linux" → ("Kali Linux", "")).
    """
    words = label.split()
    for index, word in enumerate(words):
        if _FIRST_NUMBER.match(word):
            head = " ".join(words[:index])
            return head or vendor or label, " ".join(words[index:])
    return label or vendor, ""


def _money(value: Any) -> Decimal:
    """A price as Decimal; missing, null or unreadable is 0 (the import marks those)."""
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


def _region_prices(raw: Any) -> dict[str, RegionPrice]:
    """A type's (or add-on's) ``region_prices`` list by region id."""
    return {
        str(rp["id"]): RegionPrice(
            hourly=_money(rp.get("hourly")), monthly=_money(rp.get("monthly"))
        )
        for rp in raw or []
        if isinstance(rp, dict) and rp.get("id")
    }


def _addon_price(raw: Any) -> RegionPrice | None:
    """An add-on's ``price``; None when Linode gives none (null amounts: not offered)."""
    if not isinstance(raw, dict) or raw.get("monthly") is None:
        return None
    return RegionPrice(hourly=_money(raw.get("hourly")), monthly=_money(raw.get("monthly")))


def _split(value: Any) -> list[str] | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def plan_from(
    raw: dict[str, Any], regions: list[dict[str, Any]], sold_out: set[tuple[str, str]]
) -> Plan:
    """A type as a :class:`Plan`: disk MB → GB, ``transfer`` is already GB a month,
    ``regions`` those that run it (:func:`runs_in`) where it is not sold out."""
    price = raw.get("price") or {}
    region_prices = _region_prices(raw.get("region_prices"))
    backups = ((raw.get("addons") or {}).get("backups")) or {}
    return Plan(
        id=str(raw["id"]),
        label=str(raw.get("label") or raw["id"]),
        family=family_of(raw.get("class")),
        vcpus=int(raw.get("vcpus") or 0),
        memory_mb=int(raw.get("memory") or 0),
        disk_gb=int(raw.get("disk") or 0) // 1024,
        transfer_gb=int(raw.get("transfer") or 0),
        price_hourly=_money(price.get("hourly")),
        price_monthly=_money(price.get("monthly")),
        regions=[
            str(r["id"])
            for r in regions
            if runs_in(raw, r) and (str(r["id"]), str(raw["id"])) not in sold_out
        ],
        region_prices=region_prices,
        backups=_addon_price(backups.get("price")),
        backups_region_prices=_region_prices(backups.get("region_prices")),
    )


def sold_out_from(raws: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(region, plan) pairs ``/v4/regions/availability`` marks unavailable."""
    return {(str(raw["region"]), str(raw["plan"])) for raw in raws if raw.get("available") is False}


def region_from(raw: dict[str, Any], sold_out: set[tuple[str, str]]) -> Region:
    """A region; available when its status is ok and it runs Linodes."""
    return Region(
        id=str(raw["id"]),
        name=str(raw.get("label") or raw["id"]),
        available=raw.get("status", "ok") == "ok"
        and (not raw.get("capabilities") or "Linodes" in raw["capabilities"]),
        features=[str(c) for c in raw.get("capabilities") or []],
        site_type=str(raw.get("site_type") or "core"),
        country=str(raw.get("country") or "").lower(),
        sold_out=sorted(plan for region, plan in sold_out if region == raw["id"]),
    )


def image_from(raw: dict[str, Any], now: datetime) -> Image | None:
    """An image to offer, or None for one left out: not public, deprecated, not
    available, not an OS to install (Kubernetes node images) or past its ``eol``."""
    if not raw.get("is_public") or raw.get("deprecated"):
        return None
    if raw.get("status") not in (None, "available"):
        return None
    image_id = str(raw["id"])
    label = str(raw.get("label") or image_id)
    if _NOT_OS.search(image_id) or _NOT_OS.search(label):
        return None
    eol = parse_time(raw.get("eol"))
    if eol is not None and eol <= now:
        return None
    distribution, version = split_label(label, str(raw.get("vendor") or ""))
    return Image(
        id=image_id,
        slug=image_id,
        name=label,
        distribution=distribution,
        version=version,
        min_disk_gb=math.ceil(int(raw.get("size") or 0) / 1024),
        created_at=parse_time(raw.get("created")),
        eol=eol,
    )


def stackscript_filter(owners: list[str]) -> dict[str, Any]:
    """The X-Filter for the account's own StackScripts and the public ones of
    ``owners``, most deployed first (the public catalogue has thousands)."""
    return {
        "+or": [{"mine": True}, *({"username": o, "is_public": True} for o in owners)],
        "+order_by": "deployments_total",
        "+order": "desc",
    }


def scripts_from(raws: list[dict[str, Any]], owners: list[str]) -> list[DeploymentOption]:
    """StackScripts as deployment options, the :func:`stackscript_filter` rule
    applied again here in case a server ignores the filter."""
    options = []
    for raw in raws:
        mine = bool(raw.get("mine"))
        if not mine and not (raw.get("is_public") and raw.get("username") in owners):
            continue
        fields = [
            ScriptField(
                name=str(udf["name"]),
                label=str(udf.get("label") or udf["name"]),
                default=udf.get("default"),
                example=udf.get("example"),
                oneof=_split(udf.get("oneOf", udf.get("oneof"))),
                manyof=_split(udf.get("manyOf", udf.get("manyof"))),
            )
            for udf in raw.get("user_defined_fields") or []
            if isinstance(udf, dict) and udf.get("name")
        ]
        options.append(
            DeploymentOption(
                id=str(raw["id"]),
                kind="stackscript",
                name=str(raw.get("label") or raw["id"]),
                category="Mine" if mine else str(raw.get("username") or ""),
                description=str(raw.get("description") or "").strip(),
                images=[str(i) for i in raw.get("images") or []],
                fields=fields,
            )
        )
    return options


def ssh_key_from(raw: dict[str, Any]) -> SSHKey:
    """A profile SSH key; Linode gives no fingerprint, so it is computed."""
    return SSHKey(
        id=integer_id(raw["id"]),
        name=str(raw.get("label") or ""),
        fingerprint=fingerprint(str(raw.get("ssh_key") or "")),
        public_key=str(raw.get("ssh_key") or ""),
    )
