"""Linode API v4 behind the :class:`~providers.base.Provider` interface.

Why: the bot speaks one provider-neutral shape; this class turns it into Linode v4
requests (types, images, regions, StackScripts, profile keys, instances, power
actions and account events). How Linode is spoken over HTTP is
:mod:`providers.linode.api`; how its answers become :mod:`providers.models` is
:mod:`providers.linode.catalog` and :mod:`providers.linode.instances`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any, ClassVar

from providers.base import ACTIONS, Capabilities
from providers.errors import OutcomeUnknownError, ProviderError, ValidationError
from providers.http import resolve_lost_create
from providers.http_provider import HttpProvider, integer_id
from providers.linode import catalog, instances
from providers.linode.api import LinodeApi
from providers.linode_metrics import linode_metrics
from providers.models import (
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
from providers.passwords import generate_password, strength_error

__all__ = ["ROOT_PASS_MAX", "ROOT_PASS_MIN", "LinodeProvider"]

logger = logging.getLogger("providers.linode")

#: The live API refuses root passwords under 11 characters ("Length must be
#: 11-128 characters") although the published spec still says 7; checking the
#: stricter bound here refuses at the field, before a create is sent.
ROOT_PASS_MIN = 11
ROOT_PASS_MAX = 128

_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")


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
        (see :func:`~providers.linode.catalog.runs_in`); ``region_prices`` from the
        type's own list.
        """
        types, regions, sold_out = await asyncio.gather(
            self.api.get_all("/v4/linode/types"),
            self.api.get_all("/v4/regions"),
            self._sold_out(),
        )
        with self._reading("the plan catalogue"):
            return [catalog.plan_from(raw, regions, sold_out) for raw in types]

    async def _sold_out(self) -> set[tuple[str, str]]:
        """(region, plan) pairs ``GET /v4/regions/availability`` says are sold out
        now (it lists select premium, GPU and accelerated plans; the rest run
        wherever the region's capabilities allow)."""
        raws = await self.api.get_all("/v4/regions/availability", key=None)
        with self._reading("the plan availability"):
            return catalog.sold_out_from(raws)

    async def get_regions(self) -> list[Region]:
        """Regions; one is available when its status is ok and it runs Linodes.
        Each carries the plans sold out there (see :meth:`_sold_out`)."""
        raws, sold_out = await asyncio.gather(self.api.get_all("/v4/regions"), self._sold_out())
        with self._reading("the region list"):
            return [catalog.region_from(raw, sold_out) for raw in raws]

    async def get_images(self) -> list[Image]:
        """Public operating-system images that are still supported.

        Left out: deprecated images, images past their ``eol``, and images that are
        not an OS to install (Kubernetes node images). ``distribution`` and
        ``version`` come from the label (see :func:`~providers.linode.catalog.split_label`).
        """
        now = datetime.now(UTC)
        raws = await self.api.get_all("/v4/images", filter={"is_public": True, "deprecated": False})
        with self._reading("the image list"):
            found = [catalog.image_from(raw, now) for raw in raws]
        return [image for image in found if image is not None]

    async def get_deployment_options(self) -> list[DeploymentOption]:
        """StackScripts: the account's own plus public ones by ``stackscript_owners``.

        The X-Filter keeps the list bounded (the public catalogue has thousands);
        the same rule is applied client-side in case a server ignores the filter.
        """
        owners = list(self.stackscript_owners)
        flt = catalog.stackscript_filter(owners)
        raws = await self.api.get_all("/v4/linode/stackscripts", filter=flt, max_pages=4)
        with self._reading("the StackScript list"):
            return catalog.scripts_from(raws, owners)

    async def list_ssh_keys(self) -> list[SSHKey]:
        raws = await self.api.get_all("/v4/profile/sshkeys")
        with self._reading("the SSH key list"):
            return [catalog.ssh_key_from(raw) for raw in raws]

    # -------------------------------------------------------------- instances

    def _instance(self, raw: dict[str, Any]) -> Instance:
        return instances.instance_from(raw, self.type)

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
        return instances.create_body(
            request,
            request.root_password or generate_password(),
            await self._public_keys(list(request.ssh_key_ids)),
            provider=display,
        )

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
            found = [self._instance(r) for r in raws]
        if tag:
            found = [i for i in found if tag in i.tags]
        return found

    def _event(self, raw: Any, action: str | None = None) -> ActionResult:
        if not isinstance(raw, dict) or raw.get("id") is None:
            raise self.api.odd_answer("an event without an id")
        with self._reading("an event id"):
            event_id = integer_id(raw["id"])
        return instances.event_from(raw, event_id, action, provider=self.type)

    async def _find_event(self, instance_id: str, event_action: str) -> dict[str, Any] | None:
        flt = instances.event_filter(instance_id, event_action)
        headers = {"X-Filter": json.dumps(flt, separators=(",", ":"))}
        body = await self.api.get(
            "/v4/account/events", params={"page": 1, "page_size": 25}, headers=headers
        )
        return instances.newest_event(body, instance_id, event_action)

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
        if action not in instances.ACTIONS:
            raise ValidationError(
                f"unsupported action {action!r}", provider=display, field="action"
            )
        suffix, event_action = instances.ACTIONS[action]
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
