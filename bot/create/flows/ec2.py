"""Amazon EC2's create steps: nothing to deploy on the image; detailed monitoring.

EC2 servers start from a plain OS image (Ubuntu, Debian, Amazon Linux: the
images step), so the deployment step only says so. There is no backups add-on.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, SectionBlock

from bot.core.blocks import md
from bot.create.draft import Draft
from bot.create.flows.base import ProviderFlow, Toggle, keys_phrase
from providers.ec2 import Ec2Provider
from providers.models import DeploymentOption

__all__ = ["Ec2Flow"]


class Ec2Flow(ProviderFlow):
    type = Ec2Provider.type
    deployment_title = "Deployment"
    deployment_hint = "EC2 servers start from a plain operating system; choose it next."
    toggles = (
        Toggle("monitoring", "Detailed monitoring", "1-minute CloudWatch metrics (billed by AWS)"),
    )
    backups = Ec2Provider.capabilities.backups
    password_hint = (
        "Only if you want password access: it turns on SSH password login for root. With "
        "SSH keys chosen and this blank, root logs in by key only; with neither, a password "
        "is generated and shown to you once."
    )

    def deployment_blocks(self, draft: Draft, options: list[DeploymentOption]) -> list[Block]:
        return [SectionBlock(block_id="deployment", text=md(self.deployment_hint))]

    def read_deployment(
        self,
        values: dict[str, Any],
        options: list[DeploymentOption],
        kept: frozenset[str] = frozenset(),
    ) -> tuple[str | None, dict[str, Any], dict[str, str]]:
        return None, {}, {}

    def access(self, *, password: bool, ssh_keys: int) -> str:
        """Root's password is set (and SSH password login turned on) by cloud-init
        only when there is one, as on DigitalOcean."""
        keys = keys_phrase(ssh_keys) if ssh_keys else ""
        if password:
            return "root password set by you, SSH password login on" + (f"; {keys}" if keys else "")
        if keys:
            return f"{keys} only; no root password, SSH password login off"
        return "a generated root password (shown to you once), SSH password login on"
