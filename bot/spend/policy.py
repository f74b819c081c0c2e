"""A workspace's spend policy as the code reads it, and checking an admin's edit.

Defaults (no row yet, or a field left empty): no budget, ten servers per member,
no approval threshold, leases of 30 days by default and at most 90, reminders a
day before, power off at lease end, requests expire after 48 hours. Edits are
validated field by field so the admin screen and the CLI can point at the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.core.errors import InputError
from db.models import MemberPolicy, WorkspacePolicy

__all__ = [
    "DEFAULTS",
    "FIELDS",
    "LEASE_ACTIONS",
    "Policy",
    "check_changes",
    "effective",
    "lease_choices",
    "lease_for",
    "parse_changes",
]

LEASE_ACTIONS = ("power_off", "delete")
_USER = re.compile(r"^<?@?(U[A-Z0-9]{2,20})(\|[^>]*)?>?$")
_CHANNEL = re.compile(r"^<?#?(C[A-Z0-9]{2,20})(\|[^>]*)?>?$")
_GROUP = re.compile(r"^<?!?(?:subteam\^)?(S[A-Z0-9]{2,20})(\|[^>]*)?>?$")


@dataclass(frozen=True)
class Policy:
    """The rules one member's create is judged by (member overrides applied)."""

    monthly_budget: Decimal | None = None
    member_budget: Decimal | None = None
    max_servers: int | None = 10
    approval_threshold: Decimal | None = None
    approver_ids: tuple[str, ...] = ()
    approver_group: str | None = None
    approval_channel: str | None = None
    approval_ttl_hours: int = 48
    create_channels: tuple[str, ...] = ()
    default_lease_hours: int | None = 720
    max_lease_hours: int | None = 2160
    reminder_hours: int = 24
    lease_end_action: str = "power_off"

    @property
    def allows_no_expiry(self) -> bool:
        return self.max_lease_hours is None


DEFAULTS = Policy()

#: Editable fields: name → (label, kind). Kinds: money, count, hours, users,
#: group, channel, channels, action.
FIELDS: dict[str, tuple[str, str]] = {
    "monthly_budget": ("Workspace monthly budget ($)", "money"),
    "member_budget": ("Default member monthly budget ($)", "money"),
    "max_servers_per_member": ("Maximum servers per member", "count"),
    "approval_threshold": ("Approval needed above ($/month)", "money"),
    "approver_ids": ("Approvers", "users"),
    "approver_group": ("Approver user group", "group"),
    "approval_channel": ("Channel for approval requests", "channel"),
    "approval_ttl_hours": ("Requests expire after (hours)", "hours"),
    "create_channels": ("Channels where /vps create is allowed", "channels"),
    "default_lease_hours": ("Default lease (hours)", "hours"),
    "max_lease_hours": ("Maximum lease (hours)", "hours"),
    "reminder_hours": ("Reminder before expiry (hours)", "hours"),
    "lease_end_action": ("At lease end", "action"),
}
_REQUIRED = {"approval_ttl_hours", "reminder_hours", "lease_end_action"}


def effective(row: WorkspacePolicy | None, member: MemberPolicy | None = None) -> Policy:
    """The policy a member is judged by: the workspace row (defaults when there is
    none) with the member's own budget and server cap in place of the defaults."""
    if row is None:
        base = DEFAULTS
    else:
        base = Policy(
            monthly_budget=row.monthly_budget,
            member_budget=row.member_budget,
            max_servers=row.max_servers_per_member,
            approval_threshold=row.approval_threshold,
            approver_ids=tuple(row.approver_ids or ()),
            approver_group=row.approver_group,
            approval_channel=row.approval_channel,
            approval_ttl_hours=row.approval_ttl_hours,
            create_channels=tuple(row.create_channels or ()),
            default_lease_hours=row.default_lease_hours,
            max_lease_hours=row.max_lease_hours,
            reminder_hours=row.reminder_hours,
            lease_end_action=row.lease_end_action,
        )
    if member is None:
        return base
    values = {f.name: getattr(base, f.name) for f in fields(base)}
    if member.monthly_budget is not None:
        values["member_budget"] = member.monthly_budget
    if member.max_servers is not None:
        values["max_servers"] = member.max_servers
    return Policy(**values)


