"""DigitalOcean API v2 client behind the :class:`~providers.base.Provider` interface.

Why: the bot speaks one provider-neutral shape; this module turns it into the
DigitalOcean v2 requests (sizes, images, regions, 1-Click apps, keys, VPCs,
droplets and droplet actions) and normalises the answers.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from providers.base import ACTIONS, Capabilities
from providers.digitalocean_metrics import droplet_metrics
from providers.errors import OutcomeUnknownError, ProviderError, ValidationError
from providers.http import JsonApi, path_template, resolve_lost_create, unique_by
from providers.http_provider import HttpProvider, integer_id
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
    ServerMetrics,
    SSHKey,
)
from providers.passwords import strength_error

__all__ = [
    "WEEKLY_BACKUPS_SHARE",
    "DigitalOceanApi",
    "DigitalOceanProvider",
    "cloud_config_for_password",
    "region_country",
]

#: What DigitalOcean charges for (weekly) backups, as a share of the droplet's price.
#: The API has no price field for it; DigitalOcean's pricing page says weekly
#: backups cost 20 % of the Droplet's price, daily ones 30 %
#: (https://docs.digitalocean.com/products/backups/details/pricing/). vpsbot asks
#: for plain ``backups: true``, which is the weekly plan.
WEEKLY_BACKUPS_SHARE = Decimal("0.20")

logger = logging.getLogger(__name__)

_STATUSES = {
    "new": InstanceStatus.PROVISIONING,
    "active": InstanceStatus.RUNNING,
    "off": InstanceStatus.STOPPED,
    # "archive": the droplet was destroyed and is being archived.
    "archive": InstanceStatus.DELETING,
}

_NAME = re.compile(r"^[a-zA-Z0-9.\-]+$")


def _odd(label: str) -> str:
    """``, not "_"``: the first character a hostname may not hold, as people see it."""
    odd = next(c for c in label if not (c.isascii() and (c.isalnum() or c in ".-")))
    return ", not spaces" if odd.isspace() else f', not "{odd}"'


#: Words that open a DigitalOcean 422 message → the request field they name.
_MESSAGE_FIELDS = {
    "name": "name",
    "names": "name",
    "region": "region",
    "size": "size",
    "image": "image",
    "ssh_keys": "ssh_keys",
    "ssh": "ssh_keys",
    "tags": "tags",
    "tag": "tags",
    "vpc_uuid": "vpc_uuid",
    "vpc": "vpc_uuid",
    "user_data": "user_data",
    "backups": "backups",
}

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


def cloud_config_for_password(password: str) -> str:
    """The ``#cloud-config`` user data that sets root's password on first boot.

    The password sits in a literal block scalar, so YAML never interprets it.
    """
    return (
        "#cloud-config\n"
        "chpasswd:\n"
        "  expire: false\n"
        "  list: |\n"
        f"    root:{password}\n"
        "ssh_pwauth: true\n"
    )


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _image_ref(value: str) -> str | int:
    """Numeric image ids go as integers, slugs as strings."""
    return int(value) if value.isdigit() else value


class DigitalOceanApi(JsonApi):
    """HTTP details of api.digitalocean.com: errors, rate headers, limits."""

    provider_type = "digitalocean"
    display_name = "DigitalOcean"
    default_base_url = "https://api.digitalocean.com"
    requests_per_minute = 250
    special_limits = {("GET", "/v2/account/keys"): (10, 60)}
    limit_header = "ratelimit-limit"
    remaining_header = "ratelimit-remaining"
    reset_header = "ratelimit-reset"
    request_id_header = "x-request-id"
    field_names = {
        "name": "label",
        "size": "plan",
        "ssh_keys": "ssh_key_ids",
        "vpc_uuid": "vpc_id",
        "tags": "tag",
        "user_data": "root_password",
    }

    def parse_error(self, body: Any) -> tuple[str, str | None]:
        if not isinstance(body, dict):
            return "", None
        message = str(body.get("message") or body.get("id") or "")
        match = re.match(r"\s*([A-Za-z_]+)\b", message)
        fld = _MESSAGE_FIELDS.get(match.group(1).lower()) if match else None
        if fld is None:
            # "You specified an invalid size for Droplet creation."
            invalid = re.search(r"\binvalid\s+([A-Za-z_]+)", message, re.IGNORECASE)
            fld = _MESSAGE_FIELDS.get(invalid.group(1).lower()) if invalid else None
        return message, fld

    def is_busy(self, status: int, message: str) -> bool:
        """``422 "Droplet already has a pending event."``: another action runs."""
        return status == 422 and "pending event" in message.lower()

    async def get_all(
        self, path: str, key: str, params: dict[str, Any] | None = None, *, unique: str = "id"
    ) -> list[dict[str, Any]]:
        """Every item of a paginated list, following ``links.pages.next``.

        An item repeated across a page boundary (same ``unique`` key) is kept
        once; a page that is not a page (an empty body) is an
        :class:`OutageError`, never a silently short list.
        """
        query: dict[str, Any] = {"per_page": 200, **(params or {})}
        items: list[dict[str, Any]] = []
        seen_pages: set[str] = set()
        for _ in range(1000):
            body = await self.get(path, params=query)
            if not isinstance(body, dict) or not isinstance(body.get(key, []), list):
                raise self.odd_answer(f"a page of {path_template(path)}")
            items.extend(item for item in body.get(key) or [] if isinstance(item, dict))
            nxt = ((body.get("links") or {}).get("pages") or {}).get("next")
            if not nxt:
                break
            # Re-issue the next page against *our* base URL: only its query is used.
            next_query = dict(parse_qsl(urlsplit(nxt).query))
            page = next_query.get("page")
            if not page or page in seen_pages:
                break
            seen_pages.add(page)
            query = {**query, **next_query}
        return unique_by(items, unique)


class DigitalOceanProvider(HttpProvider):
    """A DigitalOcean account.

    Root passwords: DigitalOcean has no password field, so one is set through
    ``user_data`` cloud-config (``chpasswd`` ``root:<password>``, ``expire: false``,
    ``ssh_pwauth: true``). This relies on the image running cloud-init, which every
    DigitalOcean distribution and 1-Click image does; custom images may not.
    """

    type: ClassVar[str] = "digitalocean"
    capabilities: ClassVar[Capabilities] = Capabilities(
        display_name="DigitalOcean",
        label_rule=(
            "1 to 255 characters: letters, digits, dots (.) and hyphens (-), "
            "starting and ending with a letter or digit."
        ),
        label_max=255,
        aliases=("do",),
        resize_requires_off=True,
        list_page_size=200,
        deployment_kind="oneclick",
        monitoring=True,
        ipv6=True,
        vpc=True,
        private_ip=False,
        root_password=True,
        actions=ACTIONS,
        metrics=True,
        metrics_need_agent=True,
        # there is no API to add it to a running droplet: it is installed on the server
        metrics_agent_hint=(
            "Install DigitalOcean's metrics agent on the server: "
            "`curl -sSL https://repos.insights.digitalocean.com/install.sh | sudo bash` "
            "(droplets created with Monitoring ticked have it)."
        ),
    )

    #: Seconds between by-tag lookups after a lost create (tests set 0).
    lost_create_delay: float = 2.0

    api_class = DigitalOceanApi
    api: DigitalOceanApi

    # ------------------------------------------------------------------ rules

    @staticmethod
    def label_error(label: str) -> str | None:
        """Droplet names are hostnames: 1-255 of ``a-z A-Z 0-9 . -``, alphanumeric ends."""
        if not label:
            return "must not be empty"
        if len(label) > 255:
            return f"must be at most 255 characters long; this one has {len(label)}"
        if not _NAME.match(label):
            return "may only contain letters, digits, dots (.) and hyphens (-)" + _odd(label)
        if not (label[0].isascii() and label[0].isalnum()):
            return "must start with a letter or digit"
        if not (label[-1].isascii() and label[-1].isalnum()):
            return "must end with a letter or digit"
        return None

    @staticmethod
    def password_error(password: str) -> str | None:
        """8-128 printable ASCII characters mixing at least three of: lowercase,
        uppercase, digits, symbols (it is set by cloud-init ``chpasswd``)."""
        return strength_error(password, min_length=8, max_length=128)

    # ---------------------------------------------------------------- catalog

    async def validate_credentials(self) -> None:
        """``GET /v2/account`` must answer the ``account`` object (a 200 with an empty
        body or ``{}`` validates nothing)."""
        body = await self.api.get("/v2/account")
        account = body.get("account") if isinstance(body, dict) else None
        if not isinstance(account, dict) or not isinstance(account.get("uuid"), str):
            raise self.api.odd_answer("an account answer")

    async def get_plans(self) -> list[Plan]:
        """Sizes, each with the regions where it can be created now.

        A size lists its ``regions`` and each region lists its ``sizes`` and
        whether it is ``available``: a pair is offered only when both sides say
        so (a sold-out size drops out of a region's list before the size's own).
        """
        sizes, regions = await asyncio.gather(
            self.api.get_all("/v2/sizes", "sizes", unique="slug"),
            self.api.get_all("/v2/regions", "regions", unique="slug"),
        )
        with self._reading("the size catalogue"):
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
                memory = int(size.get("memory") or 0)
                memory_label = f"{memory // 1024} GB" if memory % 1024 == 0 else f"{memory} MB"
                disk = int(size.get("disk") or 0)
                vcpus = int(size.get("vcpus") or 0)
                description = size.get("description") or "Droplet"
                where = [
                    str(r)
                    for r in size.get("regions") or []
                    if str(r) in open_regions
                    and (open_regions[str(r)] is None or slug in (open_regions[str(r)] or ()))
                ]
                hourly = Decimal(str(size.get("price_hourly") or 0))
                monthly = Decimal(str(size.get("price_monthly") or 0))
                plans.append(
                    Plan(
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
                )
        return plans

    async def get_regions(self) -> list[Region]:
        raws = await self.api.get_all("/v2/regions", "regions", unique="slug")
        with self._reading("the region list"):
            return [
                Region(
                    id=str(region["slug"]),
                    name=str(region.get("name") or region["slug"]),
                    available=bool(region.get("available", True)),
                    features=[str(f) for f in region.get("features") or []],
                    country=region_country(str(region["slug"])),
                    plans=[str(s) for s in region["sizes"]] if "sizes" in region else None,
                )
                for region in raws
            ]

    @staticmethod
    def _image(raw: dict[str, Any]) -> Image:
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
            created_at=_parse_time(raw.get("created_at")),
        )

    async def get_images(self) -> list[Image]:
        """Public distribution images (``GET /v2/images?type=distribution``).

        ``Image.id`` is the slug when there is one (what create/rebuild accept).
        """
        images = []
        raws = await self.api.get_all("/v2/images", "images", {"type": "distribution"})
        with self._reading("the image list"):
            for raw in raws:
                if raw.get("public") is False or raw.get("status") in ("deleted", "retired"):
                    continue
                images.append(self._image(raw))
        return images

    async def get_deployment_options(self) -> list[DeploymentOption]:
        """1-Click droplet apps, named and described from the application images.

        ``/v2/1-clicks`` only gives slug and type; ``/v2/images?type=application``
        supplies the display name and description, and a built-in keyword map the
        category. If the enrichment call fails the apps are still listed.
        """
        apps_call = self.api.get("/v2/1-clicks", params={"type": "droplet"})
        images_call = self.api.get_all("/v2/images", "images", {"type": "application"})
        apps_body, images = await asyncio.gather(apps_call, images_call, return_exceptions=True)
        if isinstance(apps_body, BaseException):
            raise apps_body
        by_slug: dict[str, dict[str, Any]] = {}
        if isinstance(images, BaseException):
            if not isinstance(images, ProviderError):
                raise images
            logger.warning("DigitalOcean application images unavailable: %s", images.message)
        else:
            by_slug = {str(i["slug"]): i for i in images if i.get("slug")}
        if not isinstance(apps_body, dict):
            raise self.api.odd_answer("an empty 1-Click list")
        with self._reading("the 1-Click list"):
            return self._apps(apps_body, by_slug)

    @staticmethod
    def _apps(
        apps_body: dict[str, Any], by_slug: dict[str, dict[str, Any]]
    ) -> list[DeploymentOption]:
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

    async def list_ssh_keys(self) -> list[SSHKey]:
        raws = await self.api.get_all("/v2/account/keys", "ssh_keys")
        with self._reading("the SSH key list"):
            return [
                SSHKey(
                    id=integer_id(key["id"]),
                    name=str(key.get("name") or ""),
                    fingerprint=str(key.get("fingerprint") or ""),
                    public_key=str(key.get("public_key") or ""),
                )
                for key in raws
            ]

    async def list_vpcs(self) -> list[VPC]:
        raws = await self.api.get_all("/v2/vpcs", "vpcs")
        with self._reading("the VPC list"):
            return [
                VPC(
                    id=str(v["id"]),
                    name=str(v.get("name") or ""),
                    region=str(v.get("region") or ""),
                )
                for v in raws
            ]

    # -------------------------------------------------------------- instances

    def _instance(self, raw: dict[str, Any]) -> Instance:
        networks = raw.get("networks") or {}
        v4 = [n for n in networks.get("v4") or [] if isinstance(n, dict)]
        v6 = [n for n in networks.get("v6") or [] if isinstance(n, dict)]
        public4 = next((n["ip_address"] for n in v4 if n.get("type") == "public"), None)
        private4 = next((n["ip_address"] for n in v4 if n.get("type") == "private"), None)
        public6 = next((n["ip_address"] for n in v6 if n.get("type", "public") == "public"), None)
        image = raw.get("image") or {}
        region = raw.get("region") or {}
        raw_status = str(raw.get("status") or "")
        image_ref = image.get("slug") or image.get("id")
        return Instance(
            provider=self.type,
            id=integer_id(raw["id"]),
            label=str(raw.get("name") or ""),
            status=_STATUSES.get(raw_status, InstanceStatus.UNKNOWN),
            raw_status=raw_status,
            ipv4=public4,
            ipv6=public6,
            private_ipv4=private4,
            region=str(region.get("slug") or "") if isinstance(region, dict) else str(region),
            plan=str(raw.get("size_slug") or (raw.get("size") or {}).get("slug") or ""),
            image=str(image_ref) if image_ref is not None else None,
            tags=[str(t) for t in raw.get("tags") or []],
            created_at=_parse_time(raw.get("created_at")),
        )

    def _create_body(self, request: CreateRequest) -> dict[str, Any]:
        if (problem := self.label_error(request.label)) is not None:
            raise ValidationError(f"name {problem}", provider=self.api.display_name, field="label")
        if request.root_password is not None and (
            problem := self.password_error(request.root_password)
        ):
            raise ValidationError(
                f"root password {problem}", provider=self.api.display_name, field="root_password"
            )
        image = request.deployment_id or request.image
        if not image:
            raise ValidationError(
                "an image or a 1-Click app is required",
                provider=self.api.display_name,
                field="image",
            )
        body: dict[str, Any] = {
            "name": request.label,
            "region": request.region,
            "size": request.plan,
            "image": _image_ref(image),
            "ssh_keys": [int(k) if k.isdigit() else k for k in request.ssh_key_ids],
            "backups": request.backups,
            "ipv6": request.ipv6,
            "monitoring": request.monitoring,
            "tags": [request.tag, *request.extra_tags],
        }
        if request.vpc_id:
            body["vpc_uuid"] = request.vpc_id
        if request.root_password:
            body["user_data"] = cloud_config_for_password(request.root_password)
        return body

    async def create_instance(self, request: CreateRequest) -> Instance:
        """``POST /v2/droplets``; never retried.

        If the answer is lost (timeout, 5xx, connection reset after sending) the
        droplet is looked up by ``request.tag``: found → returned; otherwise
        :class:`OutcomeUnknownError` (look again later, do not create again).
        """
        body = self._create_body(request)
        try:
            answer = await self.api.post("/v2/droplets", body)
        except OutcomeUnknownError as exc:
            return await resolve_lost_create(self, request.tag, exc, delay=self.lost_create_delay)
        droplet = (answer or {}).get("droplet") if isinstance(answer, dict) else None
        if not isinstance(droplet, dict):
            return await resolve_lost_create(
                self,
                request.tag,
                OutcomeUnknownError(
                    "the create answer had no droplet", provider=self.api.display_name
                ),
                delay=self.lost_create_delay,
            )
        with self._reading("a create answer", write=True):
            return self._instance(droplet)

    async def get_instance(self, instance_id: str) -> Instance:
        body = await self.api.get(f"/v2/droplets/{self._path_id(instance_id, 'instance_id')}")
        droplet = body.get("droplet") if isinstance(body, dict) else None
        if not isinstance(droplet, dict) or droplet.get("id") is None:
            raise self.api.odd_answer("a droplet without an id")
        with self._reading("a droplet"):
            return self._instance(droplet)

    async def list_instances(self, *, tag: str | None = None) -> list[Instance]:
        params = {"tag_name": tag} if tag else None
        droplets = await self.api.get_all("/v2/droplets", "droplets", params)
        with self._reading("the droplet list"):
            instances = [self._instance(d) for d in droplets]
        if tag:
            instances = [i for i in instances if tag in i.tags]
        return instances

    async def get_metrics(self, instance_id: str, start: datetime, end: datetime) -> ServerMetrics:
        """CPU and public bandwidth from the Monitoring API (see
        :mod:`providers.digitalocean_metrics`); needs the droplet's agent."""
        return await droplet_metrics(self.api, instance_id, start, end)

    def _action(self, raw: Any, action: str | None = None) -> ActionResult:
        if not isinstance(raw, dict) or raw.get("id") is None:
            raise self.api.odd_answer("an action without an id")
        with self._reading("an action id"):
            action_id = integer_id(raw["id"])
        return ActionResult(
            provider=self.type,
            id=action_id,
            action=action or str(raw.get("type") or ""),
            status=str(raw.get("status") or "in-progress"),
            progress=100 if raw.get("status") == "completed" else None,
        )

    async def perform_action(
        self,
        instance_id: str,
        action: str,
        *,
        image: str | None = None,
        plan: str | None = None,
        root_password: str | None = None,
    ) -> ActionResult:
        """``POST /v2/droplets/{id}/actions``.

        The normalised action names equal DigitalOcean's types. ``rebuild`` needs
        ``image``; ``resize`` needs ``plan`` and always resizes the disk too
        (``disk: true``, permanent). DigitalOcean cannot set a password on
        rebuild, so ``root_password`` there is a :class:`ValidationError`.
        """
        display = self.api.display_name
        if action not in ACTIONS:
            raise ValidationError(
                f"unsupported action {action!r}", provider=display, field="action"
            )
        body: dict[str, Any] = {"type": action}
        if action == "rebuild":
            if not image:
                raise ValidationError("rebuild needs an image", provider=display, field="image")
            if root_password:
                raise ValidationError(
                    "DigitalOcean cannot set a root password on rebuild",
                    provider=display,
                    field="root_password",
                )
            body["image"] = _image_ref(image)
        elif action == "resize":
            if not plan:
                raise ValidationError("resize needs a plan", provider=display, field="plan")
            body.update(size=plan, disk=True)
        # "Droplet already has a pending event": sent again with backoff while it
        # lasts; only a state that persists reaches the caller (BusyError)
        droplet = self._path_id(instance_id, "instance_id")
        answer = await self.api.post_when_free(f"/v2/droplets/{droplet}/actions", body)
        raw = answer.get("action") if isinstance(answer, dict) else None
        if not isinstance(raw, dict) or raw.get("id") is None:
            # accepted (2xx) but without a handle: the action is under way, so the
            # caller follows the droplet's status instead of an action id
            logger.warning("DigitalOcean accepted %s without an action id", action)
            return ActionResult(provider=self.type, id="", action=action, status="in-progress")
        return self._action(raw, action)

    async def get_action(self, instance_id: str, action_id: str) -> ActionResult:
        if not action_id:
            raise ValidationError(
                "no action id to look up; poll the droplet status instead",
                provider=self.api.display_name,
                field="action_id",
            )
        droplet, action = (
            self._path_id(instance_id, "instance_id"),
            self._path_id(action_id, "action_id"),
        )
        body = await self.api.get(f"/v2/droplets/{droplet}/actions/{action}")
        return self._action(body.get("action") if isinstance(body, dict) else None)

    async def delete_instance(self, instance_id: str) -> None:
        """``DELETE /v2/droplets/{id}`` (204). A gone droplet raises NotFoundError."""
        await self.api.delete(f"/v2/droplets/{self._path_id(instance_id, 'instance_id')}")
