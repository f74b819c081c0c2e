"""The create modal's frame: the data every step shows and the parts every step's
view is built from (the modal itself, the progress line, Back, errors at fields).

Pure: nothing here talks to Slack, a provider or the database. The steps are
built in :mod:`bot.create.views`, the review in :mod:`bot.create.review`, the
modal's messages (creating, done, failed) in :mod:`bot.create.messages`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.core.blocks import MAX_OPTIONS, PlanChoice, esc, md
from bot.create.draft import Draft
from bot.create.elsewhere import Elsewhere
from bot.create.flows import ProviderFlow
from providers.models import VPC, DeploymentOption, Image, Region, SSHKey

__all__ = [
    "BACK_ACTION",
    "CALLBACK_PREFIX",
    "LABEL_BLOCK",
    "MAX_STATIC_OPTIONS",
    "TITLE",
    "ProviderChoice",
    "StepData",
    "back_button",
    "modal",
    "progress",
    "with_errors",
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
    #: the policy's default lease, preselected when the draft has no choice yet
    #: (hours; None = no expiry, offered only when ``leases`` holds None)
    default_lease: int | None = None
    #: the lease the create will get, as the review states it (set with ``spend``)
    lease_line: str | None = None
    #: the create will wait for an approver (set with ``spend``): a typed root
    #: password is then dropped and a generated one used
    needs_approval: bool = False
    #: step 1: the chosen plan's nearest counterpart on each other provider
    elsewhere: tuple[Elsewhere, ...] = ()

    @property
    def provider(self) -> ProviderChoice | None:
        return next((p for p in self.providers if p.id == self.draft.provider_id), None)

    @property
    def plan(self) -> PlanChoice | None:
        return next((p for p in self.plans if p.id == self.draft.plan_id), None)


def modal(step: str, blocks: list[Block], *, submit: str | None = "Next") -> View:
    return View(
        type="modal",
        callback_id=CALLBACK_PREFIX + step,
        title=PlainTextObject(text=TITLE),
        submit=PlainTextObject(text=submit) if submit else None,
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )


def progress(data: StepData, step: str) -> ContextBlock:
    position = data.steps.index(step) + 1 if step in data.steps else len(data.steps)
    provider = data.provider
    where = f" · {esc(provider.name)}" if provider else ""
    return ContextBlock(
        elements=[md(f"Step {position} of {len(data.steps)} · *{_STEP_NAMES[step]}*{where}")]
    )


def back_button(step: str) -> ActionsBlock:
    return ActionsBlock(
        block_id="nav",
        elements=[ButtonElement(action_id=BACK_ACTION, text="← Back", value=step)],
    )


def with_errors(blocks: list[Block], errors: dict[str, str]) -> list[Block]:
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