def lease_for(policy: Policy, chosen: int | None, *, no_expiry: bool = False) -> int | None:
    """The lease in hours a new server gets: what was chosen, within the policy's
    maximum; the default when nothing (or a forbidden "no expiry") was chosen."""
    if no_expiry and policy.allows_no_expiry:
        return None
    hours = chosen if chosen is not None and chosen > 0 else policy.default_lease_hours
    if hours is None:
        return None if policy.allows_no_expiry else policy.max_lease_hours
    if policy.max_lease_hours is not None:
        hours = min(hours, policy.max_lease_hours)
    return hours


#: Lease lengths the create wizard offers (hours), filtered by the policy's maximum.
_LEASES = (24, 72, 168, 336, 720, 1440, 2160)


def lease_choices(policy: Policy) -> list[int | None]:
    """The leases a member may pick: standard lengths up to the maximum (and the
    maximum itself), plus None ("no expiry") when the policy has no maximum."""
    most = policy.max_lease_hours
    hours = {h for h in _LEASES if most is None or h <= most}
    if most is not None:
        hours.add(most)
    if policy.default_lease_hours is not None:
        hours.add(policy.default_lease_hours)
    out: list[int | None] = list(sorted(hours))
    if policy.allows_no_expiry:
        out.append(None)
    return out


def defaults_row() -> dict[str, Any]:
    """The defaults as ``workspace_policies`` column values (a new row's content)."""
    return {
        "monthly_budget": DEFAULTS.monthly_budget,
        "member_budget": DEFAULTS.member_budget,
        "max_servers_per_member": DEFAULTS.max_servers,
        "approval_threshold": DEFAULTS.approval_threshold,
        "default_lease_hours": DEFAULTS.default_lease_hours,
        "max_lease_hours": DEFAULTS.max_lease_hours,
    }


def _money(name: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip().lstrip("$").replace(",", ""))
    except InvalidOperation:
        raise InputError("Enter an amount in dollars, like 250 or 99.50.", field=name) from None
    if not value.is_finite() or value < 0 or value > Decimal("9999999999"):
        raise InputError("Enter an amount between 0 and 9,999,999,999.", field=name)
    if value != value.quantize(Decimal("0.01")):
        raise InputError("Use at most two decimals (cents).", field=name)
    return value


