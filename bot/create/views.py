"""Pure builders of the create modal's views (slack_sdk.models checks Slack's limits).

Each builder takes plain data and returns a :class:`View`; nothing here talks to
Slack, a provider or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
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
    MAX_OPTIONS,
    PlanChoice,
    cut,
    image_options,
    image_text,
    md,
    plan_option,
)
from bot.create.draft import Draft
from bot.create.flows import ProviderFlow
from providers.models import VPC, DeploymentOption, Image, Region, SSHKey

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
    "plan_view",
    "review_lines",
    "review_view",
    "view_for",
]

CALLBACK_PREFIX = "vps_create:"
MAX_STATIC_OPTIONS = MAX_OPTIONS
TITLE = "New server"
BACK_ACTION = "vps_create_back"
#: The block of step 1 that holds the server's label.
LABEL_BLOCK = "label"
_STEP_NAMES = {
    "plan": "Plan",
    "deployment": "Deployment",
    "image": "Operating system",
    "config": "Configuration",
    "review": "Review",
}


@dataclass(frozen=True)
class ProviderChoice:
    id: str
    name: str
    type: str


@dataclass
class StepData:
    """Everything a step's view shows: the draft plus the catalogues it needs."""

    draft: Draft
    providers: list[ProviderChoice] = field(default_factory=list)
    flow: ProviderFlow | None = None
    plans: list[PlanChoice] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    deployments: list[DeploymentOption] = field(default_factory=list)
    images: list[Image] | None = None
    ssh_keys: list[SSHKey] = field(default_factory=list)
    vpcs: list[VPC] = field(default_factory=list)
    steps: tuple[str, ...] = ("plan", "deployment", "image", "config", "review")
    #: the review's spend section (cost, budget left, approval), from bot.spend.guard
    spend: list[str] = field(default_factory=list)
    #: leases the policy lets this member pick (hours; None = no expiry), config step
    leases: tuple[int | None, ...] = ()

    @property
    def provider(self) -> ProviderChoice | None:
        return next((p for p in self.providers if p.id == self.draft.provider_id), None)

    @property
    def plan(self) -> PlanChoice | None:
        return next((p for p in self.plans if p.id == self.draft.plan_id), None)


def _modal(step: str, blocks: list[Block], *, submit: str | None = "Next") -> View:
    return View(
        type="modal",
        callback_id=CALLBACK_PREFIX + step,
        title=PlainTextObject(text=TITLE),
        submit=PlainTextObject(text=submit) if submit else None,
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )


def _progress(data: StepData, step: str) -> ContextBlock:
    position = data.steps.index(step) + 1 if step in data.steps else len(data.steps)
    provider = data.provider
    where = f" · {provider.name}" if provider else ""
    return ContextBlock(
        elements=[md(f"Step {position} of {len(data.steps)} · *{_STEP_NAMES[step]}*{where}")]
    )


def _back(step: str) -> ActionsBlock:
    return ActionsBlock(
        block_id="nav",
        elements=[ButtonElement(action_id=BACK_ACTION, text="← Back", value=step)],
    )


def _with_errors(blocks: list[Block], errors: dict[str, str]) -> list[Block]:
    """Put a provider's complaint right under the block it is about."""
    if not errors:
        return blocks
    out: list[Block] = []
    placed: set[str] = set()
    for block in blocks:
        out.append(block)
        if block.block_id in errors:
            out.append(ContextBlock(elements=[md(f":warning: {errors[block.block_id]}")]))
            placed.add(block.block_id)
    leftover = [message for key, message in errors.items() if key not in placed]
    if leftover:
        out.insert(1, SectionBlock(text=md(":warning: " + " ".join(leftover))))
    return out


