"""DigitalOcean API v2 behind the :class:`~providers.base.Provider` interface.

Why: the bot speaks one provider-neutral shape; this class turns it into the
DigitalOcean v2 requests (sizes, images, regions, 1-Click apps, keys, VPCs,
droplets and droplet actions). How DigitalOcean is spoken over HTTP is
:mod:`providers.digitalocean.api`; how its answers become :mod:`providers.models`
is :mod:`providers.digitalocean.catalog` and :mod:`providers.digitalocean.droplets`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime
from typing import Any, ClassVar

from providers.base import ACTIONS, Capabilities
from providers.digitalocean import catalog, droplets
from providers.digitalocean.api import DigitalOceanApi
from providers.digitalocean_metrics import droplet_metrics
from providers.errors import OutcomeUnknownError, ProviderError, ValidationError
from providers.http import resolve_lost_create
from providers.http_provider import HttpProvider, integer_id
from providers.models import (
    VPC,
    ActionResult,
    CreateRequest,
    DeploymentOption,
    Image,
    Instance,
    Plan,
    Region,
    ServerMetrics,
    SSHKey,
)
from providers.passwords import strength_error

__all__ = ["DigitalOceanProvider"]

logger = logging.getLogger("providers.digitalocean")

_NAME = re.compile(r"^[a-zA-Z0-9.\-]+$")


def _odd(label: str) -> str:
    """``, not "_"``: the first character a hostname may not hold, as people see it."""
    odd = next(c for c in label if not (c.isascii() and (c.isalnum() or c in ".-")))
    return ", not spaces" if odd.isspace() else f', not "{odd}"'


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
        """Sizes, each with the regions where it can be created now (see
        :func:`~providers.digitalocean.catalog.plans_from`)."""
        sizes, regions = await asyncio.gather(
            self.api.get_all("/v2/sizes", "sizes", unique="slug"),
            self.api.get_all("/v2/regions", "regions", unique="slug"),
        )
        with self._reading("the size catalogue"):
            return catalog.plans_from(sizes, regions)

    async def get_regions(self) -> list[Region]:
        raws = await self.api.get_all("/v2/regions", "regions", unique="slug")
        with self._reading("the region list"):
            return [catalog.region_from(region) for region in raws]

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
                images.append(catalog.image_from(raw))
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
            return catalog.apps_from(apps_body, by_slug)

    async def list_ssh_keys(self) -> list[SSHKey]:
        raws = await self.api.get_all("/v2/account/keys", "ssh_keys")
        with self._reading("the SSH key list"):
            return [catalog.ssh_key_from(key) for key in raws]

    async def list_vpcs(self) -> list[VPC]:
        raws = await self.api.get_all("/v2/vpcs", "vpcs")
        with self._reading("the VPC list"):
            return [catalog.vpc_from(v) for v in raws]

    # -------------------------------------------------------------- instances

    def _instance(self, raw: dict[str, Any]) -> Instance:
        return droplets.instance_from(raw, self.type)

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
        return droplets.create_body(request, image)

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
        return droplets.action_from(raw, action_id, action, provider=self.type)

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
            body["image"] = droplets.image_ref(image)
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
