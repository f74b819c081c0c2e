"""A resize is a spend decision, end to end: the modal prices each plan where the
server runs and the difference per month; a resize over the member's budget is
refused at the field; one over the approval threshold waits for an approver (the
request names the server and both prices) and nothing reaches the provider
before the yes; once the provider confirms, the row is charged the price the
modal showed and `/vps cost` sums it. And an ended lease stays ended: power on
and reboot are refused with Extend as the way out, the lease end is vpsbot's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from bot.app.spend_jobs import end_lease
from bot.home.service import cost_report
from bot.spend import cost
from bot.spend.requests import APPROVE_ACTION
from bot.status.leases import EXTEND_ACTION, LeaseSweeper
from db.models import ApprovalRequest, VpsInstance
from db.repo import spend
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import TEAM, USER, Bot, settled
from tests.e2e.session import options_of, plan_id_of
from tests.e2e.test_servers_actions import (
    PROVIDERS,
    SETUP,
    Owner,
    button,
    create_server,
    events,
    follow,
    load,
)

BOSS = "UBOSS001"
APPROVALS = "CAPPROVE1"
_OPTION = re.compile(r"^.+ — \$(\d+\.\d\d)/mo \(([+-])\$(\d+\.\d\d)/mo\)$")


async def _policy(bot: Bot, **values: object) -> None:
    async with bot.services.db.session() as session, session.begin():
        await spend.save_policy(session, TEAM, values, "UADMIN01")


def _sent(bot: Bot, server_id: str) -> list[str]:
    """The actions the provider got for the server (resize, power, reboot)."""
    return [
        r.path
        for r in bot.sandbox.requests
        if r.method == "POST" and r.path.split("/")[-2:-1] == [server_id]
    ]


@pytest.mark.parametrize("type_", PROVIDERS)
async def test_a_resize_is_checked_approved_and_charged_what_the_modal_showed(
    bot: Bot, type_: str
) -> None:
    _, _, _, bigger, _ = SETUP[type_]
    instance_id = await create_server(bot, type_, "grower")
    owner = Owner(bot, instance_id)
    await owner.details()
    await owner.press("vps_act_shutdown")  # DigitalOcean resizes servers that are off
    await follow(bot, instance_id)
    bot.sandbox.requests.clear()
    # charged $6.00/mo now: the difference is to that
    async with bot.services.db.session() as session, session.begin():
        await session.execute(
            update(VpsInstance)
            .where(VpsInstance.id == instance_id)
            .values(price_hourly=Decimal("0.0090"), price_monthly=Decimal("6.00"))
        )
    await _policy(bot, member_budget=Decimal("0.50"))
    view = await owner.open_modal("vps_resize")
    assert "charged $6.00/mo" in str(view["blocks"][0])
    options = options_of(view, "plan")
    parsed = {plan_id_of(o): m.groups() for o in options if (m := _OPTION.match(o["text"]["text"]))}
    assert len(parsed) == len(options)  # every plan: its price and the difference
    for price, sign, delta in parsed.values():
        assert Decimal(f"{sign}{delta}") == Decimal(price) - Decimal("6.00")
    shown = Decimal(parsed[bigger][0])
    assert shown > Decimal("6.00")
    choice = next(o for o in options if plan_id_of(o) == bigger)
    server_id = (await load(bot, instance_id)).provider_instance_id or ""

    # over the member's budget: said at the field, nothing sent
    ack = await owner.submit(view, {"plan": {"vps_resize_plan": sv.static_select(choice)}})
    assert ack["response_action"] == "errors" and "budget" in ack["errors"]["plan"]
    assert _sent(bot, server_id) == []

    # over the approval threshold: a request naming the server and both prices
    await _policy(
        bot,
        member_budget=None,
        approval_threshold=Decimal("7.00"),
        approver_ids=[BOSS],
        approval_channel=APPROVALS,
    )
    mark = bot.api.mark()
    answered = len(bot.api.responses)
    ack = await owner.submit(view, {"plan": {"vps_resize_plan": sv.static_select(choice)}})
    assert ack == {}
    await owner.ephemeral(mark, "needs approval")
    # the details it was asked from are brought up to date, saying so
    updated = await bot.api.wait_for_response(after=answered)
    assert updated.payload["replace_original"] and "needs approval" in str(updated.payload)
    posted = await bot.api.wait_for_call(
        "chat.postMessage", after=mark, predicate=lambda c: c.args.get("channel") == APPROVALS
    )
    text = str(posted.args["blocks"])
    assert "asks for a resize of *grower*" in text
    assert "$6.00/month" in text and f"${shown:.2f}/month" in text
    assert _sent(bot, server_id) == []
    row = await load(bot, instance_id)
    assert row.price_monthly == Decimal("6.00") and row.configuration["plan"] != bigger

    async def request() -> ApprovalRequest:
        async with bot.services.db.session() as session:
            return (await session.execute(select(ApprovalRequest))).scalar_one()

    found = await settled(request, lambda r: r.message_ts is not None)
    assert found.kind == "resize" and found.instance_id == instance_id

    # the approver's yes sends it; the provider's confirmation sets the price
    message = {"type": "message", "ts": found.message_ts, "text": "", "bot_id": "B0BOT"}
    boss = bot.slack.as_user(BOSS).in_channel(APPROVALS)
    seen = len(bot.api.responses)
    await boss.block_action(APPROVE_ACTION, str(found.id), message=message)
    said = await bot.api.wait_for_response(
        lambda r: "Approved the resize" in str(r.payload), after=seen
    )
    assert "Approved the resize of *grower*" in str(said.payload)
    assert len(_sent(bot, server_id)) == 1
    pending = await load(bot, instance_id)
    assert pending.price_monthly == Decimal("6.00")  # not before the provider confirms
    row = await follow(bot, instance_id)
    assert row.configuration["plan"] == bigger and "resizing" not in row.configuration
    assert row.price_monthly == shown
    assert ("vps.resize", "success", USER) in await events(bot, instance_id)
    # what the modal showed = what the row is charged = what /vps cost sums
    now = datetime.now(UTC)
    report = await cost_report(bot.services, TEAM, USER, now, admin=True)
    usage = cost.Usage(row.created_at, None, row.price_hourly or Decimal(0), shown)
    assert report.mine.projected == cost.projected(usage, now)
    async with bot.services.db.session() as session:
        start, end = cost.month_bounds(now)
        total = await spend.workspace_projected(session, TEAM, start, end)
    assert total == report.mine.projected


@pytest.mark.parametrize("type_", PROVIDERS)
async def test_an_ended_lease_stays_ended_until_extended(bot: Bot, type_: str) -> None:
    await _policy(bot, default_lease_hours=72, max_lease_hours=720)
    instance_id = await create_server(bot, type_, "leased-off")
    async with bot.services.db.session() as session, session.begin():
        await session.execute(
            update(VpsInstance)
            .where(VpsInstance.id == instance_id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    assert await LeaseSweeper(bot.services, end=end_lease).cycle() == (0, 1)
    row = await follow(bot, instance_id)
    # powered off by vpsbot, not by the owner; its pending mark cleared once off
    assert row.status == "stopped" and "pending_action" not in row.configuration
    log = await events(bot, instance_id)
    assert ("vps.power_off", "info", None) in log and ("vps.power_off", "success", None) in log
    assert not [e for e in log if e[0] == "vps.power_off" and e[2] == USER]

    owner = Owner(bot, instance_id)
    server_id = row.provider_instance_id or ""
    bot.sandbox.requests.clear()
    for action in ("power_on", "reboot"):
        answer = await owner.press(f"vps_act_{action}")
        assert "lease of *leased-off* ended" in answer["text"] and "Extend" in answer["text"]
        assert button(answer["blocks"], EXTEND_ACTION) is not None
    assert _sent(bot, server_id) == []
    assert (await load(bot, instance_id)).status == "stopped"

    # Extend (within policy) opens the lease again; then it may be powered on
    mark = bot.api.mark()
    await bot.slack.block_action(EXTEND_ACTION, str(instance_id))
    opened = await bot.api.wait_for_call("views.open", after=mark)
    view = opened.response["view"]
    default = next(b for b in view["blocks"] if b.get("block_id") == "duration")["element"]
    done = await bot.slack.view_submission(
        view["id"], {"duration": {"duration": sv.static_select(default["initial_option"])}}
    )
    assert done.status == 200 and not done.data
    said = await bot.api.wait_for_call(
        "chat.postEphemeral", after=mark, predicate=lambda c: "extended" in c.args["text"]
    )
    assert "extended the lease of *leased-off*" in said.args["text"]
    row = await load(bot, instance_id)
    assert row.lease_ended_at is None and row.expires_at is not None
    assert row.expires_at > datetime.now(UTC)
    answer = await owner.press("vps_act_power_on")
    assert "Power on of *leased-off* requested" in str(answer["blocks"])
    assert len(_sent(bot, server_id)) == 1
