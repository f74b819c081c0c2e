"""The spend policy form of `/vps admin`, its listeners called directly."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
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


def _submission(values: dict[str, str]) -> dict:  # type: ignore[type-arg]
    return {
        "type": "view_submission",
        "view": {
            "id": "VPOLICY1",
            "callback_id": policy_listeners.POLICY,
            "state": {
                "values": {
                    name: {name: {"type": "plain_text_input", "value": value}}
                    for name, value in values.items()
                }
            },
        },
    }


def test_the_home_button_opens_the_policy_form() -> None:
    home = home_views.home_view([]).to_dict()
    ids = [e["action_id"] for b in home["blocks"] for e in b.get("elements", [])]
    assert policy_listeners.POLICY_ACTION in ids
    form = policy_listeners.policy_view({"monthly_budget": "100.00"}).to_dict()
    assert [b["block_id"] for b in form["blocks"][1:]] == list(FIELDS)
    assert form["blocks"][1]["element"]["initial_value"] == "100.00"


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
        errors={"monthly_budget": "Enter an amount in dollars, like 250 or 99.50."},
    )
    ack = AsyncMock()
    good = {name: "" for name in FIELDS} | {
        "monthly_budget": "750",
        "approval_ttl_hours": "48",
        "reminder_hours": "12",
        "lease_end_action": "power_off",
        "default_lease_hours": "168",
        "max_lease_hours": "720",
        "max_servers_per_member": "3",
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
