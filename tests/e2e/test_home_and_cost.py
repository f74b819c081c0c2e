"""The App Home tab and `/vps cost` over signed HTTP: Slack's limits with 200
servers, numbers that match a hand computation, kept current on changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.home.service import cost_report
from bot.spend import cost
from db.models import ApprovalRequest, VpsInstance
from db.repo import spend
from tests.e2e.conftest import ADMIN, TEAM, USER, Bot

APPROVER = "UAPPROVE1"


async def _servers(bot: Bot, n: int, *, user: str = USER, created: datetime | None = None) -> None:
    async with bot.services.db.session() as session, session.begin():
        for i in range(n):
            session.add(
                VpsInstance(
                    id=uuid.uuid4(),
                    label=f"srv-{i:03d}-" + "x" * 40,
                    status="running",
                    provider_type="digitalocean",
                    provider_id=bot.providers["digitalocean"].id,
                    team_id=TEAM,
                    created_by=user,
                    created_at=created or datetime.now(UTC) - timedelta(hours=i + 1),
                    price_hourly=Decimal("0.0179"),
                    price_monthly=Decimal("12.00"),
                    expires_at=datetime.now(UTC) + timedelta(days=3),
                )
            )


async def test_home_with_200_servers_and_pending_approvals_fits_slack(bot: Bot) -> None:
    await _servers(bot, 200)
    async with bot.services.db.session() as session, session.begin():
        await spend.save_policy(
            session,
            TEAM,
            {
                "approval_threshold": Decimal("5"),
                "approver_ids": [APPROVER],
                "approval_channel": "CAPPROVE1",
                "member_budget": Decimal("100"),
            },
            ADMIN,
        )
        for i in range(15):
            session.add(
                ApprovalRequest(
                    team_id=TEAM,
                    requested_by=USER,
                    kind="create",
                    summary={"draft": {"label": f"want-{i}"}},
                    price_monthly=Decimal("48"),
                    expires_at=datetime.now(UTC) + timedelta(hours=1),
                )
            )
    for user in (USER, APPROVER):
        mark = bot.api.mark()
        response = await bot.slack.as_user(user).event("app_home_opened", tab="home")
        assert response.status == 200
        call = await bot.api.wait_for_call("views.publish", after=mark)
        assert call.ok, call.response  # the stand-in enforces Slack's view limits
        assert call.args["user_id"] == user
    mine = bot.api.views[bot.api.home_views[USER]]
    text = str(mine["blocks"])
    assert "My servers (200)" in text and "…and 160 more" in text
    assert "budget $100.00" in text
    assert "Waiting for your approval" not in text  # the requester does not approve
    theirs = str(bot.api.views[bot.api.home_views[APPROVER]]["blocks"])
    assert "Waiting for your approval (15)" in theirs
    assert len(bot.api.views[bot.api.home_views[APPROVER]]["blocks"]) <= 100


async def test_cost_command_matches_a_hand_computation(bot: Bot) -> None:
    now = datetime.now(UTC)
    start, _ = cost.month_bounds(now)
    # two servers created at the start of the month: hours so far = ceil(now - start)
    await _servers(bot, 2, created=start)
    await _servers(bot, 1, user="UOTHER01", created=start)
    hours = cost.billed_hours(start, now)
    each = min(Decimal("0.0179") * hours, Decimal("12.00")).quantize(Decimal("0.01"))
    report = await cost_report(bot.services, TEAM, USER, now, admin=True)
    assert report.mine.month_to_date == 2 * each
    assert report.workspace is not None and report.workspace.month_to_date == 3 * each
    assert report.by_member["UOTHER01"].month_to_date == each
    assert report.by_provider["sandbox-digitalocean"].month_to_date == 3 * each
    response = await bot.slack.command("/vps", "cost")
    assert response.status == 200
    said = await bot.api.wait_for_response()
    assert f"${2 * each:,.2f} so far" in str(said.payload)
    assert "Workspace" not in str(said.payload)  # a member sees only their own


async def test_home_is_republished_when_a_server_changes(bot: Bot) -> None:
    from bot.status import service as status

    await _servers(bot, 1)
    async with bot.services.db.session() as session:
        row = (await spend.owned(session, TEAM, USER, limit=1))[0][0][0]
    mark = bot.api.mark()
    await status.publish(bot.services, row.id)
    call = await bot.api.wait_for_call("views.publish", after=mark)
    assert call.args["user_id"] == USER and call.ok


async def test_home_buttons_open_create_and_post_details(bot: Bot) -> None:
    from bot.home.views import HOME_CREATE, HOME_DETAILS

    await _servers(bot, 1)
    mark = bot.api.mark()
    await bot.slack.event("app_home_opened", tab="home")
    await bot.api.wait_for_call("views.publish", after=mark)
    home_id = bot.api.home_views[USER]
    mark = bot.api.mark()
    response = await bot.slack.block_action(HOME_CREATE, "create", view=home_id)
    assert response.status == 200
    opened = await bot.api.wait_for_call("views.open", after=mark)
    assert opened.ok and opened.args["view"]["callback_id"] == "vps_create:plan"
    async with bot.services.db.session() as session:
        row = (await spend.owned(session, TEAM, USER, limit=1))[0][0][0]
    mark = bot.api.mark()
    response = await bot.slack.block_action(HOME_DETAILS, str(row.id), view=home_id)
    assert response.status == 200
    posted = await bot.api.wait_for_call("chat.postMessage", after=mark)
    assert posted.ok and posted.args["channel"] == USER and row.label in str(posted.args)
