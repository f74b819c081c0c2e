"""The confirmations and forms of the server actions: rebuild, resize, delete.

Pure builders like :mod:`bot.servers.views`. What a modal is about travels in its
``private_metadata`` (:class:`ModalTarget`), untrusted on the way back: the
listeners re-check the server against the payload's workspace and user.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.core.blocks import (
    MAX_OPTIONS,
    PlanChoice,
    cut,
    esc,
    grouped,
    image_options,
    md,
    option_text,
)
from bot.servers.resize import Price, difference, price_of
from providers.models import Image

__all__ = [
    "ACTION_REBUILD_IMAGE",
    "ACTION_RESIZE_PLAN",
    "CALLBACK_DELETE",
    "CALLBACK_MESSAGE",
    "CALLBACK_REBUILD",
    "CALLBACK_RESIZE",
    "ModalTarget",
    "delete_modal",
    "message_modal",
    "rebuild_modal",
    "resize_modal",
    "resize_option",
    "resize_options",
]

ACTION_REBUILD_IMAGE = "vps_rebuild_image"
ACTION_RESIZE_PLAN = "vps_resize_plan"
CALLBACK_REBUILD = "vps_rebuild_modal"
CALLBACK_RESIZE = "vps_resize_modal"
CALLBACK_DELETE = "vps_delete_modal"
CALLBACK_MESSAGE = "vps_server_message"
#: Longest response_url kept in private_metadata (Slack's cap on it is 3000).
_MAX_URL = 1000


@dataclass(frozen=True)
class ModalTarget:
    """What a modal is about; stored in private_metadata (untrusted on the way back)."""

    instance_id: str
    label: str
    channel_id: str | None = None
    #: the details message's reply address, to bring it up to date after the action
    response_url: str | None = None

    def encode(self) -> str:
        data = {"id": self.instance_id, "c": self.channel_id}
        if self.response_url and len(self.response_url) <= _MAX_URL:
            data["r"] = self.response_url
        return json.dumps(data, separators=(",", ":"))

    @staticmethod
    def reply_to(raw: str | None) -> str | None:
        """The saved ``response_url`` from private_metadata, if any (untrusted: it
        is only ever answered with the server's details, re-checked)."""
        try:
            data = json.loads(raw if isinstance(raw, str) and raw else "{}")
        except ValueError:
            return None
        url = data.get("r") if isinstance(data, dict) else None
        return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None

    @staticmethod
    def decode(raw: str | None) -> tuple[str, str | None]:
        """(instance id, channel id) from private_metadata; empty strings when unreadable."""
        try:
            data = json.loads(raw if isinstance(raw, str) and raw else "{}")
        except ValueError:
            return "", None
        if not isinstance(data, dict):
            return "", None
        instance_id = data.get("id")
        channel = data.get("c")
        return (
            instance_id if isinstance(instance_id, str) else "",
            channel if isinstance(channel, str) and len(channel) <= 32 else None,
        )


def _modal(
    callback_id: str,
    title: str,
    target: ModalTarget,
    blocks: list[Block],
    submit: str | None,
) -> View:
    return View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=cut(title, 24)),
        submit=PlainTextObject(text=submit) if submit else None,
        close=PlainTextObject(text="Cancel"),
        private_metadata=target.encode(),
        blocks=blocks,
    )


def message_modal(title: str, text: str) -> View:
    return View(
        type="modal",
        callback_id=CALLBACK_MESSAGE,
        title=PlainTextObject(text=cut(title, 24)),
        close=PlainTextObject(text="Close"),
        blocks=[SectionBlock(text=md(cut(text, 3000)))],
    )


