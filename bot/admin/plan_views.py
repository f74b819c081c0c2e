"""The plans and allowlist screens of `/vps admin`: a provider's plans a page at a
time, the import and markup forms, and which 1-Click apps / StackScripts users
may deploy.

Pure builders like :mod:`bot.admin.views`; plan ids in menus and metadata are
untrusted on return and looked up again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    Option,
    OptionGroup,
    OverflowMenuElement,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.admin.views import (
    ALLOW,
    IMPORT,
    IMPORT_ACTION,
    MARKUP,
    PAGE_ACTION,
    PLAN_ACTION,
    PLANS,
    Notice,
    ProviderStatus,
    modal,
    notice_blocks,
)
from bot.core.blocks import MAX_OPTIONS, cut, esc, md
from providers.models import DeploymentOption

__all__ = [
    "PLANS_PAGE_SIZE",
    "PlanRow",
    "allowlist_view",
    "import_view",
    "markup_view",
    "plans_view",
]

PLANS_PAGE_SIZE = 40
_MAX_GROUPS = 100


@dataclass(frozen=True)
class PlanRow:
    id: str
    provider_plan_id: str
    name: str
    base_price: Decimal
    markup_price: Decimal
    active: bool
    vcpus: int = 0
    memory_mb: int = 0
    disk_gb: int = 0

    @property
    def monthly(self) -> Decimal:
        return self.base_price + self.markup_price

    def summary(self) -> str:
        memory = (
            f"{self.memory_mb / 1024:g} GB" if self.memory_mb >= 1024 else f"{self.memory_mb} MB"
        )
        return f"{self.vcpus} vCPU · {memory} RAM · {self.disk_gb} GB disk"


def _markup_inputs(kind: str, value: str | None) -> list[Block]:
    kinds = [
        Option(value="percent", text="Percent of the base price"),
        Option(value="amount", text="Fixed amount (USD a month)"),
    ]
    return [
        InputBlock(
            block_id="markup_kind",
            label="Markup",
            element=RadioButtonsElement(
                action_id="markup_kind",
                options=kinds,
                initial_option=next((o for o in kinds if o.value == kind), kinds[0]),
            ),
        ),
        InputBlock(
            block_id="markup",
            label="Value",
            hint=PlainTextObject(text="A number ≥ 0, e.g. 20 (percent) or 1.50 (USD)"),
            element=PlainTextInputElement(
                action_id="markup", initial_value=value or None, max_length=12
            ),
        ),
    ]


# ---------------------------------------------------------------------------- plans


def _plan_block(plan: PlanRow) -> Block:
    state = ":white_check_mark: offered" if plan.active else ":no_entry_sign: disabled"
    text = (
        f"*{esc(plan.name)}* `{esc(plan.provider_plan_id)}` — {plan.summary()}\n"
        f"${plan.base_price:.2f} + ${plan.markup_price:.2f} markup = "
        f"*${plan.monthly:.2f}/mo* · {state}"
    )
    options = [
        Option(value=f"markup:{plan.id}", text="Edit markup"),
        Option(value=f"disable:{plan.id}", text="Disable")
        if plan.active
        else Option(value=f"enable:{plan.id}", text="Enable"),
    ]
    return SectionBlock(
        block_id=f"plan:{plan.id}",
        text=md(text),
        accessory=OverflowMenuElement(action_id=PLAN_ACTION, options=options),
    )


def plans_view(
    p: ProviderStatus,
    plans: list[PlanRow],
    *,
    root: str,
    page: int = 0,
    notice: Notice | None = None,
) -> View:
    """A provider's plans, a page at a time: markup, price and whether users see them."""
    pages = max(1, -(-len(plans) // PLANS_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = plans[page * PLANS_PAGE_SIZE : (page + 1) * PLANS_PAGE_SIZE]
    offered = sum(1 for plan in plans if plan.active)
    blocks: list[Block] = [
        SectionBlock(
            block_id="plans_intro",
            text=md(
                f"*Plans of {esc(p.name)}* — {offered} of {len(plans)} offered in "
                "`/vps create`. Monthly price = base + markup."
            ),
            accessory=ButtonElement(
                action_id=IMPORT_ACTION, text="Import from catalogue", value=p.id
            ),
        ),
        *notice_blocks(notice),
    ]
    if not plans:
        blocks.append(
            SectionBlock(
                block_id="no_plans",
                text=md(f"No plans yet: import {p.type_name}'s catalogue with a markup."),
            )
        )
    blocks += [_plan_block(plan) for plan in shown]
    if pages > 1:
        nav: list[ButtonElement] = []
        if page > 0:
            nav.append(ButtonElement(action_id=PAGE_ACTION, text="← Previous", value=str(page - 1)))
        if page < pages - 1:
            nav.append(ButtonElement(action_id=PAGE_ACTION, text="Next →", value=str(page + 1)))
        blocks.append(ActionsBlock(block_id="plans_nav", elements=nav))
        blocks.append(ContextBlock(elements=[md(f"Page {page + 1} of {pages}")]))
    return modal(
        PLANS,
        blocks,
        title="Plans",
        close="Back",
        meta={"provider": p.id, "root": root, "page": page},
    )


def import_view(p: ProviderStatus, *, parent: str, root: str = "", page: int = 0) -> View:
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f"Import every plan {p.type_name} offers to *{esc(p.name)}*. Importing again "
                "updates prices, specifications and markup; it never duplicates a plan, and "
                "disabled plans stay disabled."
            )
        ),
        *_markup_inputs("percent", None),
    ]
    return modal(
        IMPORT,
        blocks,
        title="Import plans",
        submit="Import",
        meta={"provider": p.id, "parent": parent, "root": root, "page": page},
    )


