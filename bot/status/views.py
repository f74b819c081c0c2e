"""The channel message that follows one server, kept current with chat.update."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.core.blocks import STATUS_ICONS, esc

__all__ = [
    "ACTION_CREATE_AGAIN",
    "DETAILS_ACTION",
    "ServerCard",
    "create_again_button",
    "outcome_modal",
    "status_message",
]

#: The card's Details button: the servers feature answers it with the details
#: message (its ``vps_details`` action), shown only to whoever pressed it.
DETAILS_ACTION = "vps_details"
#: "Create another like this" on a server's card and details (bot.create.again
#: opens the create modal prefilled from the server).
ACTION_CREATE_AGAIN = "vps_create_again"


def create_again_button(instance_id: str) -> ButtonElement:
    return ButtonElement(
        action_id=ACTION_CREATE_AGAIN, text="Create another like this", value=instance_id
    )


@dataclass(frozen=True)
class ServerCard:
    label: str
    provider_name: str
    provider_type: str
    plan: str
    region: str
    price: str
    status: str
    created_by: str
    raw_status: str | None = None
    ipv4: str | None = None
    ipv6: str | None = None
    note: str | None = None
    #: ``1-Click app: WordPress`` / ``StackScript: LAMP`` (none: a plain OS)
    software: str | None = None
    #: the operating system's name (none: not known)
    image: str | None = None
    #: the server's id, for the Details and "Create another like this" buttons
    #: (none: no buttons)
    id: str | None = None


def status_message(card: ServerCard) -> tuple[str, list[Block]]:
    """(fallback text, blocks) for the server's status message."""
    icon = STATUS_ICONS.get(card.status, ":grey_question:")
    state = card.status
    if card.raw_status and card.raw_status != card.status:
        state = f"{card.status} ({card.raw_status})"
    text = f"{esc(card.label)} on {esc(card.provider_name)}: {esc(state)}"
    if card.ipv4:
        text += f" at {esc(card.ipv4)}"
    fields = [
        MarkdownTextObject(text=f"*Provider*\n{esc(card.provider_name)}"),
        MarkdownTextObject(text=f"*Plan*\n{esc(card.plan)}"),
        MarkdownTextObject(text=f"*Region*\n{esc(card.region)}"),
        MarkdownTextObject(text=f"*Price*\n{card.price}"),
    ]
    if card.image:
        fields.append(MarkdownTextObject(text=f"*Operating system*\n{esc(card.image)}"))
    if card.software:
        kind, _, name = card.software.partition(": ")
        fields.append(MarkdownTextObject(text=f"*{esc(kind)}*\n{esc(name or kind)}"))
    if card.ipv4:
        fields.append(MarkdownTextObject(text=f"*IPv4*\n`{esc(card.ipv4)}`"))
    if card.ipv6:
        fields.append(MarkdownTextObject(text=f"*IPv6*\n`{esc(card.ipv6)}`"))
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"{icon} <@{card.created_by}> is creating *{esc(card.label)}* — *{esc(state)}*"
                if card.status == "provisioning"
                else f"{icon} *{esc(card.label)}* — *{esc(state)}*"
            ),
        ),
        SectionBlock(fields=fields),
    ]
    if card.note:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=card.note[:3000])))
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text=f"Created by <@{card.created_by}>")])
    )
    if card.id and card.status not in ("deleting", "deleted"):
        details = ButtonElement(action_id=DETAILS_ACTION, text="Details", value=card.id)
        again = create_again_button(card.id)
        blocks.append(ActionsBlock(block_id="vps_card", elements=[details, again]))
    return text, blocks


def outcome_modal(label: str, provider_name: str, *, created: bool) -> View:
    """What the create modal says once the watcher knows how a create whose answer
    was lost ended."""
    text = (
        f":white_check_mark: {esc(provider_name)} did create *{esc(label)}*; its status message "
        "follows it from here."
        if created
        else f":x: {esc(provider_name)} never created *{esc(label)}*; nothing was made and nothing "
        "is charged. Run `/vps create` again."
    )
    return View(
        type="modal",
        callback_id="vps_status_outcome",
        title="New server",
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )
