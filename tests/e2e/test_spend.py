"""Spend guardrails end to end: the review's cost and verdict, approval requests
decided exactly once across double clicks and two replicas, and denied or expired
requests that never reach a provider (the sandbox's request log says so)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.approvals.service import expire_requests
from bot.spend.requests import APPROVE_ACTION, DENY_ACTION
from db.models import ApprovalRequest, VpsInstance
from db.repo import spend
from standins.playground.slack_client import SlackSender
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import ADMIN, TEAM, USER, Bot, settled, start_bot
from tests.e2e.session import CreateSession, text_of

BOSS = "UBOSS001"
OTHER_BOSS = "UBOSS002"
APPROVALS = "CAPPROVE1"


async def _policy(bot: Bot, **values: object) -> None:
    async with bot.services.db.session() as session, session.begin():
        await spend.save_policy(session, TEAM, values, "UADMIN01")


async def _to_review(user: CreateSession, label: str) -> dict:  # type: ignore[type-arg]
    await user.open(label)
    await user.plan_step("digitalocean", "s-1vcpu-1gb", "ams3", label=label)
    await user.submit({"deployment": {"deployment": sv.static_select("none")}})
    await user.submit({"image": {"image": sv.static_select("ubuntu-24-04-x64")}})
    response = await user.submit({"options": {"options": sv.checkboxes([])}})
    view = response.data["view"]
    assert view["callback_id"] == "vps_create:review"
    return view  # type: ignore[no-any-return]


def _creates(bot: Bot) -> int:
    return len([r for r in bot.sandbox.requests if r.method == "POST" and r.path == "/v2/droplets"])


async def _request(bot: Bot, label: str, **approvers: object) -> ApprovalRequest:
    await _policy(
        bot,
        approval_threshold=Decimal("1.00"),
        approval_channel=APPROVALS,
        **(approvers or {"approver_ids": [BOSS, OTHER_BOSS]}),
    )
    user = CreateSession(bot)
    view = await _to_review(user, label)
    text = text_of(view)
    assert "Needs approval: over $1.00/month" in text and "/hour" in text
    assert view["submit"]["text"] == "Ask for approval"
    mark = bot.api.mark()
    answer = await user.submit({})
    assert "needs approval" in text_of(answer.data["view"])
    posted = await bot.api.wait_for_call(
        "chat.postMessage", after=mark, predicate=lambda c: c.args.get("channel") == APPROVALS
    )
    assert APPROVE_ACTION in str(posted.args["blocks"])

    async def request() -> ApprovalRequest:
        async with bot.services.db.session() as session:
            return (
                await session.execute(
                    select(ApprovalRequest).where(
                        ApprovalRequest.summary["draft"]["label"].astext == label
                    )
                )
            ).scalar_one()

    row = await settled(request, lambda r: r.message_ts == posted.response["ts"])
    assert row.message_ts == posted.response["ts"]
    assert "password_sealed" not in str({k: v for k, v in row.summary["draft"].items() if v})
    return row


async def test_review_shows_cost_and_budget_and_refuses_over_budget(bot: Bot) -> None:
    await _policy(bot, monthly_budget=Decimal("0.01"), member_budget=None)
    user = CreateSession(bot)
    view = await _to_review(user, "too-dear")
    text = text_of(view)
    assert "Workspace budget left this month:* $0.01" in text
    answer = await user.submit({})
    # the review has no input block: Slack would refuse errors there, so the reason is
    # shown at the top of the review (the stand-in refuses errors keyed elsewhere)
    assert answer.data["response_action"] == "update"
    shown = answer.data["view"]
    assert shown["callback_id"] == "vps_create:review"
    assert "of the workspace's budget is left" in text_of({"blocks": shown["blocks"][:3]})
    assert bot.api.is_open(user.view_id)
    assert _creates(bot) == 0


async def test_server_count_refusal_is_shown_on_the_review(bot: Bot) -> None:
    await _policy(bot, max_servers_per_member=0)
    user = CreateSession(bot)
    await _to_review(user, "one-too-many")
    answer = await user.submit({})
    assert answer.data["response_action"] == "update"
    shown = answer.data["view"]
    top = text_of({"blocks": shown["blocks"][:3]})
    assert "the limit is 0" in top and ":warning:" in top
    assert "the limit is 0" in text_of(bot.api.views[user.view_id])
    assert _creates(bot) == 0


async def test_approval_creates_exactly_once_across_clicks_and_replicas(
    bot: Bot, database_url: str, fernet_keys: list[str]
) -> None:
    request = await _request(bot, "approved-once")
    assert _creates(bot) == 0  # nothing before an approver says yes
    message = {"type": "message", "ts": request.message_ts, "text": "", "bot_id": "B0BOT"}
    # the requester cannot approve their own request
    own = bot.slack.in_channel(APPROVALS)
    seen = len(bot.api.responses)
    await own.block_action(APPROVE_ACTION, str(request.id), message=message)
    refused = await bot.api.wait_for_response(after=seen)
    assert "cannot decide your own request" in str(refused.payload)
    assert _creates(bot) == 0
    # two approvers, double clicks, a Slack retry and a second replica, all at once
    services2, runner2, url2 = await start_bot(
        bot.api, bot.sandbox, database_url, fernet_keys, register=False
    )
    try:
        from tests.e2e.conftest import SIGNING_SECRET

        replica2 = SlackSender(
            f"{url2}/slack/events", SIGNING_SECRET, team_id=TEAM, user_id=OTHER_BOSS, api=bot.api
        ).in_channel(APPROVALS)
        boss = bot.slack.as_user(BOSS).in_channel(APPROVALS)
        mark = bot.api.mark()
        results = await asyncio.gather(
            boss.block_action(APPROVE_ACTION, str(request.id), message=message),
            boss.block_action(APPROVE_ACTION, str(request.id), message=message),
            boss.retrying(1).block_action(APPROVE_ACTION, str(request.id), message=message),
            replica2.block_action(APPROVE_ACTION, str(request.id), message=message),
        )
        assert all(r.status == 200 for r in results)
        # the approved server's card, then a generated password shown to the requester
        await bot.api.wait_for_call(
            "chat.postEphemeral",
            after=mark,
            predicate=lambda c: "Root password" in str(c.args.get("text")),
            timeout=15,
        )
        await asyncio.sleep(0.3)
    finally:
        await runner2.cleanup()
        await services2.aclose()
    assert _creates(bot) == 1
    assert len(bot.sandbox.instances("digitalocean")) == 1
    async with bot.services.db.session() as session:
        rows = (await session.execute(select(VpsInstance))).scalars().all()
        decided = await session.get(ApprovalRequest, request.id, populate_existing=True)
    assert len(rows) == 1 and rows[0].created_by == USER and rows[0].label == "approved-once"
    assert decided is not None and decided.status == "approved"
    assert decided.decided_by in (BOSS, OTHER_BOSS)
    password = next(
        c for c in bot.api.calls_to("chat.postEphemeral") if "Root password" in str(c.args)
    )
    assert password.args["user"] == USER
    thread = [
        c
        for c in bot.api.calls_to("chat.postMessage")
        if c.args.get("thread_ts") == request.message_ts
    ]
    assert len(thread) == 1 and "approved" in thread[0].args["text"]


async def test_a_user_group_decides_when_the_policy_names_one(bot: Bot) -> None:
    bot.api.usergroups["S0FINANCE"] = ["UFIN0001"]
    request = await _request(bot, "group-approved", approver_group="S0FINANCE")
    message = {"type": "message", "ts": request.message_ts, "text": "", "bot_id": "B0BOT"}
    # outside the group, even an operator-level admin may not decide
    seen = len(bot.api.responses)
    admin = bot.slack.as_user(ADMIN).in_channel(APPROVALS)
    await admin.block_action(APPROVE_ACTION, str(request.id), message=message)
    refused = await bot.api.wait_for_response(after=seen)
    assert "Only the workspace's approvers" in str(refused.payload)
    assert _creates(bot) == 0
    mark = bot.api.mark()
    member = bot.slack.as_user("UFIN0001").in_channel(APPROVALS)
    await member.block_action(APPROVE_ACTION, str(request.id), message=message)
    await bot.api.wait_for_call(
        "chat.postEphemeral",
        after=mark,
        predicate=lambda c: "Root password" in str(c.args.get("text")),
        timeout=15,
    )
    assert _creates(bot) == 1
    # Slack was asked for the group once: the later checks read the minute-long cache
    asked = bot.api.calls_to("usergroups.users.list")
    assert [c.args["usergroup"] for c in asked] == ["S0FINANCE"]


async def test_denied_and_expired_requests_never_reach_the_provider(bot: Bot) -> None:
    denied = await _request(bot, "denied-one")
    message = {"type": "message", "ts": denied.message_ts, "text": "", "bot_id": "B0BOT"}
    boss = bot.slack.as_user(BOSS).in_channel(APPROVALS)
    mark, before = bot.api.mark(), len(bot.api.responses)
    await asyncio.gather(  # a double click on Deny
        boss.block_action(DENY_ACTION, str(denied.id), message=message),
        boss.block_action(DENY_ACTION, str(denied.id), message=message),
    )
    await bot.api.wait_for_call(
        "chat.update", after=mark, predicate=lambda c: c.args.get("ts") == denied.message_ts
    )
    answers = [await bot.api.wait_for_response(after=before + i) for i in (0, 1)]
    assert sorted(str(a.payload["text"])[:6] for a in answers) == ["Denied", "This r"]
    seen = len(bot.api.responses)
    await boss.block_action(APPROVE_ACTION, str(denied.id), message=message)  # too late
    late = await bot.api.wait_for_response(after=seen)
    assert "already denied" in str(late.payload)
    expiring = await _request(bot, "expires-one")
    later = datetime.now(UTC) + timedelta(hours=49)
    assert await expire_requests(bot.services, now=later) == 1
    assert await expire_requests(bot.services, now=later) == 0
    # a click after expiry changes nothing
    message = {"type": "message", "ts": expiring.message_ts, "text": "", "bot_id": "B0BOT"}
    await boss.block_action(APPROVE_ACTION, str(expiring.id), message=message)
    await asyncio.sleep(0.3)
    async with bot.services.db.session() as session:
        statuses = {
            r.summary["draft"]["label"]: r.status
            for r in (await session.execute(select(ApprovalRequest))).scalars()
        }
    assert statuses == {"denied-one": "denied", "expires-one": "expired"}
    assert not [r for r in bot.sandbox.requests if r.method == "POST"]
    updates = [c for c in bot.api.calls_to("chat.update") if c.args.get("ts") == denied.message_ts]
    assert len(updates) == 1 and "denied" in updates[0].args["text"]
    told = [c.args["text"] for c in bot.api.calls_to("chat.postEphemeral")]
    assert any("expired before anyone decided" in t for t in told)


async def test_an_approved_create_the_provider_refuses_is_told(bot: Bot) -> None:
    request = await _request(bot, "refused-later")
    bot.sandbox.inject("digitalocean", method="POST", path="/v2/droplets", status=422)
    message = {"type": "message", "ts": request.message_ts, "text": "", "bot_id": "B0BOT"}
    boss = bot.slack.as_user(BOSS).in_channel(APPROVALS)
    seen = len(bot.api.responses)
    await boss.block_action(APPROVE_ACTION, str(request.id), message=message)
    answer = await bot.api.wait_for_response(after=seen, timeout=15)
    assert "refused to create *refused-later*" in str(answer.payload)
    told = [c.args["text"] for c in bot.api.calls_to("chat.postEphemeral")]
    assert any("approved but sandbox-digitalocean refused" in t for t in told)
    async with bot.services.db.session() as session:
        assert (await session.execute(select(VpsInstance))).scalars().all() == []
