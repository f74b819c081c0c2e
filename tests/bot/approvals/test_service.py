"""Who may decide a request, and deciding from the Home tab (no response_url)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest.mock import AsyncMock

import pytest
from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.approvals import lease, listeners, service
from bot.core.services import Services
from bot.spend.policy import Policy
from db.engine import Database
from db.models import ApprovalRequest
from tests.support.replicas import replica

TEAM = "T0001"


@pytest.fixture
async def services(
    db: Database, database_url: str, fernet_keys: list[str]
) -> AsyncIterator[Services]:
    built = replica(database_url, fernet_keys, admins="UADMIN01")
    built.slack.usergroups_users_list.return_value = {"ok": True, "users": ["UGROUP01"]}  # type: ignore[attr-defined]
    yield built
    await built.aclose()


async def test_approvers_are_named_people_a_group_or_else_the_admins(services: Services) -> None:
    named = Policy(approver_ids=("UBOSS001",))
    assert await service.is_approver(services, TEAM, named, "UBOSS001")
    assert not await service.is_approver(services, TEAM, named, "UADMIN01")
    group = Policy(approver_group="S0FINANCE")
    assert await service.is_approver(services, TEAM, group, "UGROUP01")
    assert not await service.is_approver(services, TEAM, group, "UOTHER01")
    services.slack.usergroups_users_list.assert_awaited_once_with(usergroup="S0FINANCE")  # type: ignore[attr-defined]
    nobody = Policy()
    assert await service.is_approver(services, TEAM, nobody, "UADMIN01")
    assert not await service.is_approver(services, TEAM, nobody, "UBOSS001")


async def test_a_group_slack_cannot_list_approves_nobody_and_is_asked_again(
    services: Services,
) -> None:
    lister = services.slack.usergroups_users_list  # type: ignore[attr-defined]
    lister.side_effect = SlackApiError("no", {"ok": False, "error": "missing_scope"})
    group = Policy(approver_group="S0GONE")
    assert not await service.is_approver(services, TEAM, group, "UGROUP01")
    lister.side_effect = None
    assert await service.is_approver(services, TEAM, group, "UGROUP01")  # not cached as empty
    assert lister.await_count == 2


async def test_deny_from_the_home_tab_answers_in_the_dm(services: Services, db: Database) -> None:
    async with db.session() as session, session.begin():
        row = ApprovalRequest(
            team_id=TEAM,
            requested_by="UASKER01",
            kind="create",
            summary={"draft": {"label": "wanted"}},
            price_monthly=Decimal("48"),
            requester_channel="C0001",
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
        session.add(row)
    body = {
        "type": "block_actions",
        "view": {"type": "home"},  # a Home tab click: no response_url
        "actions": [{"action_id": "vps_approval_deny", "value": str(row.id)}],
    }
    respond = AsyncMock()
    await listeners.decision_clicked(
        AsyncMock(),
        body,
        AsyncBoltContext({"team_id": TEAM, "user_id": "UADMIN01"}),
        respond,
        services.slack,
        services,
    )
    respond.assert_not_awaited()
    told = services.slack.chat_postEphemeral.await_args_list  # type: ignore[attr-defined]
    to_clicker = [c for c in told if c.kwargs["user"] == "UADMIN01"]
    assert to_clicker and "Denied *wanted*" in to_clicker[0].kwargs["text"]
    to_requester = [c for c in told if c.kwargs["user"] == "UASKER01"]
    assert to_requester and "denied *wanted*" in to_requester[0].kwargs["text"]
    async with db.session() as session:
        saved = await session.get(ApprovalRequest, row.id)
    assert saved is not None and saved.status == "denied" and saved.decided_by == "UADMIN01"


async def test_an_extension_request_names_the_server(services: Services, db: Database) -> None:
    from bot.spend.requests import request_blocks
    from db.models import VpsInstance
    from db.repo import spend

    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    async with db.session() as session, session.begin():
        await spend.save_policy(
            session,
            TEAM,
            {
                "default_lease_hours": 720,
                "max_lease_hours": 720,
                "approver_ids": ["UBOSS001"],
                "approval_channel": "CAPPROVE1",
            },
            "UADMIN01",
        )
        row = VpsInstance(
            label="db-main",
            status="running",
            provider_type="linode",
            team_id=TEAM,
            created_by="UOWNER01",
            created_at=now - timedelta(hours=700),
            expires_at=now + timedelta(hours=10),
            price_monthly=Decimal("12.00"),
            price_hourly=Decimal("0.0180"),
        )
        session.add(row)
    said = await lease.extend_lease(services, row, "UOWNER01", now=now)
    assert "needs approval" in said
    posted = services.slack.chat_postMessage.await_args  # type: ignore[attr-defined]
    assert posted.kwargs["channel"] == "CAPPROVE1"
    assert posted.kwargs["text"] == "Approval needed: a longer lease of db-main for <@UOWNER01>"
    assert "asks for a longer lease of *db-main*" in str(posted.kwargs["blocks"])
    async with db.session() as session:
        request = (await session.execute(select(ApprovalRequest))).scalar_one()
    decided = str(request_blocks(request, decided="done"))
    assert "*db-main*" in decided and "a server" not in decided
    # the lease asked for, in each approver's own time zone
    until = int((now + timedelta(hours=10 + 720)).timestamp())
    assert f"*Lease until:* <!date^{until}^" in str(posted.kwargs["blocks"])
