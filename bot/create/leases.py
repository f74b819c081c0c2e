"""The lease a server is created with: the choices the workspace's policy allows."""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, Option, PlainTextObject, StaticSelectElement

from bot.create.frame import MAX_STATIC_OPTIONS, StepData

__all__ = ["lease_block", "lease_text"]


def lease_text(hours: int | None) -> str:
    """``7 days``, ``36 hours``, ``No expiry``."""
    if hours is None:
        return "No expiry"
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day" if days == 1 else f"{days} days"
    return f"{hours} hours"


def lease_block(data: StepData) -> InputBlock:
    """The lease select: what the policy allows, shortest first, with the draft's
    choice selected, else the policy's default (never merely the shortest)."""
    options = [
        Option(value="none" if h is None else str(h), text=lease_text(h)) for h in data.leases
    ][:MAX_STATIC_OPTIONS]
    draft = data.draft
    if draft.no_expiry:
        chosen = "none"
    elif draft.lease_hours:
        chosen = str(draft.lease_hours)
    else:
        chosen = "none" if data.default_lease is None else str(data.default_lease)
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
