"""An ended lease stays ended: turning the server on is refused with Extend as the
way out; Extend opens a lease whose end is done again (not one being ended right
now), after which the server may be turned on; the lease end is vpsbot's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bot.approvals.lease import extend_lease
from bot.core.actions import ACTIONS, VPSBOT, person
from bot.core.errors import Refusal
from bot.core.services import Services
from bot.servers import operations
from db.models import ServiceProvider, VpsInstance
from db.repo import spend

TEAM = "T0001"
OWNER = "UOWNER01"


async def _ended(services: Services, *, done: bool) -> VpsInstance:
    now = datetime.now(UTC)
    async with services.db.session() as session, session.begin():
        await spend.save_policy(
            session, TEAM, {"default_lease_hours": 72, "max_lease_hours": 720}, "UADMIN"
        )
        provider = ServiceProvider(
            name="do", type="digitalocean", api_key_encrypted=services.box.encrypt("dop_v1_x")
        )
        session.add(provider)
        await session.flush()
        row = VpsInstance(
            id=uuid.uuid4(),
            label="ended",
            status="stopped",
            team_id=TEAM,
            created_by=OWNER,
            provider_id=provider.id,
            provider_type="digitalocean",
            provider_instance_id="101",
            created_at=now - timedelta(hours=80),
            expires_at=now - timedelta(hours=8),
            lease_ended_at=now - timedelta(hours=8),
            lease_end_done_at=now - timedelta(hours=8) if done else None,
        )
        session.add(row)
    return row


@pytest.mark.parametrize("action", [a for a in ACTIONS if ACTIONS[a].starts])
async def test_turning_on_a_server_whose_lease_ended_is_refused_with_extend(
    services: Services, action: str
) -> None:
    row = await _ended(services, done=True)
    with pytest.raises(operations.LeaseEnded) as refused:
        await operations.authorize(services, row.id, TEAM, OWNER, action)
    assert refused.value.instance_id == row.id
    assert "lease of *ended* ended" in refused.value.message and "Extend" in refused.value.message


async def test_the_ended_lease_does_not_stop_what_keeps_it_off(services: Services) -> None:
    row = await _ended(services, done=True)
    for action in ("shutdown", "power_off", "delete"):
        found = await operations.authorize(services, row.id, TEAM, OWNER, action)
        assert found.row.id == row.id


async def test_extend_opens_an_ended_lease_again_then_it_may_be_powered_on(
    services: Services,
) -> None:
    row = await _ended(services, done=True)
    line = await extend_lease(services, row, OWNER)
    assert "extended the lease of *ended*" in line
    async with services.db.session() as session:
        reopened = await session.get(VpsInstance, row.id)
    assert reopened is not None and reopened.lease_ended_at is None
    assert reopened.lease_end_done_at is None
    assert reopened.expires_at is not None and reopened.expires_at > datetime.now(UTC)
    found = await operations.authorize(services, row.id, TEAM, OWNER, "power_on")
    assert found.row.lease_ended_at is None


async def test_a_lease_being_ended_right_now_is_not_extended(services: Services) -> None:
    row = await _ended(services, done=False)
    with pytest.raises(Refusal, match="ending right now"):
        await extend_lease(services, row, OWNER)


def test_vpsbots_own_actions_are_audited_without_a_user() -> None:
    assert person(VPSBOT) is None and person(OWNER) == OWNER
