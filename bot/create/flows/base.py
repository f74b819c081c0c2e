"""What differs per provider in the create modal, declared once per provider.

A :class:`ProviderFlow` says how the deployment step looks and reads, whether the
image step applies, which extra configuration options exist, and where a
provider's field error belongs. The listeners and views are generic; adding a
provider means adding a flow here and a client in ``providers/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from slack_sdk.models.blocks import Block

from bot.create.draft import Draft
from providers.models import VPC, DeploymentOption, Image

__all__ = ["FieldSpot", "ProviderFlow", "Toggle", "flatten_state", "keys_phrase"]


def keys_phrase(count: int) -> str:
    """``1 SSH key``, ``2 SSH keys``."""
    return f"{count} SSH key" + ("" if count == 1 else "s")


@dataclass(frozen=True)
class Toggle:
    """A yes/no configuration option (checkbox) the provider supports."""

    key: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class FieldSpot:
    """Where a provider's field lives in the modal: step and block id."""

    step: str
    block_id: str


def flatten_state(values: Any) -> dict[str, Any]:
    """Flatten Slack's ``view.state.values`` to ``{action_id: plain value}``.

    Untrusted input: anything that is not the shape Slack sends is skipped.
    """
    flat: dict[str, Any] = {}
    for block in values.values() if isinstance(values, dict) else ():
        if not isinstance(block, dict):
            continue
        for action_id, element in block.items():
            if not isinstance(element, dict):
                continue
            kind = element.get("type")
            if kind in ("static_select", "external_select", "radio_buttons"):
                option = element.get("selected_option")
                value = option.get("value") if isinstance(option, dict) else None
                flat[action_id] = value if isinstance(value, str) else None
            elif kind in ("multi_static_select", "multi_external_select", "checkboxes"):
                options = element.get("selected_options")
                flat[action_id] = [
                    o["value"]
                    for o in (options if isinstance(options, list) else [])
                    if isinstance(o, dict) and isinstance(o.get("value"), str)
                ]
            else:
                value = element.get("value")
                flat[action_id] = value if isinstance(value, str) else None
    return flat


class ProviderFlow:
    """Base flow: steps shared by every provider, hooks for what differs."""

    type: ClassVar[str]
    deployment_title: ClassVar[str]
    deployment_hint: ClassVar[str]
    toggles: ClassVar[tuple[Toggle, ...]] = ()
    uses_vpc: ClassVar[bool] = False
    #: the provider sells a backups add-on (the Backups option is offered)
    backups: ClassVar[bool] = True
    #: under the root password field of the config step
    password_hint: ClassVar[str] = (
        "Leave blank to have a strong one generated and shown to you once."
    )
    #: normalised provider error field (a CreateRequest name) -> where it is shown
    field_spots: ClassVar[dict[str, FieldSpot]] = {
        "label": FieldSpot("plan", "label"),
        "region": FieldSpot("plan", "region"),
        "plan": FieldSpot("plan", "plan"),
        "image": FieldSpot("image", "image"),
        "deployment_id": FieldSpot("deployment", "deployment"),
        "deployment_data": FieldSpot("deployment", "deployment"),
        "root_password": FieldSpot("config", "password"),
        "ssh_key_ids": FieldSpot("config", "ssh_keys"),
        "vpc_id": FieldSpot("config", "vpc"),
    }

    def deployment_blocks(
        self, draft: Draft, options: list[DeploymentOption]
    ) -> list[Block]:  # pragma: no cover - abstract
        raise NotImplementedError

    def read_deployment(
        self,
        values: dict[str, Any],
        options: list[DeploymentOption],
        kept: frozenset[str] = frozenset(),
    ) -> tuple[str | None, dict[str, Any], dict[str, str]]:  # pragma: no cover - abstract
        """(deployment id, fields, errors by block id) from the submitted step.

        ``kept``: secret fields already sealed in the draft; left blank, they keep
        their value rather than count as missing."""
        raise NotImplementedError

    def image_choices(
        self, draft: Draft, images: list[Image], options: list[DeploymentOption]
    ) -> list[Image] | None:
        """Images offered for the draft; None when the image step does not apply."""
        return images

    def deployment_image(self, draft: Draft, options: list[DeploymentOption]) -> str | None:
        """The image implied by the deployment choice (a 1-Click app is its image)."""
        return None

    def vpcs_for(self, vpcs: list[VPC], region: str | None) -> list[VPC]:
        return [vpc for vpc in vpcs if region is None or vpc.region == region]

    def spot(self, field: str | None) -> FieldSpot:
        if field is None:
            return FieldSpot("review", "review")
        head = field.split(".", 1)[0].split("[", 1)[0]
        return self.field_spots.get(head, FieldSpot("review", "review"))

    def access(self, *, password: bool, ssh_keys: int) -> str:
        """How root can log in, for the review: a generated password is made (and
        shown once) only when neither a password nor an SSH key was chosen."""
        keys = keys_phrase(ssh_keys) if ssh_keys else ""
        if password:
            return "root password set by you" + (f" and {keys}" if keys else "")
        if keys:
            return f"{keys} only"
        return "a generated root password, shown to you once"

    def deployment_summary(self, draft: Draft, options: list[DeploymentOption]) -> str:
        chosen = next((o for o in options if o.id == draft.deployment_id), None)
        return chosen.name if chosen else "None (plain OS)"

    def field_lines(self, draft: Draft, options: list[DeploymentOption]) -> list[tuple[str, str]]:
        """The deployment's fields as the review shows them: each by its label, in
        the order the script declares them; a secret says only that it is set."""
        chosen = next((o for o in options if o.id == draft.deployment_id), None)
        if chosen is None:
            return []
        lines = []
        for field in chosen.fields:
            label = field.label or field.name
            if field.name in draft.secrets_sealed:
                lines.append((label, "set (hidden)"))
                continue
            value = draft.deployment_fields.get(field.name)
            if isinstance(value, list):
                value = ", ".join(value)
            if value not in (None, ""):
                lines.append((label, str(value)))
        return lines
