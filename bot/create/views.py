"""Pure builders of the create modal's steps (slack_sdk.models checks Slack's limits).

Each builder takes plain data and returns a :class:`View`; nothing here talks to
Slack, a provider or the database. The data and the frame every step shares are
:mod:`bot.create.frame`; the review is :mod:`bot.create.review`; the modal's
messages are :mod:`bot.create.messages` (all re-exported here for callers).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.core.blocks import (
    cut,
    esc,
    grouped,
    image_options,
    image_text,
    md,
    plan_option,
)
from bot.core.names import provider_title
from bot.core.pricing import backups_note
from bot.create.channels import CHANNEL_BLOCK, channel_block
from bot.create.draft import LABEL_LIMIT
from bot.create.elsewhere import elsewhere_blocks
from bot.create.frame import (
    BACK_ACTION,
    CALLBACK_PREFIX,
    LABEL_BLOCK,
    MAX_STATIC_OPTIONS,
    ProviderChoice,
    StepData,
    back_button,
    modal,
    progress,
    with_errors,
)
from bot.create.leases import lease_block
from bot.create.messages import (
    checking_view,
    creating_view,
    done_view,
    failed_view,
    loading_view,
    message_view,
    password_lost_view,
)
from bot.create.review import access_summary, review_lines, review_view
from providers.registry import capabilities_for

__all__ = [
    "BACK_ACTION",
    "CALLBACK_PREFIX",
    "LABEL_BLOCK",
    "MAX_STATIC_OPTIONS",
    "ProviderChoice",
    "StepData",
    "access_summary",
    "checking_view",
    "config_view",
    "creating_view",
    "deployment_view",
    "done_view",
    "failed_view",
    "image_view",
    "loading_view",
    "message_view",
    "password_lost_view",
    "plan_step",
    "plan_view",
    "review_lines",
    "review_view",
    "view_for",
]


def _region_options(data: StepData) -> list[Option]:
    """Regions that can run the chosen plan, each with its price where it differs."""
    plan = data.plan
    options = []
    for region in data.regions:
        if not (plan.runs_in(region) if plan is not None else region.available):
            continue
        text = f"{region.name} ({region.id})"
        if plan is not None and plan.varies():
            text += f" — ${plan.monthly_in(region.id):.2f}/mo"
        options.append(Option(value=region.id[:150], text=cut(text)))
    return options[:MAX_STATIC_OPTIONS]


def plan_view(data: StepData) -> View:
    draft = data.draft
    provider_options = [
        Option(value=p.id, text=cut(provider_title(p.name, p.type))) for p in data.providers
    ][:MAX_STATIC_OPTIONS]
    blocks: list[Block] = [
        progress(data, "plan"),
        InputBlock(
            block_id="provider",
            label="Provider",
            dispatch_action=True,
            element=StaticSelectElement(
                action_id="create_provider",
                options=provider_options,
                initial_option=next(
                    (o for o in provider_options if o.value == draft.provider_id), None
                ),
            ),
        ),
        _label_block(data),
    ]
    blocks.append(_plan_block(data))
    if not data.plans and data.provider:
        blocks.append(
            ContextBlock(elements=[md("No plans are offered for this provider yet; ask an admin.")])
        )
    blocks += _region_blocks(data)
    return modal("plan", with_errors(blocks, draft.errors))


def _label_block(data: StepData) -> InputBlock:
    """The label, with the chosen provider's own rule as its hint; nothing typed is
    cut short (a label past the rule keeps its length and is refused at the field)."""
    caps = capabilities_for(data.provider.type) if data.provider else None
    rule = caps.label_rule if caps and caps.label_rule else "A name for the server."
    longest = max(caps.label_max if caps else 64, len(data.draft.label))
    return InputBlock(
        block_id=LABEL_BLOCK,
        label="Label",
        hint=PlainTextObject(text=rule),
        element=PlainTextInputElement(
            action_id="label",
            initial_value=data.draft.label or None,
            max_length=min(longest, LABEL_LIMIT),
        ),
    )


def _plan_block(data: StepData) -> InputBlock:
    """The plan pick: a static list, or a search past Slack's option limit."""
    plan_element: Any
    if len(data.plans) > MAX_STATIC_OPTIONS:
        chosen = data.plan
        plan_element = ExternalDataSelectElement(
            action_id="create_plan",
            min_query_length=0,
            placeholder="Type to search plans",
            initial_option=plan_option(chosen) if chosen else None,
        )
    else:
        options = [plan_option(p) for p in data.plans]
        groups = grouped(data.plans, options)
        plan_element = StaticSelectElement(
            action_id="create_plan",
            placeholder="Choose a plan",
            options=None if groups else options or [Option(value="none", text="No plans offered")],
            option_groups=groups,
            initial_option=next((o for o in options if o.value == data.draft.plan_id), None),
        )
    return InputBlock(block_id="plan", label="Plan", dispatch_action=True, element=plan_element)


def _region_blocks(data: StepData) -> list[Block]:
    """The regions the chosen plan runs in with its price, or why there are none."""
    draft = data.draft
    regions = _region_options(data)
    if data.plan and regions:
        return [
            InputBlock(
                block_id="region",
                label="Region",
                element=StaticSelectElement(
                    action_id="region",
                    options=regions,
                    initial_option=next((o for o in regions if o.value == draft.region), None),
                ),
            ),
            SectionBlock(
                text=md(
                    f"*{esc(data.plan.headline())}*"
                    + (f" · {data.plan.transfer_gb:,} GB transfer" if data.plan.transfer_gb else "")
                    + "\n"
                    f"*Price:* {data.plan.price(draft.region)}"
                )
            ),
            *elsewhere_blocks(data.elsewhere),
        ]
    if data.plan:
        return [ContextBlock(elements=[md("This plan is not available in any region.")])]
    return [ContextBlock(elements=[md("Choose a plan to see the regions it runs in.")])]


def deployment_view(data: StepData) -> View:
    assert data.flow is not None
    blocks: list[Block] = [progress(data, "deployment")]
    blocks += data.flow.deployment_blocks(data.draft, data.deployments)
    blocks.append(back_button("deployment"))
    return modal("deployment", with_errors(blocks, data.draft.errors))


#: How far ahead an image's end of life is shown next to its name.
def image_view(data: StepData) -> View:
    images = data.images or []
    draft = data.draft
    blocks: list[Block] = [progress(data, "image")]
    element: Any
    if len(images) > MAX_STATIC_OPTIONS:
        chosen = next((i for i in images if i.id == draft.image), None)
        element = ExternalDataSelectElement(
            action_id="image",
            min_query_length=0,
            placeholder=f"Type to search {len(images)} images",
            initial_option=Option(value=chosen.id[:150], text=image_text(chosen))
            if chosen
            else None,
        )
    elif images:
        groups = image_options(images)
        initial = next(
            (o for g in groups for o in (g.options or []) if o.value == draft.image), None
        )
        element = StaticSelectElement(
            action_id="image",
            placeholder="Choose an operating system",
            option_groups=groups,
            initial_option=initial,
        )
    else:
        blocks.append(
            SectionBlock(
                text=md(
                    "No compatible image is available; go back and "
                    "choose another deployment option."
                )
            )
        )
        blocks.append(back_button("image"))
        return modal("image", blocks, submit=None)
    blocks.append(InputBlock(block_id="image", label="Operating system", element=element))
    blocks.append(back_button("image"))
    return modal("image", with_errors(blocks, draft.errors))


def config_view(data: StepData) -> View:
    assert data.flow is not None
    draft = data.draft
    password_hint = (
        "A password is already set; leave blank to keep it."
        if draft.password_sealed
        else data.flow.password_hint
    )
    blocks: list[Block] = [
        progress(data, "config"),
        InputBlock(
            block_id="password",
            label="Root password",
            optional=True,
            hint=PlainTextObject(text=password_hint),
            element=PlainTextInputElement(action_id="password", max_length=128),
        ),
        _ssh_keys_block(data),
        _options_block(data),
    ]
    if (vpc := _vpc_block(data)) is not None:
        blocks.append(vpc)
    if data.leases:
        blocks.append(lease_block(data))
    blocks.append(back_button("config"))
    return modal("config", with_errors(blocks, draft.errors))


def _ssh_keys_block(data: StepData) -> Block:
    """The account's SSH keys to put on the server (or a note that there are none)."""
    if not data.ssh_keys:
        return ContextBlock(elements=[md("No SSH keys on this provider account.")])
    key_options = [
        Option(value=k.id[:150], text=cut(k.name or k.fingerprint or k.id)) for k in data.ssh_keys
    ][:MAX_STATIC_OPTIONS]
    return InputBlock(
        block_id="ssh_keys",
        label="SSH keys",
        optional=True,
        element=StaticMultiSelectElement(
            action_id="ssh_keys",
            placeholder="Keys from the provider account",
            options=key_options,
            initial_options=[o for o in key_options if o.value in data.draft.ssh_key_ids] or None,
        ),
    )


def _options_block(data: StepData) -> InputBlock:
    """Backups (with their price) and the flow's toggles, as checkboxes."""
    assert data.flow is not None
    draft = data.draft
    toggles = [
        Option(
            value="backups",
            text="Backups",
            description=cut(backups_note(data.plan, draft.region)),
        )
    ]
    toggles = toggles if data.flow.backups else []
    toggles += [
        Option(value=t.key, text=t.label, description=cut(t.description) or None)
        for t in data.flow.toggles
    ]
    on = {"backups"} if draft.backups else set()
    on |= {key for key, value in draft.options.items() if value is True}
    return InputBlock(
        block_id="options",
        label="Options",
        optional=True,
        element=CheckboxesElement(
            action_id="options",
            options=toggles,
            initial_options=[o for o in toggles if o.value in on] or None,
        ),
    )


def _vpc_block(data: StepData) -> InputBlock | None:
    """The VPCs of the chosen region, where the flow uses them and there are some."""
    assert data.flow is not None
    if not data.flow.uses_vpc:
        return None
    vpcs = data.flow.vpcs_for(data.vpcs, data.draft.region)
    if not vpcs:
        return None
    vpc_options = [Option(value=v.id[:150], text=cut(v.name)) for v in vpcs][:MAX_STATIC_OPTIONS]
    return InputBlock(
        block_id="vpc",
        label="VPC",
        optional=True,
        hint=PlainTextObject(text="Leave empty for the region's default VPC."),
        element=StaticSelectElement(
            action_id="vpc",
            options=vpc_options,
            initial_option=next(
                (o for o in vpc_options if o.value == data.draft.options.get("vpc_id")), None
            ),
        ),
    )


def plan_step(data: StepData) -> View:
    """Step 1, with the pick of the card's channel (and its error under it) when the
    draft offers one: a create from the Home tab where several channels are allowed."""
    draft = data.draft
    if not draft.channel_choices:
        return plan_view(data)
    why = draft.errors.get(CHANNEL_BLOCK)
    rest = {k: v for k, v in draft.errors.items() if k != CHANNEL_BLOCK}
    view = plan_view(replace(data, draft=draft.model_copy(update={"errors": rest})))
    blocks = list(view.blocks or [])
    at = next((i + 1 for i, b in enumerate(blocks) if b.block_id == LABEL_BLOCK), len(blocks))
    picked: list[Block] = [channel_block(tuple(draft.channel_choices), draft.channel)]
    if why:
        picked.append(ContextBlock(elements=[md(f":warning: {why}")]))
    blocks[at:at] = picked
    view.blocks = blocks
    return view


def view_for(step: str, data: StepData) -> View:
    builders = {
        "plan": plan_step,
        "deployment": deployment_view,
        "image": image_view,
        "config": config_view,
        "review": review_view,
    }
    return builders[step](data)