def _region_options(data: StepData) -> list[Option]:
    """Regions that can run the chosen plan, each with its price where it differs."""
    plan = data.plan
    allowed = set(plan.regions) if plan and plan.regions else None
    options = []
    for region in data.regions:
        if not region.available or (allowed is not None and region.id not in allowed):
            continue
        text = f"{region.name} ({region.id})"
        if plan is not None and plan.varies():
            text += f" — ${plan.monthly_in(region.id):.2f}/mo"
        options.append(Option(value=region.id[:150], text=cut(text)))
    return options[:MAX_STATIC_OPTIONS]


def plan_view(data: StepData) -> View:
    draft = data.draft
    provider_options = [
        Option(value=p.id, text=cut(f"{p.name} ({p.type})")) for p in data.providers
    ][:MAX_STATIC_OPTIONS]
    blocks: list[Block] = [
        _progress(data, "plan"),
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
        InputBlock(
            block_id=LABEL_BLOCK,
            label="Label",
            hint=PlainTextObject(
                text="3 to 64 characters: letters, digits, '-', '_' or '.', starting with a letter"
            ),
            element=PlainTextInputElement(
                action_id="label", initial_value=draft.label or None, max_length=64
            ),
        ),
    ]
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
        plan_element = StaticSelectElement(
            action_id="create_plan",
            placeholder="Choose a plan",
            options=options or [Option(value="none", text="No plans offered")],
            initial_option=next((o for o in options if o.value == draft.plan_id), None),
        )
    blocks.append(
        InputBlock(block_id="plan", label="Plan", dispatch_action=True, element=plan_element)
    )
    if not data.plans and data.provider:
        blocks.append(
            ContextBlock(elements=[md("No plans are offered for this provider yet; ask an admin.")])
        )
    regions = _region_options(data)
    if data.plan and regions:
        blocks.append(
            InputBlock(
                block_id="region",
                label="Region",
                element=StaticSelectElement(
                    action_id="region",
                    options=regions,
                    initial_option=next((o for o in regions if o.value == draft.region), None),
                ),
            )
        )
        blocks.append(
            SectionBlock(
                text=md(
                    f"*{data.plan.name}*: {data.plan.summary()}\n"
                    f"*Price:* {data.plan.price(draft.region)}"
                )
            )
        )
    elif data.plan:
        blocks.append(ContextBlock(elements=[md("This plan is not available in any region.")]))
    else:
        blocks.append(ContextBlock(elements=[md("Choose a plan to see the regions it runs in.")]))
    return _modal("plan", _with_errors(blocks, draft.errors))


def deployment_view(data: StepData) -> View:
    assert data.flow is not None
    blocks: list[Block] = [_progress(data, "deployment")]
    blocks += data.flow.deployment_blocks(data.draft, data.deployments)
    blocks.append(_back("deployment"))
    return _modal("deployment", _with_errors(blocks, data.draft.errors))


#: How far ahead an image's end of life is shown next to its name.
def image_view(data: StepData) -> View:
    images = data.images or []
    draft = data.draft
    blocks: list[Block] = [_progress(data, "image")]
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
        blocks.append(_back("image"))
        return _modal("image", blocks, submit=None)
    blocks.append(InputBlock(block_id="image", label="Operating system", element=element))
    blocks.append(_back("image"))
    return _modal("image", _with_errors(blocks, draft.errors))


