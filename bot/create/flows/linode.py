"""Linode's create steps: StackScripts with their user-defined fields; private IP."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticMultiSelectElement,
    StaticSelectElement,
)

from bot.core.blocks import esc
from bot.create.draft import Draft
from bot.create.flows.base import ProviderFlow, Toggle, keys_phrase
from providers.models import DeploymentOption, Image, ScriptField

__all__ = ["LinodeFlow", "udf_block_id"]

NO_SCRIPT = "none"
_MAX_SCRIPTS = 99


def _cut(text: str, limit: int = 75) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def udf_block_id(name: str) -> str:
    return f"udf:{name}"


def _field_block(field: ScriptField, current: Any, *, sealed: bool = False) -> InputBlock:
    block_id = udf_block_id(field.name)
    label = _cut(field.label or field.name, 2000)
    hint = PlainTextObject(text=f"e.g. {field.example}") if field.example else None
    element: Any
    if field.secret:
        # a secret is never shown back, not even to the person who typed it
        element = PlainTextInputElement(action_id=block_id, max_length=128)
        if sealed:
            hint = PlainTextObject(text="Already set; leave blank to keep it.")
        return InputBlock(
            block_id=block_id,
            label=label,
            element=element,
            optional=sealed or not field.required,
            hint=hint,
        )
    if field.oneof:
        options = [Option(value=v[:150], text=_cut(v)) for v in field.oneof[:100]]
        chosen = current if current is not None else field.default
        initial = next((o for o in options if o.value == chosen), None)
        element = StaticSelectElement(action_id=block_id, options=options, initial_option=initial)
    elif field.manyof:
        options = [Option(value=v[:150], text=_cut(v)) for v in field.manyof[:100]]
        if isinstance(current, list):
            chosen_many = current
        else:
            chosen_many = [v for v in (field.default or "").split(",") if v]
        initial_many = [o for o in options if o.value in chosen_many] or None
        element = StaticMultiSelectElement(
            action_id=block_id, options=options, initial_options=initial_many
        )
    else:
        value = current if isinstance(current, str) else field.default
        element = PlainTextInputElement(action_id=block_id, initial_value=value or None)
    return InputBlock(
        block_id=block_id,
        label=label,
        element=element,
        optional=not field.required,
        hint=hint,
    )


class LinodeFlow(ProviderFlow):
    type = "linode"
    deployment_title = "StackScript"
    deployment_hint = "A StackScript configures the server on first boot; skip for a plain OS."
    toggles = (Toggle("private_ip", "Private IP", "add a private IPv4 address in the region"),)
    password_hint = (
        "11 to 128 characters. Leave blank with SSH keys chosen for key-only access (Linode "
        "still needs a root password: a random one is set and never shown); with neither, "
        "one is generated and shown to you once."
    )

    def access(self, *, password: bool, ssh_keys: int) -> str:
        keys = keys_phrase(ssh_keys) if ssh_keys else ""
        if password:
            return "root password set by you" + (f" and {keys}" if keys else "")
        if keys:
            return f"{keys} only (a random root password is set and never shown)"
        return "a generated root password, shown to you once"

    def _script(self, draft: Draft, options: list[DeploymentOption]) -> DeploymentOption | None:
        return next((o for o in options if o.id == draft.deployment_id), None)

    def deployment_blocks(self, draft: Draft, options: list[DeploymentOption]) -> list[Block]:
        shown = options[:_MAX_SCRIPTS]
        none = Option(value=NO_SCRIPT, text="No StackScript — plain operating system")
        choices = [none] + [
            Option(
                value=o.id,
                text=_cut(o.name),
                description=_cut(o.description) if o.description else None,
            )
            for o in shown
        ]
        initial = next((c for c in choices if c.value == draft.deployment_id), none)
        blocks: list[Block] = [
            InputBlock(
                block_id="deployment",
                optional=True,
                dispatch_action=True,
                label=self.deployment_title,
                hint=PlainTextObject(text=self.deployment_hint),
                element=StaticSelectElement(
                    action_id="create_deployment_pick",
                    placeholder="Choose a StackScript (optional)",
                    options=choices,
                    initial_option=initial,
                ),
            )
        ]
        if len(options) > _MAX_SCRIPTS:
            blocks.append(
                ContextBlock(
                    elements=[
                        MarkdownTextObject(
                            text=f"Showing {_MAX_SCRIPTS} of {len(options)} StackScripts; "
                            "an admin can narrow the list with the allowlist."
                        )
                    ]
                )
            )
        script = self._script(draft, options)
        if script is not None:
            if script.fields:
                blocks.append(
                    ContextBlock(
                        elements=[
                            MarkdownTextObject(text=f"*{esc(_cut(script.name, 200))}* asks for:")
                        ]
                    )
                )
            blocks += [
                _field_block(
                    field,
                    draft.deployment_fields.get(field.name),
                    sealed=field.name in draft.secrets_sealed,
                )
                for field in script.fields[:40]
            ]
        return blocks

    def read_deployment(
        self,
        values: dict[str, Any],
        options: list[DeploymentOption],
        kept: frozenset[str] = frozenset(),
    ) -> tuple[str | None, dict[str, Any], dict[str, str]]:
        chosen = values.get("create_deployment_pick")
        if chosen in (None, NO_SCRIPT):
            return None, {}, {}
        script = next((o for o in options if o.id == chosen), None)
        if script is None:
            return None, {}, {"deployment": "That StackScript is no longer offered."}
        fields: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for field in script.fields:
            block_id = udf_block_id(field.name)
            if block_id not in values:
                if field.required:
                    # the fields of a newly chosen script are not on screen yet
                    errors["deployment"] = f"Fill in the fields {script.name} asks for."
                continue
            value = values[block_id]
            if value in (None, "", []):
                if field.required and not (field.secret and field.name in kept):
                    errors[block_id] = f"{field.label or field.name} is required."
                continue
            if field.oneof and value not in field.oneof:
                errors[block_id] = f"Choose one of: {', '.join(field.oneof)}"
                continue
            fields[field.name] = value
        return str(chosen), fields, errors

    def image_choices(
        self, draft: Draft, images: list[Image], options: list[DeploymentOption]
    ) -> list[Image] | None:
        script = self._script(draft, options)
        if script is None or not script.images or "any/all" in script.images:
            return images
        allowed = set(script.images)
        return [image for image in images if image.id in allowed]
