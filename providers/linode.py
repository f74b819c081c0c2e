"""Linode API v4 client behind the :class:`~providers.base.Provider` interface.

Why: the bot speaks one provider-neutral shape; this module turns it into Linode v4
requests (types, images, regions, StackScripts, profile keys, instances, power
actions and account events) and normalises the answers.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from providers.base import ACTIONS, Capabilities
from providers.errors import OutcomeUnknownError, ProviderError, ValidationError
from providers.http import JsonApi, path_template, resolve_lost_create, unique_by
from providers.http_provider import HttpProvider, integer_id
from providers.linode_metrics import linode_metrics
from providers.models import (
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
    ServerMetrics,
    SSHKey,
)
from providers.passwords import generate_password, strength_error

__all__ = [
    "ROOT_PASS_MIN",
    "LinodeApi",
    "LinodeProvider",
    "family_of",
    "runs_in",
    "split_label",
]

logger = logging.getLogger(__name__)

#: Linode status → normalised status. ``booting`` counts as provisioning: right
#: after a create (and after power-on) the server is not reachable yet.
_STATUSES = {
    "provisioning": InstanceStatus.PROVISIONING,
    "booting": InstanceStatus.PROVISIONING,
    "rebuilding": InstanceStatus.PROVISIONING,
    "migrating": InstanceStatus.PROVISIONING,
    "cloning": InstanceStatus.PROVISIONING,
    "restoring": InstanceStatus.PROVISIONING,
    "resizing": InstanceStatus.PROVISIONING,
    "busy": InstanceStatus.PROVISIONING,
    "running": InstanceStatus.RUNNING,
    "offline": InstanceStatus.STOPPED,
    "stopped": InstanceStatus.STOPPED,
    "shutting_down": InstanceStatus.STOPPED,
    "rebooting": InstanceStatus.REBOOTING,
    "deleting": InstanceStatus.DELETING,
    "billing_suspension": InstanceStatus.ERROR,
}

#: Normalised action → (endpoint suffix, event action).
_ACTIONS = {
    "power_on": ("boot", "linode_boot"),
    "shutdown": ("shutdown", "linode_shutdown"),
    "power_off": ("shutdown", "linode_shutdown"),
    "reboot": ("reboot", "linode_reboot"),
    "power_cycle": ("reboot", "linode_reboot"),
    "rebuild": ("rebuild", "linode_rebuild"),
    "resize": ("resize", "linode_resize"),
}

_EVENT_ACTIONS = {
    "linode_boot": "power_on",
    "linode_shutdown": "shutdown",
    "linode_reboot": "reboot",
    "linode_rebuild": "rebuild",
    "linode_resize": "resize",
    "linode_create": "create",
    "linode_delete": "delete",
}

#: Every event status the API documents (the spec's five, plus ``canceled`` that the
#: official clients handle and ``completed`` seen in newer answers) → ActionResult.
_EVENT_STATUSES = {
    "scheduled": "in-progress",
    "started": "in-progress",
    "finished": "completed",
    "completed": "completed",
    "failed": "errored",
    "canceled": "canceled",
    "notification": "completed",
}

#: The live API refuses root passwords under 11 characters ("Length must be
#: 11-128 characters") although the published spec still says 7; checking the
#: stricter bound here refuses at the field, before a create is sent.
ROOT_PASS_MIN = 11
ROOT_PASS_MAX = 128

#: Region capability a type class needs (spec: "Only available in regions with ...").
_CLASS_NEEDS = {
    "gpu": "GPU Linodes",
    "premium": "Premium Plans",
    "accelerated": "NETINT Quadra T1U",
}
#: Images that are not operating systems to install (LKE node images).
_NOT_OS = re.compile(r"kube|\blke\b", re.IGNORECASE)
_FIRST_NUMBER = re.compile(r"\d")

_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")


def _parse_time(value: Any) -> datetime | None:
    """Linode times are naive UTC (``2018-01-01T00:01:01``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _is_private(address: str) -> bool:
    """Linode private IPv4 addresses live in 192.168.0.0/16."""
    return address.startswith("192.168.")


def _fingerprint(public_key: str) -> str:
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


class LinodeApi(JsonApi):
    """HTTP details of api.linode.com: errors, rate headers, limits, pagination."""

    provider_type = "linode"
    display_name = "Linode"
    default_base_url = "https://api.linode.com"
    #: Linode's general limit is 800 requests/min per token; creates ~10 per 30 s.
    requests_per_minute = 800
    special_limits = {("POST", "/v4/linode/instances"): (10, 30)}
    limit_header = "x-ratelimit-limit"
    remaining_header = "x-ratelimit-remaining"
    reset_header = "x-ratelimit-reset"
    request_id_header = "x-request-id"
    field_names = {
        "type": "plan",
        "root_pass": "root_password",
        "authorized_keys": "ssh_key_ids",
        "backups_enabled": "backups",
        "tags": "tag",
        "stackscript_id": "deployment_id",
        "stackscript_data": "deployment_data",
    }

    def parse_error(self, body: Any) -> tuple[str, str | None]:
        if not isinstance(body, dict):
            return "", None
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if not errors:
            return "", None
        message = "; ".join(str(e.get("reason") or "") for e in errors if e.get("reason"))
        fld = next((str(e["field"]) for e in errors if e.get("field")), None)
        return message, fld

    def parse_fields(self, body: Any) -> dict[str, str]:
        fields: dict[str, str] = {}
        for error in (body.get("errors") or []) if isinstance(body, dict) else []:
            if isinstance(error, dict) and error.get("field") and error.get("reason"):
                name = str(error["field"])
                reason = str(error["reason"])
                fields[name] = f"{fields[name]}; {reason}" if name in fields else reason
        return fields

    def is_busy(self, status: int, message: str) -> bool:
        """``400 {"errors":[{"reason":"Linode busy."}]}``: another job runs on it."""
        return status in (400, 409) and "busy" in message.lower()

    async def get_all(
        self,
        path: str,
        *,
        filter: dict[str, Any] | None = None,
        max_pages: int = 1000,
        key: str | None = "id",
    ) -> list[dict[str, Any]]:
        """Every item of a paginated list (``page_size=500``), optionally X-Filtered.

        An item repeated across a page boundary is kept once (by ``key``; None for
        lists whose items have no id, where a repeat is harmless); a page that is
        not a page (an empty body) is an :class:`OutageError`, never a short list.
        """
        headers = {"X-Filter": json.dumps(filter, separators=(",", ":"))} if filter else None
        items: list[dict[str, Any]] = []
        page = 1
        while page <= max_pages:
            body = await self.get(path, params={"page": page, "page_size": 500}, headers=headers)
            if not isinstance(body, dict) or not isinstance(body.get("data", []), list):
                raise self.odd_answer(f"page {page} of {path_template(path)}")
            items.extend(item for item in body.get("data") or [] if isinstance(item, dict))
            try:
                pages = int(body.get("pages") or 1)
            except (TypeError, ValueError):
                pages = 1
            if page >= pages:
                break
            page += 1
        return unique_by(items, key) if key is not None else items


class LinodeProvider(HttpProvider):
    """A Linode account.

    Root passwords go in ``root_pass`` (Linode requires one when deploying an
    image: if the request has none, a random strong one is generated so SSH keys
    are the only way in). SSH keys are sent as public-key strings
    (``authorized_keys``), looked up from the profile's keys by id.
    """

    type: ClassVar[str] = "linode"
    capabilities: ClassVar[Capabilities] = Capabilities(
        display_name="Linode",
        label_rule=(
            "3 to 64 characters: letters, digits, hyphens (-), underscores (_) and dots (.), "
            "starting with a letter and ending with a letter or digit, never two of -, _ "
            "or . in a row."
        ),
        label_max=64,
        rebuild_password=True,
        list_page_size=500,
        deployment_kind="stackscript",
        monitoring=False,
        ipv6=False,
        vpc=False,
        private_ip=True,
        root_password=True,
        # Linode has no power cycle; the client maps one to a reboot if asked,
        # but the bot does not offer it
        actions=tuple(a for a in ACTIONS if a != "power_cycle"),
        metrics=True,
    )

    #: StackScript owners listed besides the account's own ("linode" = official).
    stackscript_owners: ClassVar[tuple[str, ...]] = ("linode",)
    #: Seconds between by-tag lookups after a lost create (tests set 0).
    lost_create_delay: float = 2.0
    #: Seconds between event lookups after an action (tests set 0).
    event_lookup_delay: float = 0.5

    api_class = LinodeApi
    api: LinodeApi

    # ------------------------------------------------------------------ rules

    @staticmethod
    def label_error(label: str) -> str | None:
        """3-64 characters; starts with a letter, ends with a letter or digit;
        only letters, digits, ``-``, ``_`` and ``.``; no ``--``, ``__`` or ``..``."""
        if not label:
            return "must not be empty"
        if not 3 <= len(label) <= 64:
            return f"must be 3 to 64 characters long; this one has {len(label)}"
        if not label[0].isascii() or not label[0].isalpha():
            return "must start with a letter"
        if not _LABEL.match(label):
            return "may only contain letters, digits, hyphens (-), underscores (_) and dots (.)"
        if not label[-1].isalnum():
            return "must end with a letter or digit"
        if "--" in label or "__" in label or ".." in label:
            return "must not contain two -, _ or . in a row"
        return None

    @staticmethod
    def password_error(password: str) -> str | None:
        """11-128 printable ASCII characters mixing at least three of: lowercase,
        uppercase, digits, symbols (a local stand-in for Linode's strength check;
        11 is what the live API enforces, see :data:`ROOT_PASS_MIN`)."""
        return strength_error(password, min_length=ROOT_PASS_MIN, max_length=ROOT_PASS_MAX)

    # ---------------------------------------------------------------- catalog

    async def validate_credentials(self) -> None:
        """``GET /v4/profile`` must answer a profile with its ``username`` (a 200 with
        an empty body or ``{}`` validates nothing)."""
        body = await self.api.get("/v4/profile")
        if not isinstance(body, dict) or not isinstance(body.get("username"), str):
            raise self.api.odd_answer("a profile")

    async def get_plans(self) -> list[Plan]:
        """Linode types, each with the regions that can run it and its region prices.

        Linode reports ``disk`` in MB (→ GB) and ``transfer`` as the monthly quota
        in GB (the spec's "MB" wording notwithstanding: 1000 on a Nanode = 1 TB).
        ``regions`` comes from the regions' ``capabilities`` and ``site_type``
        (see :func:`runs_in`); ``region_prices`` from the type's own list.
        """
        types, regions, sold_out = await asyncio.gather(
            self.api.get_all("/v4/linode/types"),
            self.api.get_all("/v4/regions"),
            self._sold_out(),
        )
        with self._reading("the plan catalogue"):
            plans = []
            for raw in types:
                price = raw.get("price") or {}
                region_prices = _region_prices(raw.get("region_prices"))
                backups = ((raw.get("addons") or {}).get("backups")) or {}
                plans.append(
                    Plan(
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
                )
        return plans

    async def _sold_out(self) -> set[tuple[str, str]]:
        """(region, plan) pairs ``GET /v4/regions/availability`` says are sold out
        now (it lists select premium, GPU and accelerated plans; the rest run
        wherever the region's capabilities allow)."""
        raws = await self.api.get_all("/v4/regions/availability", key=None)
        with self._reading("the plan availability"):
            return {
                (str(raw["region"]), str(raw["plan"]))
                for raw in raws
                if raw.get("available") is False
            }

    async def get_regions(self) -> list[Region]:
        """Regions; one is available when its status is ok and it runs Linodes.
        Each carries the plans sold out there (see :meth:`_sold_out`)."""
        raws, sold_out = await asyncio.gather(self.api.get_all("/v4/regions"), self._sold_out())
        with self._reading("the region list"):
            return [
                Region(
                    id=str(raw["id"]),
                    name=str(raw.get("label") or raw["id"]),
                    available=raw.get("status", "ok") == "ok"
                    and (not raw.get("capabilities") or "Linodes" in raw["capabilities"]),
                    features=[str(c) for c in raw.get("capabilities") or []],
                    site_type=str(raw.get("site_type") or "core"),
                    country=str(raw.get("country") or "").lower(),
                    sold_out=sorted(plan for region, plan in sold_out if region == raw["id"]),
                )
                for raw in raws
            ]

    async def get_images(self) -> list[Image]:
        """Public operating-system images that are still supported.

        Left out: deprecated images, images past their ``eol``, and images that are
        not an OS to install (Kubernetes node images). ``distribution`` and
        ``version`` come from the label (see :func:`split_label`).
        """
        images = []
        now = datetime.now(UTC)
        raws = await self.api.get_all("/v4/images", filter={"is_public": True, "deprecated": False})
        with self._reading("the image list"):
            for raw in raws:
                if not raw.get("is_public") or raw.get("deprecated"):
                    continue
                if raw.get("status") not in (None, "available"):
                    continue
                image_id = str(raw["id"])
                label = str(raw.get("label") or image_id)
                if _NOT_OS.search(image_id) or _NOT_OS.search(label):
                    continue
                eol = _parse_time(raw.get("eol"))
                if eol is not None and eol <= now:
                    continue
                distribution, version = split_label(label, str(raw.get("vendor") or ""))
                images.append(
                    Image(
                        id=image_id,
                        slug=image_id,
                        name=label,
                        distribution=distribution,
                        version=version,
                        min_disk_gb=math.ceil(int(raw.get("size") or 0) / 1024),
                        created_at=_parse_time(raw.get("created")),
                        eol=eol,
                    )
                )
        return images

    async def get_deployment_options(self) -> list[DeploymentOption]:
        """StackScripts: the account's own plus public ones by ``stackscript_owners``.

        The X-Filter keeps the list bounded (the public catalogue has thousands);
        the same rule is applied client-side in case a server ignores the filter.
        """
        owners = list(self.stackscript_owners)
        flt: dict[str, Any] = {
            "+or": [{"mine": True}, *({"username": o, "is_public": True} for o in owners)],
            "+order_by": "deployments_total",
            "+order": "desc",
        }
        raws = await self.api.get_all("/v4/linode/stackscripts", filter=flt, max_pages=4)
        with self._reading("the StackScript list"):
            return self._scripts(raws, owners)

    def _scripts(self, raws: list[dict[str, Any]], owners: list[str]) -> list[DeploymentOption]:
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

    async def list_ssh_keys(self) -> list[SSHKey]:
        raws = await self.api.get_all("/v4/profile/sshkeys")
        with self._reading("the SSH key list"):
            return [
                SSHKey(
                    id=integer_id(raw["id"]),
                    name=str(raw.get("label") or ""),
                    fingerprint=_fingerprint(str(raw.get("ssh_key") or "")),
                    public_key=str(raw.get("ssh_key") or ""),
                )
                for raw in raws
            ]

    # -------------------------------------------------------------- instances

    def _instance(self, raw: dict[str, Any]) -> Instance:
        ipv4 = [str(a) for a in raw.get("ipv4") or []]
        ipv6 = raw.get("ipv6")
        raw_status = str(raw.get("status") or "")
        return Instance(
            provider=self.type,
            id=integer_id(raw["id"]),
            label=str(raw.get("label") or ""),
            status=_STATUSES.get(raw_status, InstanceStatus.UNKNOWN),
            raw_status=raw_status,
            ipv4=next((a for a in ipv4 if not _is_private(a)), None),
            ipv6=str(ipv6).split("/", 1)[0] if ipv6 else None,
            private_ipv4=next((a for a in ipv4 if _is_private(a)), None),
            region=str(raw.get("region") or ""),
            plan=str(raw.get("type") or ""),
            image=str(raw["image"]) if raw.get("image") else None,
            tags=[str(t) for t in raw.get("tags") or []],
            created_at=_parse_time(raw.get("created")),
        )

    def _check_password(self, password: str) -> None:
        if (problem := self.password_error(password)) is not None:
            raise ValidationError(
                f"root password {problem}", provider=self.api.display_name, field="root_password"
            )

    async def _public_keys(self, key_ids: list[str]) -> list[str]:
        if not key_ids:
            return []
        keys = {k.id: k.public_key for k in await self.list_ssh_keys()}
        missing = [k for k in key_ids if k not in keys]
        if missing:
            raise ValidationError(
                f"unknown SSH key id(s): {', '.join(missing)}",
                provider=self.api.display_name,
                field="ssh_key_ids",
            )
        return [keys[k] for k in key_ids]

    async def _create_body(self, request: CreateRequest) -> dict[str, Any]:
        display = self.api.display_name
        if (problem := self.label_error(request.label)) is not None:
            raise ValidationError(f"label {problem}", provider=display, field="label")
        if request.root_password is not None:
            self._check_password(request.root_password)
        if not request.image:
            raise ValidationError("an image is required", provider=display, field="image")
        body: dict[str, Any] = {
            "label": request.label,
            "region": request.region,
            "type": request.plan,
            "image": request.image,
            "root_pass": request.root_password or generate_password(),
            "authorized_keys": await self._public_keys(list(request.ssh_key_ids)),
            "backups_enabled": request.backups,
            "private_ip": request.private_ip,
            "tags": [request.tag, *request.extra_tags],
            "booted": True,
        }
        if request.deployment_id:
            if not request.deployment_id.isdigit():
                raise ValidationError(
                    "StackScript ids are numeric", provider=display, field="deployment_id"
                )
            body["stackscript_id"] = int(request.deployment_id)
            body["stackscript_data"] = {
                str(k): v if isinstance(v, str) else json.dumps(v) if v is not None else ""
                for k, v in request.deployment_data.items()
            }
        return body

    async def create_instance(self, request: CreateRequest) -> Instance:
        """``POST /v4/linode/instances``; never retried.

        If the answer is lost (timeout, 5xx, connection reset after sending) the
        Linode is looked up by ``request.tag``: found → returned; otherwise
        :class:`OutcomeUnknownError` (look again later, do not create again).
        """
        body = await self._create_body(request)
        try:
            answer = await self.api.post("/v4/linode/instances", body)
        except OutcomeUnknownError as exc:
            return await resolve_lost_create(self, request.tag, exc, delay=self.lost_create_delay)
        if not isinstance(answer, dict) or "id" not in answer:
            return await resolve_lost_create(
                self,
                request.tag,
                OutcomeUnknownError(
                    "the create answer had no Linode", provider=self.api.display_name
                ),
                delay=self.lost_create_delay,
            )
        with self._reading("a create answer", write=True):
            return self._instance(answer)

    async def get_instance(self, instance_id: str) -> Instance:
        body = await self.api.get(
            f"/v4/linode/instances/{self._path_id(instance_id, 'instance_id')}"
        )
        if not isinstance(body, dict) or body.get("id") is None:
            raise self.api.odd_answer("a Linode without an id")
        with self._reading("a Linode"):
            return self._instance(body)

    async def get_metrics(self, instance_id: str, start: datetime, end: datetime) -> ServerMetrics:
        """CPU, network and disk I/O from ``/stats`` (see :mod:`providers.linode_metrics`)."""
        return await linode_metrics(self.api, instance_id, start, end)

    async def list_instances(self, *, tag: str | None = None) -> list[Instance]:
        raws = await self.api.get_all("/v4/linode/instances", filter={"tags": tag} if tag else None)
        with self._reading("the Linode list"):
            instances = [self._instance(r) for r in raws]
        if tag:
            instances = [i for i in instances if tag in i.tags]
        return instances

    def _event(self, raw: Any, action: str | None = None) -> ActionResult:
        if not isinstance(raw, dict) or raw.get("id") is None:
            raise self.api.odd_answer("an event without an id")
        with self._reading("an event id"):
            event_id = integer_id(raw["id"])
        raw_status = str(raw.get("status") or "")
        percent = raw.get("percent_complete")
        return ActionResult(
            provider=self.type,
            id=event_id,
            action=action or _EVENT_ACTIONS.get(str(raw.get("action")), str(raw.get("action"))),
            status=_EVENT_STATUSES.get(raw_status, "in-progress"),
            progress=int(percent) if isinstance(percent, int | float) else None,
        )

    async def _find_event(self, instance_id: str, event_action: str) -> dict[str, Any] | None:
        flt: dict[str, Any] = {
            "entity.id": int(instance_id) if instance_id.isdigit() else instance_id,
            "entity.type": "linode",
            "action": event_action,
            "+order_by": "created",
            "+order": "desc",
        }
        headers = {"X-Filter": json.dumps(flt, separators=(",", ":"))}
        body = await self.api.get(
            "/v4/account/events", params={"page": 1, "page_size": 25}, headers=headers
        )
        data = body.get("data") if isinstance(body, dict) else None
        events = [
            e
            for e in (data if isinstance(data, list) else [])
            if isinstance(e, dict)
            and e.get("action") == event_action
            and str((e.get("entity") or {}).get("id")) == instance_id
        ]
        if not events:
            return None
        events = [e for e in events if str(e.get("id") or "").isdigit()]
        if not events:
            return None
        return max(events, key=lambda e: (str(e.get("created") or ""), int(e["id"])))

    async def perform_action(
        self,
        instance_id: str,
        action: str,
        *,
        image: str | None = None,
        plan: str | None = None,
        root_password: str | None = None,
    ) -> ActionResult:
        """``POST /v4/linode/instances/{id}/<boot|shutdown|reboot|rebuild|resize>``.

        Linode has no hard power-off or power-cycle: ``power_off`` sends a shutdown
        and ``power_cycle`` a reboot. The returned id is the matching account event
        (``GET /v4/account/events``, newest first); if it cannot be found yet, the
        id is empty and the caller should poll the instance status instead.
        ``rebuild`` generates a random root password when none is given.
        """
        display = self.api.display_name
        if action not in _ACTIONS:
            raise ValidationError(
                f"unsupported action {action!r}", provider=display, field="action"
            )
        suffix, event_action = _ACTIONS[action]
        body: dict[str, Any] = {}
        if action == "rebuild":
            if not image:
                raise ValidationError("rebuild needs an image", provider=display, field="image")
            if root_password is not None:
                self._check_password(root_password)
            body = {"image": image, "root_pass": root_password or generate_password()}
        elif action == "resize":
            if not plan:
                raise ValidationError("resize needs a plan", provider=display, field="plan")
            body = {"type": plan}
        # "Linode busy." while another job runs: sent again with backoff, and
        # only a busy state that persists reaches the caller (BusyError)
        linode = self._path_id(instance_id, "instance_id")
        await self.api.post_when_free(f"/v4/linode/instances/{linode}/{suffix}", body)
        for attempt in range(3):
            if attempt:
                await asyncio.sleep(self.event_lookup_delay)
            try:
                event = await self._find_event(instance_id, event_action)
            except ProviderError as exc:
                logger.warning("Linode event lookup failed after %s: %s", action, exc.message)
                break
            if event is not None:
                return self._event(event, action)
        return ActionResult(provider=self.type, id="", action=action, status="in-progress")

    async def get_action(self, instance_id: str, action_id: str) -> ActionResult:
        if not action_id:
            raise ValidationError(
                "no event id to look up; poll the instance status instead",
                provider=self.api.display_name,
                field="action_id",
            )
        event = self._path_id(action_id, "action_id")
        return self._event(await self.api.get(f"/v4/account/events/{event}"))

    async def delete_instance(self, instance_id: str) -> None:
        """``DELETE /v4/linode/instances/{id}``. A gone Linode raises NotFoundError."""
        await self.api.delete(f"/v4/linode/instances/{self._path_id(instance_id, 'instance_id')}")