def config_view(data: StepData) -> View:
    assert data.flow is not None
    draft = data.draft
    password_hint = (
        "A password is already set; leave blank to keep it."
        if draft.password_sealed
        else data.flow.password_hint
    )
    blocks: list[Block] = [
        _progress(data, "config"),
        InputBlock(
            block_id="password",
            label="Root password",
            optional=True,
            hint=PlainTextObject(text=password_hint),
            element=PlainTextInputElement(action_id="password", max_length=128),
        ),
    ]
    if data.ssh_keys:
        key_options = [
            Option(value=k.id[:150], text=cut(k.name or k.fingerprint or k.id))
            for k in data.ssh_keys
        ][:MAX_STATIC_OPTIONS]
        blocks.append(
            InputBlock(
                block_id="ssh_keys",
                label="SSH keys",
                optional=True,
                element=StaticMultiSelectElement(
                    action_id="ssh_keys",
                    placeholder="Keys from the provider account",
                    options=key_options,
                    initial_options=[o for o in key_options if o.value in draft.ssh_key_ids]
                    or None,
                ),
            )
        )
    else:
        blocks.append(ContextBlock(elements=[md("No SSH keys on this provider account.")]))
    toggles = [Option(value="backups", text="Backups", description="automatic provider backups")]
    toggles += [
        Option(value=t.key, text=t.label, description=cut(t.description) or None)
        for t in data.flow.toggles
    ]
    on = {"backups"} if draft.backups else set()
    on |= {key for key, value in draft.options.items() if value is True}
    blocks.append(
        InputBlock(
            block_id="options",
            label="Options",
            optional=True,
            element=CheckboxesElement(
                action_id="options",
                options=toggles,
                initial_options=[o for o in toggles if o.value in on] or None,
            ),
        )
    )
    if data.flow.uses_vpc:
        vpcs = data.flow.vpcs_for(data.vpcs, draft.region)
        if vpcs:
            vpc_options = [Option(value=v.id[:150], text=cut(v.name)) for v in vpcs][
                :MAX_STATIC_OPTIONS
            ]
            blocks.append(
                InputBlock(
                    block_id="vpc",
                    label="VPC",
                    optional=True,
                    hint=PlainTextObject(text="Leave empty for the region's default VPC."),
                    element=StaticSelectElement(
                        action_id="vpc",
                        options=vpc_options,
                        initial_option=next(
                            (o for o in vpc_options if o.value == draft.options.get("vpc_id")),
                            None,
                        ),
                    ),
                )
            )
    if data.leases:
        blocks.append(_lease_block(data))
    blocks.append(_back("config"))
    return _modal("config", _with_errors(blocks, draft.errors))


def access_summary(data: StepData) -> str:
    """How root will get in, as the review states it (see ``ProviderFlow.access``)."""
    draft = data.draft
    if data.flow is None:
        return "—"
    return data.flow.access(
        password=draft.password_sealed is not None, ssh_keys=len(draft.ssh_key_ids)
    )


def lease_text(hours: int | None) -> str:
    """``7 days``, ``36 hours``, ``No expiry``."""
    if hours is None:
        return "No expiry"
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day" if days == 1 else f"{days} days"
    return f"{hours} hours"


def _lease_block(data: StepData) -> InputBlock:
    """The lease select: what the policy allows, the draft's choice (else the
    policy's default, listed first) selected."""
    options = [
        Option(value="none" if h is None else str(h), text=lease_text(h)) for h in data.leases
    ][:MAX_STATIC_OPTIONS]
    draft = data.draft
    chosen = "none" if draft.no_expiry else str(draft.lease_hours or data.leases[0])
    return InputBlock(
        block_id="lease",
        label="Lease",
        hint=PlainTextObject(
            text="When the server's lease ends; you are reminded before and can extend it."
        ),
        element=StaticSelectElement(
            action_id="lease",
            options=options,
            initial_option=next((o for o in options if o.value == chosen), options[0]),
        ),
    )


def review_lines(data: StepData) -> list[tuple[str, str]]:
    draft = data.draft
    provider = data.provider
    plan = data.plan
    flow = data.flow
    image = draft.image or "—"
    if data.images:
        image = next((i.name for i in data.images if i.id == draft.image), image)
    rows = [
        ("Provider", f"{provider.name} ({provider.type})" if provider else "—"),
        ("Label", draft.label),
        ("Plan", f"{plan.provider_plan_id} ({plan.summary()})" if plan else "—"),
        ("Region", draft.region or "—"),
        (
            flow.deployment_title if flow else "Deployment",
            flow.deployment_summary(draft, data.deployments) if flow else "—",
        ),
        ("Operating system", image),
        ("Access", access_summary(data)),
        ("Backups", "yes" if draft.backups else "no"),
    ]
    if draft.no_expiry or draft.lease_hours:
        rows.append(("Lease", lease_text(None if draft.no_expiry else draft.lease_hours)))
    if flow:
        for toggle in flow.toggles:
            rows.append((toggle.label, "yes" if draft.options.get(toggle.key) else "no"))
        if flow.uses_vpc:
            vpc = next((v.name for v in data.vpcs if v.id == draft.options.get("vpc_id")), None)
            rows.append(("VPC", vpc or "region default"))
    if draft.deployment_fields or draft.secrets_sealed:
        typed = {
            k: ",".join(v) if isinstance(v, list) else str(v)
            for k, v in draft.deployment_fields.items()
        }
        # secrets are masked: the review shows that one is set, never what it is
        typed.update({k: "••••••" for k in draft.secrets_sealed})
        shown = ", ".join(f"{k}={v}" for k, v in sorted(typed.items()))
        rows.append(("Script fields", cut(shown, 500)))
    return rows