def _whole(name: str, text: str, *, low: int, high: int, unit: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise InputError(f"Enter a whole number of {unit}.", field=name) from None
    if not low <= value <= high:
        raise InputError(f"Enter between {low:,} and {high:,} {unit}.", field=name)
    return value


def _ids(name: str, text: str, pattern: re.Pattern[str], what: str) -> list[str]:
    out: list[str] = []
    for item in re.split(r"[\s,]+", text.strip()):
        if not item:
            continue
        found = pattern.match(item)
        if found is None:
            raise InputError(f"“{item[:40]}” is not a {what}.", field=name)
        if found.group(1) not in out:
            out.append(found.group(1))
    return out


def _one(name: str, kind: str, text: str) -> Any:
    """One field's typed text as its column value; empty text means none (or default)."""
    if not text.strip():
        if name in _REQUIRED:
            raise InputError("This field cannot be empty.", field=name)
        return [] if kind in ("users", "channels") else None
    if kind == "money":
        return _money(name, text)
    if kind == "count":
        return _whole(name, text, low=0, high=10_000, unit="servers")
    if kind == "hours":
        return _whole(name, text, low=1, high=24 * 366 * 5, unit="hours")
    if kind == "users":
        return _ids(name, text, _USER, "Slack user (pick people or paste U… ids)")
    if kind == "channels":
        return _ids(name, text, _CHANNEL, "channel (use #channel or a C… id)")
    if kind == "channel":
        found = _ids(name, text, _CHANNEL, "channel (use #channel or a C… id)")
        if len(found) != 1:
            raise InputError("Name one channel.", field=name)
        return found[0]
    if kind == "group":
        found = _ids(name, text, _GROUP, "user group (an S… id)")
        if len(found) != 1:
            raise InputError("Name one user group.", field=name)
        return found[0]
    if kind == "action":
        value = text.strip().lower().replace(" ", "_").replace("-", "_")
        if value not in LEASE_ACTIONS:
            raise InputError("Choose power_off or delete.", field=name)
        return value
    raise InputError("Unknown field.", field=name)  # pragma: no cover - FIELDS is closed


def parse_changes(raw: dict[str, str], current: Policy = DEFAULTS) -> dict[str, Any]:
    """Typed column values for the fields in ``raw`` (field name → text); the first
    bad field raises :class:`InputError` naming it (:func:`check_changes` finds all)."""
    values, errors = check_changes(raw, current)
    if errors:
        name, message = next(iter(errors.items()))
        raise InputError(message, field=name)
    return values


def check_changes(
    raw: dict[str, str], current: Policy = DEFAULTS
) -> tuple[dict[str, Any], dict[str, str]]:
    """(typed column values, field → what is wrong) for the fields in ``raw``: every
    field's problem at once, so a form can show them all. Rules across fields: a
    default lease within the maximum, the reminder shorter than the default lease,
    and a threshold needs someone to approve and a channel to ask in; a rule is
    checked only when the fields it reads are valid."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, text in raw.items():
        if name not in FIELDS:
            known = ", ".join(FIELDS)
            errors[name] = f"Unknown policy field “{name[:40]}”; one of: {known}."
            continue
        try:
            values[name] = _one(name, FIELDS[name][1], text)
        except InputError as exc:
            errors[name] = exc.message
    merged = {
        "default_lease_hours": current.default_lease_hours,
        "max_lease_hours": current.max_lease_hours,
        "reminder_hours": current.reminder_hours,
        "approval_threshold": current.approval_threshold,
        "approver_ids": list(current.approver_ids),
        "approver_group": current.approver_group,
        "approval_channel": current.approval_channel,
        "monthly_budget": current.monthly_budget,
        "member_budget": current.member_budget,
        **values,
    }
    for field, reads, message in _across(merged):
        if not reads & errors.keys():
            errors.setdefault(field, message)
    return values, errors


def _across(merged: dict[str, Any]) -> list[tuple[str, set[str], str]]:
    """(field to show it at, fields it reads, message) for each rule across fields
    that ``merged`` breaks."""
    broken: list[tuple[str, set[str], str]] = []
    default, most = merged["default_lease_hours"], merged["max_lease_hours"]
    leases = {"default_lease_hours", "max_lease_hours"}
    if most is not None and default is None:
        broken.append(
            (
                "default_lease_hours",
                leases,
                "Set a default lease: servers cannot go without expiry while there is a maximum.",
            )
        )
    if most is not None and default is not None and default > most:
        broken.append(
            (
                "default_lease_hours",
                leases,
                f"The default lease must be at most the maximum ({_span(most)}).",
            )
        )
    if default is not None and merged["reminder_hours"] >= default:
        broken.append(
            (
                "reminder_hours",
                {"reminder_hours", "default_lease_hours"},
                "The reminder must come before the lease ends: fewer hours than the default lease.",
            )
        )
    if merged["approval_threshold"] is not None:
        asks = {"approval_threshold", "approver_ids", "approver_group"}
        if not merged["approver_ids"] and not merged["approver_group"]:
            broken.append(
                (
                    "approver_ids",
                    asks,
                    "Name approvers (people or a user group) before setting a threshold.",
                )
            )
        if not merged["approval_channel"]:
            broken.append(
                (
                    "approval_channel",
                    {"approval_threshold", "approval_channel"},
                    "Name the channel approval requests go to.",
                )
            )
    budget, member = merged["monthly_budget"], merged["member_budget"]
    if budget is not None and member is not None and member > budget:
        broken.append(
            (
                "member_budget",
                {"monthly_budget", "member_budget"},
                f"A member's budget cannot exceed the workspace's (${budget:,.2f}).",
            )
        )
    return broken


def _span(hours: int) -> str:
    """Hours as people count a lease: "30 days" when whole days, else hours."""
    if hours % 24 == 0:
        days = hours // 24
        return "1 day" if days == 1 else f"{days} days"
    return f"{hours} hours"
