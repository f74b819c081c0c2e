"""The spend policy form with Slack's own pickers, and reading it back.

People and channels are picked (users and conversations selects), the approvers'
user group chosen from the workspace's groups (``usergroups.list``; typed as an
``S…`` id when Slack does not list them), the lease-end action from two radio
buttons, leases in days. What comes back is turned into the text each field of
:mod:`bot.spend.policy` parses, so the rules stay in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ConversationMultiSelectElement,
    ConversationSelectElement,
    InputBlock,
    InputInteractiveElement,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticSelectElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.admin.views import CALLBACK_PREFIX, modal
from bot.core.blocks import cut, md
from bot.spend.policy import FIELDS

__all__ = ["DAY_FIELDS", "NO_GROUP", "POLICY", "form_values", "policy_view"]

POLICY = CALLBACK_PREFIX + "policy"
#: The lease fields the form shows in days (stored in hours).
DAY_FIELDS = {
    "default_lease_hours": "Default lease (days)",
    "max_lease_hours": "Maximum lease (days)",
}
#: The user-group select's "none" choice.
NO_GROUP = "none"
_ACTIONS = {"power_off": "Power off (the disk is kept)", "delete": "Delete the server"}

_HINTS = {
    "money": "Dollars; empty means no limit.",
    "count": "Empty means no limit.",
    "hours": "Hours; empty means none.",
    "days": "Days (30 = a month); empty means none.",
    "users": "The people who may approve requests.",
    "group": "Everyone in this group may approve requests too.",
    "group_typed": "A user group id (S…); Slack did not list the workspace's groups.",
    "channel": "Where approval requests are posted.",
    "channels": "Empty: /vps create is allowed everywhere.",
    "action": "What happens to a server when its lease ends.",
}


def _days(hours_text: str) -> str:
    try:
        hours = int(hours_text)
    except ValueError:
        return hours_text
    days = f"{Decimal(hours) / 24:f}"
    return days.rstrip("0").rstrip(".") if "." in days else days


def _group_element(
    current: str, groups: Sequence[tuple[str, str]] | None
) -> InputInteractiveElement:
    if groups is None:
        return PlainTextInputElement(
            action_id="approver_group", initial_value=current or None, max_length=40
        )
    options = [Option(value=NO_GROUP, text="No user group")] + [
        Option(value=group_id, text=cut(name)) for group_id, name in groups[:99]
    ]
    chosen = next((o for o in options if o.value == current), options[0])
    return StaticSelectElement(action_id="approver_group", options=options, initial_option=chosen)


def _element(name: str, kind: str, value: str, groups: Any) -> InputInteractiveElement:
    """The picker of one field, showing its current value."""
    ids = value.split()
    if kind == "users":
        return UserMultiSelectElement(action_id=name, initial_users=ids or None)
    if kind == "channels":
        return ConversationMultiSelectElement(action_id=name, initial_conversations=ids or None)
    if kind == "channel":
        return ConversationSelectElement(action_id=name, initial_conversation=value or None)
    if kind == "group":
        return _group_element(value, groups)
    if kind == "action":
        options = [Option(value=key, text=text) for key, text in _ACTIONS.items()]
        chosen = next((o for o in options if o.value == value), options[0])
        return RadioButtonsElement(action_id=name, options=options, initial_option=chosen)
    shown = _days(value) if name in DAY_FIELDS and value else value
    return PlainTextInputElement(action_id=name, initial_value=shown or None, max_length=500)


def policy_view(values: dict[str, str], groups: Sequence[tuple[str, str]] | None = None) -> View:
    """The form, filled with the current values; ``groups``: the workspace's user
    groups (id, name), None when Slack did not list them (the id is typed then)."""
    blocks: list[Block] = [
        ContextBlock(
            elements=[
                md(
                    "Budgets count what servers cost this month (each hour at the marked-up "
                    "price, at most the monthly price). Above the threshold a create waits "
                    "for an approver."
                )
            ]
        )
    ]
    for name, (label, kind) in FIELDS.items():
        hint = _HINTS["days" if name in DAY_FIELDS else kind]
        if kind == "group" and groups is None:
            hint = _HINTS["group_typed"]
        blocks.append(
            InputBlock(
                block_id=name,
                label=DAY_FIELDS.get(name, label),
                optional=kind != "action",
                hint=hint,
                element=_element(name, kind, values.get(name) or "", groups),
            )
        )
    return modal(POLICY, blocks, title="Spend policy", submit="Save")


def _picked(entry: dict[str, Any]) -> str:
    """What one input holds, as the text its policy field parses."""
    for key in ("selected_users", "selected_conversations"):
        if isinstance(entry.get(key), list):
            return " ".join(str(v) for v in entry[key] if isinstance(v, str))
    if "selected_conversation" in entry:
        value = entry.get("selected_conversation")
        return value if isinstance(value, str) else ""
    if "selected_option" in entry:
        option = entry.get("selected_option")
        value = option.get("value") if isinstance(option, dict) else None
        return "" if value in (None, NO_GROUP) else str(value)
    value = entry.get("value")
    return value if isinstance(value, str) else ""


def _hours(days: str) -> str | None:
    """Days typed as the hours the policy stores; None when it is not a number of days."""
    try:
        value = Decimal(days.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value > 5 * 366:
        return None
    hours = value * 24
    return str(int(hours)) if hours == hours.to_integral_value() else None


def form_values(state: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(field → text for :mod:`bot.spend.policy`, field → what is wrong) from a
    submitted form's state; days that are no number of whole hours are wrong here."""
    raw: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in FIELDS:
        block = state.get(name)
        entry = block.get(name) if isinstance(block, dict) else None
        text = _picked(entry) if isinstance(entry, dict) else ""
        if name in DAY_FIELDS and text.strip():
            hours = _hours(text)
            if hours is None:
                errors[name] = "Enter a number of days, like 30 (or 0.5 for 12 hours)."
                continue
            text = hours
        raw[name] = text
    return raw, errors