def review_view(data: StepData) -> View:
    plan = data.plan
    rows = review_lines(data)
    text = "\n".join(f"*{name}:* {value}" for name, value in rows)
    blocks: list[Block] = [
        _progress(data, "review"),
        SectionBlock(block_id="review", text=md(cut(text, 3000))),
        DividerBlock(),
        SectionBlock(
            block_id="price",
            text=md(
                "\n".join(data.spend)
                if data.spend
                else (
                    f"*Price in {data.draft.region}:* {plan.price(data.draft.region)}"
                    if plan and data.draft.region
                    else (f"*Price:* {plan.price()}" if plan else "*Price:* —")
                )
            ),
        ),
        _back("review"),
    ]
    asks = any(line.startswith(":raised_hand:") for line in data.spend)
    submit = "Ask for approval" if asks else "Create"
    return _modal("review", _with_errors(blocks, data.draft.errors), submit=submit)


def loading_view(step: str, what: str) -> View:
    return _modal(
        step,
        [SectionBlock(text=md(f":hourglass_flowing_sand: Loading {what}…"))],
        submit=None,
    )


def creating_view(label: str, provider_name: str) -> View:
    return message_view(
        f":gear: Creating *{label}* on {provider_name}… this window updates when the provider "
        "answers."
    )


def done_view(label: str, provider_name: str, channel_id: str | None) -> View:
    where = f" in <#{channel_id}>" if channel_id else ""
    return message_view(
        f":white_check_mark: *{label}* is being created on {provider_name}. "
        f"Follow its status{where}."
    )


def checking_view(label: str, provider_name: str, channel_id: str | None) -> View:
    """The create was sent but its answer was lost: say what is known."""
    where = f" in <#{channel_id}>" if channel_id else ""
    return message_view(
        f":hourglass_flowing_sand: {provider_name} did not confirm *{label}*. vpsbot is "
        f"checking with {provider_name} whether it was created (by its tag) and will say "
        f"so here and{where or ' in its status message'}. Nothing is sent twice."
    )


def password_lost_view(label: str, provider_name: str, channel_id: str | None) -> View:
    """The server exists but Slack would not take its generated password."""
    where = f" in <#{channel_id}>" if channel_id else ""
    return message_view(
        f":warning: *{label}* is being created on {provider_name}{where}, but Slack did not "
        "let vpsbot show you its generated root password, and vpsbot does not keep it. "
        f"Set a new one with *Rebuild* from `/vps show {label}` (or log in with an SSH key)."
    )


def failed_view(message: str) -> View:
    return message_view(f":x: {message}")


def message_view(text: str) -> View:
    return View(
        type="modal",
        callback_id=CALLBACK_PREFIX + "message",
        title=PlainTextObject(text=TITLE),
        close=PlainTextObject(text="Close"),
        blocks=[SectionBlock(text=md(cut(text, 3000)))],
    )


def view_for(step: str, data: StepData) -> View:
    builders = {
        "plan": plan_view,
        "deployment": deployment_view,
        "image": image_view,
        "config": config_view,
        "review": review_view,
    }
    return builders[step](data)
