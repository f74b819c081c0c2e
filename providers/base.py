"""The provider interface: one shape over DigitalOcean v2 and Linode v4."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

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

__all__ = ["ACTIONS", "Capabilities", "Provider"]

#: Normalised action names accepted by :meth:`Provider.perform_action`.
ACTIONS = ("power_on", "shutdown", "power_off", "reboot", "power_cycle", "rebuild", "resize")


class Capabilities:
    """What a provider supports; drives which steps and options the bot shows."""

    def __init__(
        self,
        *,
        deployment_kind: str,
        monitoring: bool,
        ipv6: bool,
        vpc: bool,
        private_ip: bool,
        root_password: bool,
        actions: Sequence[str],
        display_name: str = "",
        aliases: Sequence[str] = (),
        rebuild_password: bool = False,
        resize_requires_off: bool = False,
        list_page_size: int = 100,
        credential_hint: str = "",
        backups: bool = True,
        metrics: bool = False,
        metrics_need_agent: bool = False,
        metrics_agent_hint: str = "",
        label_rule: str = "",
        label_max: int = 64,
    ) -> None:
        #: what a server label may be, as one sentence people read under the field
        #: (the same rule :meth:`Provider.label_error` checks)
        self.label_rule = label_rule
        #: the longest label the provider accepts
        self.label_max = label_max
        self.display_name = display_name
        #: what the admin's token field asks for, when it is more than one API token
        self.credential_hint = credential_hint
        #: the provider sells a backups add-on
        self.backups = backups
        #: other words people type for this provider ("do")
        self.aliases = tuple(aliases)
        #: servers per page when listing them (each page is one request)
        self.list_page_size = list_page_size
        #: a rebuild can set a new root password (else the old one stays)
        self.rebuild_password = rebuild_password
        #: a resize is refused unless the server is powered off
        self.resize_requires_off = resize_requires_off
        self.deployment_kind = deployment_kind
        self.monitoring = monitoring
        self.ipv6 = ipv6
        self.vpc = vpc
        self.private_ip = private_ip
        self.root_password = root_password
        self.actions = tuple(actions)
        #: :meth:`Provider.get_metrics` answers (CPU, network, disk graphs)
        self.metrics = metrics
        #: only servers running the cloud's monitoring agent have metrics
        self.metrics_need_agent = metrics_need_agent
        #: how to get the agent onto a server that lacks it (shown to people)
        self.metrics_agent_hint = metrics_agent_hint


class Provider(abc.ABC):
    """A cloud account vpsbot can manage.

    Reads may be retried and cached by implementations; writes are never retried
    blindly (see :meth:`create_instance`).
    """

    type: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    name: str

    @staticmethod
    @abc.abstractmethod
    def label_error(label: str) -> str | None:
        """Why ``label`` is not a valid server label here, or None if it is: a
        phrase that follows "The label " ("must be 3 to 64 characters long; this
        one has 2"), so the bot and the provider's own errors can both say it."""

    @staticmethod
    @abc.abstractmethod
    def password_error(password: str) -> str | None:
        """Why ``password`` is not an acceptable root password here, or None."""

    @abc.abstractmethod
    async def validate_credentials(self) -> None:
        """Raise :class:`~providers.errors.CredentialsError` unless the token works."""

    @abc.abstractmethod
    async def get_plans(self) -> list[Plan]: ...

    @abc.abstractmethod
    async def get_regions(self) -> list[Region]: ...

    @abc.abstractmethod
    async def get_images(self) -> list[Image]: ...

    @abc.abstractmethod
    async def get_deployment_options(self) -> list[DeploymentOption]:
        """1-Click apps (DigitalOcean) or StackScripts (Linode)."""

    @abc.abstractmethod
    async def list_ssh_keys(self) -> list[SSHKey]: ...

    async def list_vpcs(self) -> list[VPC]:
        return []

    @abc.abstractmethod
    async def create_instance(self, request: CreateRequest) -> Instance:
        """Create one server tagged ``request.tag``.

        If the answer is lost after the request was sent, look the server up by
        tag before giving up, so one call makes at most one server.
        """

    @abc.abstractmethod
    async def get_instance(self, instance_id: str) -> Instance: ...

    @abc.abstractmethod
    async def list_instances(self, *, tag: str | None = None) -> list[Instance]:
        """All servers of the account (following every page), or those with ``tag``."""

    async def find_by_tag(self, tag: str) -> Instance | None:
        found = await self.list_instances(tag=tag)
        return found[0] if found else None

    @abc.abstractmethod
    async def perform_action(
        self,
        instance_id: str,
        action: str,
        *,
        image: str | None = None,
        plan: str | None = None,
        root_password: str | None = None,
    ) -> ActionResult: ...

    @abc.abstractmethod
    async def get_action(self, instance_id: str, action_id: str) -> ActionResult: ...

    async def get_metrics(self, instance_id: str, start: datetime, end: datetime) -> ServerMetrics:
        """The server's CPU, network and disk series between ``start`` and ``end``.

        Only for providers whose ``capabilities.metrics`` is true: the others have
        nothing to read, and asking them is a programming error.
        """
        raise NotImplementedError(f"{self.type} publishes no metrics")

    @abc.abstractmethod
    async def delete_instance(self, instance_id: str) -> None: ...

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release what the provider holds (not the shared HTTP session)."""