def rebuild_modal(
    target: ModalTarget,
    images: Sequence[Image] | None,
    *,
    password: bool,
    current_image: str | None = None,
) -> View:
    """Pick an image (and, where the provider takes one, a new root password).

    ``images`` None: still loading. More than 100 images: an external select.
    """
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f":warning: Rebuilding *{esc(target.label)}* erases its disk and installs "
                "the image you choose. The IP addresses stay."
            )
        )
    ]
    if images is None:
        blocks.append(SectionBlock(text=md(":hourglass_flowing_sand: Loading images…")))
        return _modal(CALLBACK_REBUILD, "Rebuild server", target, blocks, None)
    if not images:
        blocks.append(SectionBlock(text=md("The provider offers no image to rebuild with.")))
        return _modal(CALLBACK_REBUILD, "Rebuild server", target, blocks, None)
    element: Any
    if len(images) > MAX_OPTIONS:
        element = ExternalDataSelectElement(
            action_id=ACTION_REBUILD_IMAGE,
            min_query_length=0,
            placeholder=f"Type to search {len(images)} images",
        )
    else:
        groups = image_options(list(images))
        element = StaticSelectElement(
            action_id=ACTION_REBUILD_IMAGE,
            placeholder="Choose an operating system",
            option_groups=groups,
            initial_option=next(
                (o for g in groups for o in (g.options or []) if o.value == current_image), None
            ),
        )
    blocks.append(InputBlock(block_id="image", label="Image", element=element))
    if password:
        blocks.append(
            InputBlock(
                block_id="password",
                label="New root password",
                optional=True,
                hint=PlainTextObject(
                    text="Leave blank to have a strong one generated and shown to you once."
                ),
                element=PlainTextInputElement(action_id="password", max_length=128),
            )
        )
    else:
        blocks.append(
            ContextBlock(
                elements=[md("The root password is not changed; SSH keys on the server stay.")]
            )
        )
    return _modal(CALLBACK_REBUILD, "Rebuild server", target, blocks, "Rebuild")


def resize_option(
    plan: PlanChoice, region: str | None, charged: Price | None, backups: bool = False
) -> Option:
    """A plan in the resize select: its price where the server runs, backups included
    when on (what the row will be charged) and the difference per month from what it
    is charged now."""
    price = price_of(plan, region, backups=backups)
    change = difference(price, charged)
    return Option(
        value=plan.id,
        text=option_text(
            plan.headline(), f"${price.monthly:.2f}/mo" + (f" ({change})" if change else "")
        ),
        description=cut(plan.detail()),
    )


def resize_options(
    plans: Sequence[PlanChoice],
    query: str,
    region: str | None,
    charged: Price | None,
    backups: bool = False,
) -> list[dict[str, Any]]:
    """The external select's answer: the plans matching ``query``, at most :data:`MAX_OPTIONS`."""
    wanted = query.lower()
    return [
        resize_option(p, region, charged, backups).to_dict()
        for p in plans
        if wanted in f"{p.provider_plan_id} {p.name} {p.family} {p.summary()}".lower()
    ][:MAX_OPTIONS]


def resize_modal(
    target: ModalTarget,
    plans: Sequence[PlanChoice],
    *,
    current: PlanChoice | None = None,
    hint: str | None = None,
    region: str | None = None,
    charged: Price | None = None,
    backups: bool = False,
) -> View:
    """Pick one of the provider's active plans (the current one is not offered),
    each with its price in the server's region (backups included when on) and the
    difference per month."""
    blocks: list[Block] = []
    now = esc(current.headline()) if current else "unknown"
    if charged is not None:
        now += f", charged ${charged.monthly:.2f}/mo (${charged.hourly:.4f}/h)"
    blocks.append(SectionBlock(text=md(f"*{esc(target.label)}* runs on {now}.")))
    if not plans:
        blocks.append(SectionBlock(text=md("No other plan is offered for this provider.")))
        return _modal(CALLBACK_RESIZE, "Resize server", target, blocks, None)
    element: Any
    if len(plans) > MAX_OPTIONS:
        element = ExternalDataSelectElement(
            action_id=ACTION_RESIZE_PLAN, min_query_length=0, placeholder="Type to search plans"
        )
    else:
        options = [resize_option(p, region, charged, backups) for p in plans]
        groups = grouped(plans, options)
        element = StaticSelectElement(
            action_id=ACTION_RESIZE_PLAN,
            placeholder="Choose a plan",
            options=None if groups else options,
            option_groups=groups,
        )
    blocks.append(InputBlock(block_id="plan", label="New plan", element=element))
    notes = ["Prices are per month in the server's region; the difference is to what it costs now."]
    if hint:
        notes.append(hint)
    blocks.append(ContextBlock(elements=[md(" ".join(notes))]))
    return _modal(CALLBACK_RESIZE, "Resize server", target, blocks, "Resize")


def delete_modal(target: ModalTarget) -> View:
    """Ask the user to type the label; the submission compares it server-side."""
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f":warning: Deleting *{esc(target.label)}* destroys the server and its disk "
                "at the provider. This cannot be undone."
            )
        ),
        InputBlock(
            block_id="confirm_label",
            label="Type the server's label to confirm",
            element=PlainTextInputElement(
                action_id="label", placeholder=cut(target.label, 150), max_length=64
            ),
        ),
    ]
    return _modal(CALLBACK_DELETE, "Delete server", target, blocks, "Delete")
