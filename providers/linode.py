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
from providers.http import JsonApi, resolve_lost_create
from providers.http_provider import HttpProvider
from providers.models import (
    ActionResult,
    CreateRequest,
    DeploymentOption,
    Image,
    Instance,
    InstanceStatus,
    Plan,
    Region,
    ScriptField,
    SSHKey,
)
from providers.passwords import generate_password, strength_error

__all__ = ["LinodeApi", "LinodeProvider"]

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

_EVENT_STATUSES = {
    "scheduled": "in-progress",
    "started": "in-progress",
    "finished": "completed",
    "failed": "errored",
    "notification": "completed",
}

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

    async def get_all(
        self,
        path: str,
        *,
        filter: dict[str, Any] | None = None,
        max_pages: int = 1000,
    ) -> list[dict[str, Any]]:
        """Every item of a paginated list (``page_size=500``), optionally X-Filtered."""
        headers = {"X-Filter": json.dumps(filter, separators=(",", ":"))} if filter else None
        items: list[dict[str, Any]] = []
        page = 1
        while page <= max_pages:
            body = await self.get(path, params={"page": page, "page_size": 500}, headers=headers)
            if not isinstance(body, dict):
                break
            items.extend(item for item in body.get("data") or [] if isinstance(item, dict))
            pages = int(body.get("pages") or 1)
            if page >= pages:
                break
            page += 1
        return items


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
        rebuild_password=True,
        deployment_kind="stackscript",
        monitoring=False,
        ipv6=False,
        vpc=False,
        private_ip=True,
        root_password=True,
        # Linode has no power cycle; the client maps one to a reboot if asked,
        # but the bot does not offer it
        actions=tuple(a for a in ACTIONS if a != "power_cycle"),
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
        if not 3 <= len(label) <= 64:
            return "must be 3-64 characters long"
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
        """7-128 printable ASCII characters mixing at least three of: lowercase,
        uppercase, digits, symbols (a local stand-in for Linode's strength check)."""
        return strength_error(password, min_length=7, max_length=128)

    # ---------------------------------------------------------------- catalog

    async def validate_credentials(self) -> None:
        await self.api.get("/v4/profile")

    async def get_plans(self) -> list[Plan]:
        """Linode types. ``regions`` is empty: every type is sold in every region.

        Linode reports ``disk`` in MB (→ GB) and ``transfer`` as the monthly quota
        in GB (the spec's "MB" wording notwithstanding: 1000 on a Nanode = 1 TB).
        """
        plans = []
        for raw in await self.api.get_all("/v4/linode/types"):
            price = raw.get("price") or {}
            plans.append(
                Plan(
                    id=str(raw["id"]),
                    label=str(raw.get("label") or raw["id"]),
                    vcpus=int(raw.get("vcpus") or 0),
                    memory_mb=int(raw.get("memory") or 0),
                    disk_gb=int(raw.get("disk") or 0) // 1024,
                    transfer_gb=int(raw.get("transfer") or 0),
                    price_hourly=Decimal(str(price.get("hourly") or 0)),
                    price_monthly=Decimal(str(price.get("monthly") or 0)),
                    regions=[],
                )
            )
        return plans

    async def get_regions(self) -> list[Region]:
        return [
            Region(
                id=str(raw["id"]),
                name=str(raw.get("label") or raw["id"]),
                available=raw.get("status", "ok") == "ok",
                features=[str(c) for c in raw.get("capabilities") or []],
            )
            for raw in await self.api.get_all("/v4/regions")
        ]

    async def get_images(self) -> list[Image]:
        """Public, non-deprecated images; ``distribution`` is the vendor."""
        images = []
        raws = await self.api.get_all("/v4/images", filter={"is_public": True, "deprecated": False})
        for raw in raws:
            if not raw.get("is_public") or raw.get("deprecated"):
                continue
            if raw.get("status") not in (None, "available"):
                continue
            vendor = str(raw.get("vendor") or "")
            label = str(raw.get("label") or raw["id"])
            version = label[len(vendor) :].strip() if label.startswith(vendor) else label
            images.append(
                Image(
                    id=str(raw["id"]),
                    slug=str(raw["id"]),
                    name=label,
                    distribution=vendor,
                    version=version,
                    min_disk_gb=math.ceil(int(raw.get("size") or 0) / 1024),
                    created_at=_parse_time(raw.get("created")),
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
        options = []
        for raw in await self.api.get_all("/v4/linode/stackscripts", filter=flt, max_pages=4):
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
        return [
            SSHKey(
                id=str(raw["id"]),
                name=str(raw.get("label") or ""),
                fingerprint=_fingerprint(str(raw.get("ssh_key") or "")),
                public_key=str(raw.get("ssh_key") or ""),
            )
            for raw in await self.api.get_all("/v4/profile/sshkeys")
        ]

    # -------------------------------------------------------------- instances

    def _instance(self, raw: dict[str, Any]) -> Instance:
        ipv4 = [str(a) for a in raw.get("ipv4") or []]
        ipv6 = raw.get("ipv6")
        raw_status = str(raw.get("status") or "")
        return Instance(
            provider=self.type,
            id=str(raw["id"]),
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
        return self._instance(answer)

    async def get_instance(self, instance_id: str) -> Instance:
        return self._instance(await self.api.get(f"/v4/linode/instances/{instance_id}"))

    async def list_instances(self, *, tag: str | None = None) -> list[Instance]:
        raws = await self.api.get_all("/v4/linode/instances", filter={"tags": tag} if tag else None)
        instances = [self._instance(r) for r in raws]
        if tag:
            instances = [i for i in instances if tag in i.tags]
        return instances

    def _event(self, raw: dict[str, Any], action: str | None = None) -> ActionResult:
        raw_status = str(raw.get("status") or "")
        percent = raw.get("percent_complete")
        return ActionResult(
            provider=self.type,
            id=str(raw["id"]),
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
        events = [
            e
            for e in (body or {}).get("data") or []
            if isinstance(e, dict)
            and e.get("action") == event_action
            and str((e.get("entity") or {}).get("id")) == instance_id
        ]
        if not events:
            return None
        return max(events, key=lambda e: (str(e.get("created") or ""), int(e.get("id") or 0)))

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
        await self.api.post(f"/v4/linode/instances/{instance_id}/{suffix}", body)
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
        return self._event(await self.api.get(f"/v4/account/events/{action_id}"))

    async def delete_instance(self, instance_id: str) -> None:
        """``DELETE /v4/linode/instances/{id}``. A gone Linode raises NotFoundError."""
        await self.api.delete(f"/v4/linode/instances/{instance_id}")

    async def aclose(self) -> None:
        """Nothing to release: the HTTP session is shared (see ``close_session``)."""
