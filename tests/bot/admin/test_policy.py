"""The spend policy form of `/vps admin`, its listeners called directly."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from unittest.mock import AsyncMock

import pytest
from slack_bolt.async_app import AsyncBoltContext
from sqlalchemy import select

from bot.admin import home_views, policy_listeners
from bot.core.services import Services
from bot.spend.policy import FIELDS
from db.engine import Database
from db.models import ActivityLog, WorkspacePolicy
from tests.support.replicas import replica

TEAM = "T0001"
ADMIN = "UADMIN01"


@pytest.fixture
async def services(
    db: Database, database_url: str, fernet_keys: list[str]
) -> AsyncIterator[Services]:
    built = replica(database_url, fernet_keys, admins=ADMIN)
    yield built
    await built.aclose()


def _entry(name: str, value: Any) -> dict[str, Any]:
    """One input's state as Slack sends it: pickers for people, channels, the
    group and the lease-end action; text for the rest."""
    if name == "approver_ids":
        return {"type": "multi_users_select", "selected_users": value}
    if name == "create_channels":
        return {"type": "multi_conversations_select", "selected_conversations": value}
    if name == "approval_channel":
        return {"type": "conversations_select", "selected_conversation": value}
    if name in ("approver_group", "lease_end_action"):
        option = {"value": value, "text": {"type": "plain_text", "text": str(value)}}
        kind = "radio_buttons" if name == "lease_end_action" else "static_select"
        return {"type": kind, "selected_option": option if value else None}
    return {"type": "plain_text_input", "value": value}


def _submission(values: dict[str, Any]) -> dict:  # type: ignore[type-arg]
    return {
        "type": "view_submission",
        "view": {
            "id": "VPOLICY1",
            "callback_id": policy_listeners.POLICY,
            "state": {
                "values": {name: {name: _entry(name, value)} for name, value in values.items()}
            },
        },
    }


def _blank() -> dict[str, Any]:
    blank: dict[str, Any] = {name: "" for name in FIELDS}
    return blank | {"approver_ids": [], "create_channels": [], "approval_channel": None}


def test_the_home_button_opens_the_policy_form_with_slacks_pickers() -> None:
    home = home_views.home_view([]).to_dict()
    ids = [e["action_id"] for b in home["blocks"] for e in b.get("elements", [])]
    assert policy_listeners.POLICY_ACTION in ids
    current = {
        "monthly_budget": "100.00",
        "approver_ids": "U0000BOSS U0000TWO",
        "approver_group": "S0000OPS",
        "approval_channel": "C0000APPR",
        "create_channels": "C0000ONE",
        "default_lease_hours": "720",
        "max_lease_hours": "36",
        "lease_end_action": "delete",
    }
    form = policy_listeners.policy_view(current, [("S0000OPS", "Ops (@ops)")]).to_dict()
    assert [b["block_id"] for b in form["blocks"][1:]] == list(FIELDS)
    element = {b["block_id"]: b["element"] for b in form["blocks"][1:]}
    label = {b["block_id"]: b["label"]["text"] for b in form["blocks"][1:]}
    assert element["monthly_budget"]["initial_value"] == "100.00"
    assert element["approver_ids"]["type"] == "multi_users_select"
    assert element["approver_ids"]["initial_users"] == ["U0000BOSS", "U0000TWO"]
    assert element["approver_group"]["type"] == "static_select"
    assert element["approver_group"]["initial_option"]["value"] == "S0000OPS"
    assert element["approval_channel"]["initial_conversation"] == "C0000APPR"
    assert element["create_channels"]["type"] == "multi_conversations_select"
    assert element["lease_end_action"]["type"] == "radio_buttons"
    assert element["lease_end_action"]["initial_option"]["value"] == "delete"
    assert label["default_lease_hours"] == "Default lease (days)"
    assert element["default_lease_hours"]["initial_value"] == "30"
    assert element["max_lease_hours"]["initial_value"] == "1.5"
    # no group listing from Slack: the id is typed
    typed = policy_listeners.policy_view(current, None).to_dict()
    group = next(b for b in typed["blocks"] if b.get("block_id") == "approver_group")
    assert group["element"]["type"] == "plain_text_input"


async def test_every_bad_field_is_said_at_once(services: Services) -> None:
    context = AsyncBoltContext({"team_id": TEAM, "user_id": ADMIN})
    ack = AsyncMock()
    bad = _blank() | {
        "monthly_budget": "a lot",
        "max_servers_per_member": "many",
        "default_lease_hours": "a week",
        "approval_ttl_hours": "48",
        "reminder_hours": "24",
        "lease_end_action": "power_off",
    }
    await policy_listeners.policy_submitted(ack, _submission(bad), context, services)
    errors = ack.await_args.kwargs["errors"]
    assert ack.await_args.kwargs["response_action"] == "errors"
    assert errors == {
        "monthly_budget": "Enter an amount in dollars, like 250 or 99.50.",
        "max_servers_per_member": "Enter a whole number of servers.",
        "default_lease_hours": "Enter a number of days, like 30 (or 0.5 for 12 hours).",
    }
    # a rule across fields, said in days
    ack = AsyncMock()
    longer = _blank() | {
        "default_lease_hours": "40",
        "max_lease_hours": "30",
        "approval_ttl_hours": "48",
        "reminder_hours": "24",
        "lease_end_action": "power_off",
    }
    await policy_listeners.policy_submitted(ack, _submission(longer), context, services)
    assert ack.await_args.kwargs["errors"] == {
        "default_lease_hours": "The default lease must be at most the maximum (30 days)."
    }


async def test_bad_field_is_refused_at_the_field_and_a_good_edit_is_audited(
    services: Services, db: Database
) -> None:
    context = AsyncBoltContext({"team_id": TEAM, "user_id": ADMIN})
    ack = AsyncMock()
    await policy_listeners.policy_submitted(
        ack, _submission({"monthly_budget": "a lot", "reminder_hours": "24"}), context, services
    )
    ack.assert_awaited_once_with(
        response_action="errors",
        errors={
            "monthly_budget": "Enter an amount in dollars, like 250 or 99.50.",
            "approval_ttl_hours": "This field cannot be empty.",
            "lease_end_action": "This field cannot be empty.",
        },
    )
    ack = AsyncMock()
    good = _blank() | {
        "monthly_budget": "750",
        "approval_ttl_hours": "48",
        "reminder_hours": "12",
        "lease_end_action": "power_off",
        "default_lease_hours": "7",
        "max_lease_hours": "30",
        "max_servers_per_member": "3",
        "approver_ids": ["U0000BOSS"],
        "approver_group": "none",
        "approval_channel": "C0000APPR",
    }
    await policy_listeners.policy_submitted(ack, _submission(good), context, services)
    ack.assert_awaited_once_with()
    async with db.session() as session:
        row = await session.get(WorkspacePolicy, TEAM)
        events = (
            (await session.execute(select(ActivityLog).where(ActivityLog.team_id == TEAM)))
            .scalars()
            .all()
        )
    assert row is not None
    assert (row.monthly_budget, row.max_servers_per_member, row.reminder_hours) == (
        Decimal("750.00"),
        3,
        12,
    )
    assert [e.event_type for e in events] == ["policy.update"]
    assert events[0].user_id == ADMIN
    assert json.loads(json.dumps(events[0].metadata_))["max_servers_per_member"] == {
        "from": "10",
        "to": 3,
    }
    # days in the form, hours in the policy; the picked people and channel kept
    assert (row.default_lease_hours, row.max_lease_hours) == (168, 720)
    assert list(row.approver_ids or ()) == ["U0000BOSS"]
    assert (row.approver_group, row.approval_channel) == (None, "C0000APPR")