def markup_view(
    p: ProviderStatus, plan: PlanRow, *, parent: str, root: str = "", page: int = 0
) -> View:
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f"*{esc(plan.name)}* `{esc(plan.provider_plan_id)}` on {esc(p.name)}\n"
                f"Base price ${plan.base_price:.2f}/mo, now ${plan.monthly:.2f}/mo to users."
            )
        ),
        *_markup_inputs("amount", f"{plan.markup_price:.2f}"),
    ]
    return modal(
        MARKUP,
        blocks,
        title="Edit markup",
        submit="Save",
        meta={"provider": p.id, "plan": plan.id, "parent": parent, "root": root, "page": page},
    )


# ---------------------------------------------------------------------------- allowlist


def _deployment_groups(options: list[DeploymentOption]) -> tuple[list[OptionGroup], int]:
    """Options grouped by category, ≤100 a group and ≤100 groups; also how many were left out."""
    by_category: dict[str, list[DeploymentOption]] = defaultdict(list)
    for option in options:
        by_category[option.category or "Other"].append(option)
    groups: list[OptionGroup] = []
    placed = 0
    for category in sorted(by_category, key=str.lower):
        items = sorted(by_category[category], key=lambda o: o.name.lower())
        chunks = [items[i : i + MAX_OPTIONS] for i in range(0, len(items), MAX_OPTIONS)]
        for n, chunk in enumerate(chunks):
            if len(groups) >= _MAX_GROUPS:
                break
            label = category if len(chunks) == 1 else f"{category} ({n + 1})"
            groups.append(
                OptionGroup(
                    label=cut(label),
                    options=[Option(value=o.id[:150], text=cut(o.name)) for o in chunk],
                )
            )
            placed += len(chunk)
    return groups, len(options) - placed


def allowlist_view(
    p: ProviderStatus,
    options: list[DeploymentOption] | None,
    allowed: list[str] | None,
    *,
    root: str,
    error: str | None = None,
) -> View:
    """Which 1-Click apps / StackScripts users may deploy (``options`` None: still loading)."""
    title = f"Allowed {p.deployment_name}"
    meta = {"provider": p.id, "root": root}
    if error is not None:
        blocks: list[Block] = [SectionBlock(text=md(f":warning: {error}"))]
        return modal(ALLOW, blocks, title=title, meta=meta)
    if options is None:
        blocks = [
            SectionBlock(
                text=md(f":hourglass_flowing_sand: Loading {p.type_name}'s {p.deployment_name}…")
            )
        ]
        return modal(ALLOW, blocks, title=title, meta=meta)
    modes = [
        Option(value="all", text=f"Allow all {p.deployment_name}"),
        Option(value="selected", text="Allow only the ones selected below"),
    ]
    blocks = [
        SectionBlock(
            text=md(
                f"Which {p.deployment_name} of *{esc(p.name)}* people may deploy with "
                "`/vps create`. A plain operating system is always allowed."
            )
        ),
        InputBlock(
            block_id="mode",
            label="Allow",
            element=RadioButtonsElement(
                action_id="mode",
                options=modes,
                initial_option=modes[0] if allowed is None else modes[1],
            ),
        ),
    ]
    if options:
        groups, left_out = _deployment_groups(options)
        permitted = set(allowed or [])
        initial = [o for g in groups for o in (g.options or []) if o.value in permitted]
        blocks.append(
            InputBlock(
                block_id="allowed",
                label=f"Allowed {p.deployment_name}"[:2000],
                optional=True,
                element=StaticMultiSelectElement(
                    action_id="allowed",
                    placeholder=f"Choose {p.deployment_name}"[:150],
                    option_groups=groups,
                    initial_options=initial or None,
                ),
            )
        )
        if left_out:
            blocks.append(
                ContextBlock(elements=[md(f"{left_out} more not listed (too many to show).")])
            )
    else:
        blocks.append(
            ContextBlock(elements=[md(f"{p.type_name} lists no {p.deployment_name} right now.")])
        )
    return modal(ALLOW, blocks, title=title, submit="Save", meta=meta)
