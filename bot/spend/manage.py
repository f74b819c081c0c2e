"""Changing the spend policy (admin screen and CLI): validated, then audited.

Every change is recorded in the activity log with the fields' old and new values
(``policy.update`` / ``policy.member``), so finance can see who changed what.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.core.errors import InputError
from bot.core.services import Services
from bot.spend.policy import FIELDS, Policy, defaults_row, effective, parse_changes
from db.repo import activity, spend

__all__ = ["current", "display", "set_member", "update"]

_COLUMN_OF = {"max_servers_per_member": "max_servers"}


async def current(services: Services, team_id: str) -> Policy:
    async with services.db.session() as session:
        return effective(await spend.get_policy(session, team_id))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def display(policy: Policy) -> dict[str, str]:
    """Every editable field's current value as text (what the form shows)."""
    return {name: _text(getattr(policy, _COLUMN_OF.get(name, name))) for name in FIELDS}


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


async def update(services: Services, team_id: str, raw: dict[str, str], by: str) -> Policy:
    """Apply an edit (field → typed text); :class:`InputError` names a bad field."""
    async with services.db.session() as session, session.begin():
        row = await spend.lock_policy(session, team_id, defaults_row())
        before = effective(row)
        values = parse_changes(raw, before)
        shown = display(before)
        changed = {k: v for k, v in values.items() if _text(v) != shown.get(k, "")}
        if changed:
            await spend.save_policy(session, team_id, changed, by)
            await activity.record(
                session,
                event_type="policy.update",
                status="success",
                team_id=team_id,
                user_id=by,
                entity_type="policy",
                entity_id=team_id,
                metadata={
                    name: {"from": shown.get(name, ""), "to": _jsonable(value)}
                    for name, value in changed.items()
                },
            )
    await services.changed("channels", team_id)  # every replica, at once
    return await current(services, team_id)


async def set_member(
    services: Services,
    team_id: str,
    user_id: str,
    *,
    budget: str,
    max_servers: str,
    by: str,
) -> None:
    """One member's own budget and server cap ('' drops the override)."""
    if not user_id.startswith(("U", "W")) or not user_id[1:].isalnum():
        raise InputError("Name a Slack user (a U… id).", field="user")
    values = parse_changes(
        {"member_budget": budget, "max_servers_per_member": max_servers}, Policy()
    )
    async with services.db.session() as session, session.begin():
        await spend.save_member(
            session,
            team_id,
            user_id,
            monthly_budget=values["member_budget"],
            max_servers=values["max_servers_per_member"],
            updated_by=by,
        )
        await activity.record(
            session,
            event_type="policy.member",
            status="success",
            team_id=team_id,
            user_id=by,
            entity_type="member",
            entity_id=user_id,
            metadata={
                "monthly_budget": _jsonable(values["member_budget"]),
                "max_servers": values["max_servers_per_member"],
            },
        )
