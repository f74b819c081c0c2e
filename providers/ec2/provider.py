"""Amazon EC2 behind the :class:`~providers.base.Provider` interface.

Why: vpsbot's create, review, prices, budgets, leases and watcher speak one shape;
this class turns it into EC2 calls (RunInstances with the row's tag as its
``ClientToken``, DescribeInstances by tag, Start/Stop/Reboot/TerminateInstances,
ModifyInstanceAttribute for a resize) over :class:`~providers.ec2.api.Ec2Api`.

EC2 has no action ids: an action's handle names the state it waits for
(``shutdown:stopped``, ``resize:t3.small``), and :meth:`get_action` reads the
instance to see whether it is there yet.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from providers.base import Capabilities, Provider
from providers.ec2 import catalog
from providers.ec2.api import DISPLAY, Ec2Api, parse_credentials
from providers.ec2.servers import (
    IMAGE_TAG,
    Regional,
    action_progress,
    cloud_config,
    instance_from,
    split_id,
)
from providers.errors import NotFoundError, OutcomeUnknownError, ValidationError
from providers.http import resolve_lost_create
from providers.models import (
    ActionResult,
    CreateRequest,
    DeploymentOption,
    Image,
    Instance,
    Plan,
    Region,
    SSHKey,
)
from providers.passwords import strength_error

__all__ = ["Ec2Provider"]

logger = logging.getLogger("providers.ec2")

_NAME = re.compile(r"^[a-zA-Z0-9.\-]+$")
#: action → the state name it ends in
_ENDS = {
    "power_on": "running",
    "reboot": "running",
    "power_cycle": "running",
    "shutdown": "stopped",
    "power_off": "stopped",
}
_ACTIONS = (*_ENDS, "resize")


class Ec2Provider(Provider):
    """An AWS account's EC2.

    ``token`` is ``ACCESS_KEY_ID:SECRET_ACCESS_KEY`` (optionally ``:ROLE_ARN``),
    sealed like the other clouds' tokens. ``configuration`` may carry ``api_url``
    (one endpoint for every service: the sandbox), ``pricing_url``, ``region`` (the
    home region, where key pairs live and images are listed), ``regions`` (the
    regions offered; default every enabled one), ``families`` and ``sizes`` (the
    instance types offered) and ``root_gb`` (the root volume).
    """

    type: ClassVar[str] = "aws"
    capabilities: ClassVar[Capabilities] = Capabilities(
        display_name=DISPLAY,
        label_rule=(
            "1 to 63 characters: letters, digits, dots (.) and hyphens (-), "
            "starting and ending with a letter or digit."
        ),
        label_max=63,
        aliases=("ec2", "amazon"),
        resize_requires_off=True,
        list_page_size=1000,
        deployment_kind="",
        monitoring=True,
        ipv6=False,
        vpc=False,
        backups=False,
        private_ip=False,
        root_password=True,
        actions=_ACTIONS,
        credential_hint=(
            "The access key id and secret access key as ACCESS_KEY_ID:SECRET "
            "(optionally :ROLE_ARN to assume a role). Needs EC2 read/write and "
            "pricing:GetProducts."
        ),
    )
    takes_configuration: ClassVar[bool] = True

    #: Seconds between by-tag lookups after a lost create (tests set 0).
    lost_create_delay: float = 2.0
    #: Seconds between state checks while a running server stops for a resize.
    state_poll_seconds: float = 5.0
    #: State checks before a stop for a resize counts as not finished.
    state_polls: int = 60

    def __init__(
        self,
        *,
        name: str,
        token: str,
        base_url: str | None = None,
        timeout: float = 30.0,
        transport: Any = None,
        configuration: Mapping[str, Any] | None = None,
    ) -> None:
        config = dict(configuration or {})
        self.name = name
        self.api = Ec2Api(
            parse_credentials(token),
            home_region=str(config.get("region") or "us-east-1"),
            endpoint_url=base_url,
            pricing_url=config.get("pricing_url"),
            timeout=timeout,
        )
        self.regions_wanted = [str(r) for r in config.get("regions") or []]
        self.families = [str(f) for f in config.get("families") or catalog.DEFAULT_FAMILIES]
        self.sizes = [str(s) for s in config.get("sizes") or catalog.DEFAULT_SIZES]
        self.root_gb = int(config.get("root_gb") or 20)
        self._regional = Regional(self.api)

    def __repr__(self) -> str:
        return f"<Ec2Provider {self.name!r} {self.api.endpoint_url or self.api.home_region}>"

    @property
    def last_success(self) -> float | None:
        return self.api.last_success

    async def aclose(self) -> None:
        await self.api.aclose()

    # ------------------------------------------------------------------ rules

    @staticmethod
    def label_error(label: str) -> str | None:
        """Labels become the ``Name`` tag and the hostname: 1-63 of ``a-z A-Z 0-9 . -``."""
        if not label:
            return "must not be empty"
        if len(label) > 63:
            return f"must be at most 63 characters long; this one has {len(label)}"
        if not _NAME.match(label):
            return "may only contain letters, digits, dots (.) and hyphens (-)"
        if not (label[0].isalnum() and label[-1].isalnum()):
            return "must start and end with a letter or digit"
        return None

    @staticmethod
    def password_error(password: str) -> str | None:
        """Set by cloud-init ``chpasswd``, as on DigitalOcean."""
        return strength_error(password, min_length=8, max_length=128)

    # ---------------------------------------------------------------- catalog

    async def validate_credentials(self) -> None:
        """GetCallerIdentity (the keys are real) and DescribeRegions (EC2 may be used)."""
        await self.api.call("sts", "get_caller_identity")
        await self.api.call("ec2", "describe_regions")

    async def _enabled(self) -> list[str]:
        return await catalog.region_ids(self.api, self.regions_wanted)

    async def get_regions(self) -> list[Region]:
        return await catalog.regions(self.api, self.regions_wanted)

    async def get_plans(self) -> list[Plan]:
        return await catalog.plans(
            self.api,
            families=self.families,
            sizes=self.sizes,
            enabled=await self._enabled(),
            root_gb=self.root_gb,
        )

    async def get_images(self) -> list[Image]:
        return await catalog.images(self.api)

    async def get_deployment_options(self) -> list[DeploymentOption]:
        """None: an EC2 server starts from a plain OS image."""
        return []

    async def list_ssh_keys(self) -> list[SSHKey]:
        answer = await self.api.call("ec2", "describe_key_pairs", IncludePublicKey=True)
        return [
            SSHKey(
                id=str(k["KeyName"]),
                name=str(k["KeyName"]),
                fingerprint=str(k.get("KeyFingerprint") or ""),
                public_key=str(k.get("PublicKey") or "").strip(),
            )
            for k in answer.get("KeyPairs") or []
        ]

    # -------------------------------------------------------------- instances

    def _refuse(self, field: str, message: str) -> ValidationError:
        return ValidationError(message, provider=DISPLAY, field=field)

    async def _launch_params(self, request: CreateRequest) -> dict[str, Any]:
        if (problem := self.label_error(request.label)) is not None:
            raise self._refuse("label", f"name {problem}")
        if request.root_password is not None and (
            problem := self.password_error(request.root_password)
        ):
            raise self._refuse("root_password", f"root password {problem}")
        if not request.image:
            raise self._refuse("image", "an image is required")
        if request.backups:
            raise self._refuse("backups", f"{DISPLAY} has no backups add-on")
        region = request.region
        if region not in await self._enabled():
            raise self._refuse("region", f"region {region!r} is not offered")
        types = await self.api.call(
            "ec2", "describe_instance_types", region=region, InstanceTypes=[request.plan]
        )
        found = types.get("InstanceTypes") or []
        if not found:
            raise self._refuse("plan", f"instance type {request.plan!r} does not exist")
        archs = (found[0].get("ProcessorInfo") or {}).get("SupportedArchitectures") or []
        arch = "arm64" if "arm64" in archs else "x86_64"
        ami = await catalog.resolve_ami(self.api, request.image, region, arch)
        if ami is None:
            raise self._refuse("image", f"{request.image} has no {arch} image in {region}")
        keys = await self._regional.public_keys(request.ssh_key_ids)
        tags = [{"Key": "Name", "Value": request.label}, {"Key": IMAGE_TAG, "Value": request.image}]
        tags += [{"Key": t, "Value": ""} for t in dict.fromkeys([request.tag, *request.extra_tags])]
        params: dict[str, Any] = {
            "ImageId": ami,
            "InstanceType": request.plan,
            "MinCount": 1,
            "MaxCount": 1,
            # EC2's idempotency key: the same create sent twice makes one server
            "ClientToken": request.tag[:64],
            "SecurityGroupIds": [await self._regional.security_group(region)],
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": tags},
                {"ResourceType": "volume", "Tags": tags[:1] + tags[2:3]},
            ],
            "BlockDeviceMappings": [
                {
                    "DeviceName": "/dev/xvda" if request.image.startswith("al") else "/dev/sda1",
                    "Ebs": {"VolumeSize": self.root_gb, "VolumeType": "gp3"},
                }
            ],
        }
        if request.monitoring:
            params["Monitoring"] = {"Enabled": True}
        if keys:
            first = request.ssh_key_ids[0]
            params["KeyName"] = await self._regional.key_pair(region, first, keys[first])
        user_data = cloud_config(request.root_password, list(keys.values()))
        if user_data is not None:
            params["UserData"] = user_data
        return params

    async def create_instance(self, request: CreateRequest) -> Instance:
        """RunInstances, never sent twice by us; a lost answer is looked up by tag."""
        params = await self._launch_params(request)
        try:
            answer = await self.api.call(
                "ec2", "run_instances", region=request.region, write=True, **params
            )
        except OutcomeUnknownError as exc:
            return await resolve_lost_create(self, request.tag, exc, delay=self.lost_create_delay)
        made = answer.get("Instances") or []
        if not made:
            lost = OutcomeUnknownError("the create answer had no instance", provider=DISPLAY)
            return await resolve_lost_create(self, request.tag, lost, delay=self.lost_create_delay)
        return instance_from(made[0], request.region)

    async def _describe(self, instance_id: str) -> tuple[str, dict[str, Any]]:
        region, bare = split_id(instance_id, self.api.home_region)
        answer = await self.api.call("ec2", "describe_instances", region=region, InstanceIds=[bare])
        for reservation in answer.get("Reservations") or []:
            for raw in reservation.get("Instances") or []:
                if (raw.get("State") or {}).get("Name") != "terminated":
                    return region, raw
        raise NotFoundError(
            f"the EC2 instance {bare} does not exist (any more)", provider=DISPLAY, status=404
        )

    async def get_instance(self, instance_id: str) -> Instance:
        region, raw = await self._describe(instance_id)
        return instance_from(raw, region)

    async def _list_region(self, region: str, tag: str | None) -> list[Instance]:
        filters = [
            {
                "Name": "instance-state-name",
                "Values": ["pending", "running", "stopping", "stopped", "shutting-down"],
            }
        ]
        if tag:
            filters.append({"Name": "tag-key", "Values": [tag]})
        params: dict[str, Any] = {"Filters": filters, "MaxResults": 1000}
        found: list[Instance] = []
        for _ in range(10_000):
            answer = await self.api.call("ec2", "describe_instances", region=region, **params)
            for reservation in answer.get("Reservations") or []:
                found += [instance_from(raw, region) for raw in reservation.get("Instances") or []]
            token = answer.get("NextToken")
            if not token:
                break
            params["NextToken"] = token
        return found

    async def list_instances(self, *, tag: str | None = None) -> list[Instance]:
        """Every offered region's servers (all pages), or those carrying ``tag``."""
        regions = await self._enabled()
        per_region = await asyncio.gather(*(self._list_region(r, tag) for r in regions))
        seen: dict[str, Instance] = {}
        for found in per_region:
            for instance in found:
                if tag is None or tag in instance.tags:
                    seen.setdefault(instance.id, instance)
        return list(seen.values())

    # ---------------------------------------------------------------- actions

    async def perform_action(
        self,
        instance_id: str,
        action: str,
        *,
        image: str | None = None,
        plan: str | None = None,
        root_password: str | None = None,
    ) -> ActionResult:
        """Start/Stop/RebootInstances; ``resize`` changes the type of a stopped server
        and starts it (a running one is stopped first). No rebuild on EC2."""
        if action not in _ACTIONS:
            raise self._refuse("action", f"{DISPLAY} cannot {action.replace('_', ' ')} a server")
        region, raw = await self._describe(instance_id)
        bare = str(raw["InstanceId"])
        if action == "resize":
            if not plan:
                raise self._refuse("plan", "resize needs a plan")
            await self._resize(region, bare, raw, plan)
            handle = f"resize:{plan}"
        else:
            operation = {
                "power_on": "start_instances",
                "shutdown": "stop_instances",
                "power_off": "stop_instances",
            }.get(action, "reboot_instances")
            extra = {"Force": True} if action == "power_off" else {}
            await self.api.call(
                "ec2", operation, region=region, write=True, InstanceIds=[bare], **extra
            )
            handle = f"{action}:{_ENDS[action]}"
        return ActionResult(provider=self.type, id=handle, action=action, status="in-progress")

    async def _resize(self, region: str, bare: str, raw: dict[str, Any], plan: str) -> None:
        state = str((raw.get("State") or {}).get("Name") or "")
        if state != "stopped":
            await self.api.call(
                "ec2", "stop_instances", region=region, write=True, InstanceIds=[bare]
            )
            for _ in range(self.state_polls):
                _, now = await self._describe(f"{region}/{bare}")
                if (now.get("State") or {}).get("Name") == "stopped":
                    break
                await asyncio.sleep(self.state_poll_seconds)
        await self.api.call(
            "ec2",
            "modify_instance_attribute",
            region=region,
            write=True,
            InstanceId=bare,
            InstanceType={"Value": plan},
        )
        await self.api.call("ec2", "start_instances", region=region, write=True, InstanceIds=[bare])

    async def get_action(self, instance_id: str, action_id: str) -> ActionResult:
        """Whether the server has reached the state the action's handle names."""
        action, _, goal = action_id.partition(":")
        if action not in _ACTIONS or not goal:
            raise self._refuse("action_id", f"{action_id!r} is not an EC2 action handle")
        try:
            instance: Instance | None = await self.get_instance(instance_id)
        except NotFoundError:
            instance = None
        return action_progress(instance, action, goal, action_id)

    async def delete_instance(self, instance_id: str) -> None:
        """TerminateInstances; a server already gone raises NotFoundError."""
        region, raw = await self._describe(instance_id)
        await self.api.call(
            "ec2", "terminate_instances", region=region, write=True, InstanceIds=[raw["InstanceId"]]
        )
