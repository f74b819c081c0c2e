"""DigitalOcean's create steps: 1-Click apps by category; monitoring, IPv6, VPC."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    OptionGroup,
    PlainTextObject,
    StaticSelectElement,
)

from bot.create.draft import Draft
from bot.create.flows.base import ProviderFlow, Toggle, keys_phrase
from providers.models import DeploymentOption, Image

__all__ = ["DigitalOceanFlow"]

NO_APP = "none"


def _cut(text: str, limit: int = 75) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DigitalOceanFlow(ProviderFlow):
    type = "digitalocean"
    deployment_title = "1-Click app"
    deployment_hint = "A 1-Click app is an image with the software installed; skip for a plain OS."
    toggles = (
        Toggle("monitoring", "Monitoring", "install the DigitalOcean metrics agent"),
        Toggle("ipv6", "IPv6", "assign a public IPv6 address"),
    )
    uses_vpc = True
    password_hint = (
        "Only if you want password access: it turns on SSH password login. With SSH keys "
        "chosen and this blank, root logs in by key only and password login stays off; "
        "with neither, a password is generated and shown to you once."
    )

    def access(self, *, password: bool, ssh_keys: int) -> str:
        """DigitalOcean sets a password (and turns on SSH password login) through
        cloud-config only when there is one to set."""
        keys = keys_phrase(ssh_keys) if ssh_keys else ""
        if password:
            return "root password set by you, SSH password login on" + (f"; {keys}" if keys else "")
        if keys:
            return f"{keys} only; no root password, SSH password login off"
        return "a generated root password (shown to you once), SSH password login on"

    def deployment_blocks(self, draft: Draft, options: list[DeploymentOption]) -> list[Block]:
        groups: dict[str, list[Option]] = defaultdict(list)
        for app in sorted(options, key=lambda o: (o.category or "Other", o.name.lower())):
            groups[app.category or "Other"].append(
                Option(
                    value=app.id,
                    text=_cut(app.name),
                    description=_cut(app.description) if app.description else None,
                )
            )
        plain = Option(value=NO_APP, text="No app — plain operating system")
        option_groups = [OptionGroup(label="Plain", options=[plain])]
        option_groups += [
            OptionGroup(label=_cut(name), options=opts[:100]) for name, opts in groups.items()
        ][:99]
        initial = plain
        for group in option_groups:
            for option in group.options or []:
                if option.value == draft.deployment_id:
                    initial = option
        return [
            InputBlock(
                block_id="deployment",
                optional=True,
                label=self.deployment_title,
                hint=PlainTextObject(text=self.deployment_hint),
                element=StaticSelectElement(
                    action_id="deployment",
                    placeholder="Choose an app (optional)",
                    option_groups=option_groups,
                    initial_option=initial,
                ),
            )
        ]

    def read_deployment(
        self,
        values: dict[str, Any],
        options: list[DeploymentOption],
        kept: frozenset[str] = frozenset(),
    ) -> tuple[str | None, dict[str, Any], dict[str, str]]:
        chosen = values.get("deployment")
        if chosen in (None, NO_APP):
            return None, {}, {}
        if not any(o.id == chosen for o in options):
            return None, {}, {"deployment": "That app is no longer offered; choose another."}
        return str(chosen), {}, {}

    def image_choices(
        self, draft: Draft, images: list[Image], options: list[DeploymentOption]
    ) -> list[Image] | None:
        return None if draft.deployment_id else images

    def deployment_image(self, draft: Draft, options: list[DeploymentOption]) -> str | None:
        app = next((o for o in options if o.id == draft.deployment_id), None)
        return (app.image or app.id) if app else None
