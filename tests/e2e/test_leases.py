"""Leases end to end: chosen in the wizard within policy, ended once at the
provider by two sweepers with a clock the test moves (also when the first dies
before its done mark), the lease-end action idempotent on servers already off
or gone, Extend within policy or by approval, and `/vps create` only in the
policy's channels."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.app.spend_jobs import end_lease
from bot.approvals.lease import extend_lease
from bot.core.services import Services
from bot.status.leases import DEFAULT_GRACE, EXTEND_ACTION, LeaseSweeper
from bot.status.watcher import StatusWatcher
from db.models import ApprovalRequest, VpsInstance
from db.repo import spend
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import ADMIN, TEAM, USER, Bot, start_bot
from tests.e2e.session import CreateSession, options_of


async def _policy(bot: Bot, **values: object) -> None:
    async with bot.services.db.session() as session, session.begin():
        await spend.save_policy(session, TEAM, values, ADMIN)


async def _create(bot: Bot, label: str, lease: str | None, offered: list[str]) -> VpsInstance:
    user = CreateSession(bot)
    await user.open(label)
    await user.plan_step("digitalocean", "s-1vcpu-1gb", "ams3", label=label)
    await user.submit({"deployment": {"deployment": sv.static_select("none")}})
    response = await user.submit({"image": {"image": sv.static_select("ubuntu-24-04-x64")}})
    config = response.data["view"]
    # up to the policy's maximum, with its default and maximum among them
    assert [o["value"] for o in options_of(config, "lease")] == offered
    values = {"options": {"options": sv.checkboxes([])}}
    if lease is not None:
        values["lease"] = {"lease": sv.static_select(lease)}
    review = await user.submit(values)
    assert review.data["view"]["callback_id"] == "vps_create:review"
    mark = bot.api.mark()
    await user.submit({})
    await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
    )
    async with bot.services.db.session() as session:
        return (
            await session.execute(select(VpsInstance).where(VpsInstance.label == label))
        ).scalar_one()


async def test_lease_is_chosen_and_ended_once_at_the_provider(
    bot: Bot, database_url: str, fernet_keys: list[str]
) -> None:
    await _policy(bot, default_lease_hours=168, max_lease_hours=720)
    before = datetime.now(UTC)
    row = await _create(bot, "leased", "24", ["24", "72", "168", "336", "720"])
    assert row.expires_at is not None
    assert (
        timedelta(hours=23, minutes=59) < row.expires_at - before < timedelta(hours=24, seconds=30)
    )
    bot.sandbox.advance(120)
    await StatusWatcher(bot.services).cycle(ignore_schedule=True)
    services2, runner2, _ = await start_bot(
        bot.api, bot.sandbox, database_url, fernet_keys, register=False
    )
    try:
        clock = row.expires_at + timedelta(minutes=1)
        sweepers = [
            LeaseSweeper(s, end=end_lease, clock=lambda: clock) for s in (bot.services, services2)
        ]
        bot.sandbox.requests.clear()
        results = await asyncio.gather(*(s.cycle() for s in sweepers))
        assert sorted(results) == [(0, 0), (0, 1)]
        assert await asyncio.gather(*(s.cycle() for s in sweepers)) == [(0, 0), (0, 0)]
    finally:
        await runner2.cleanup()
        await services2.aclose()
    actions = [r for r in bot.sandbox.requests if r.method == "POST" and "/actions" in r.path]
    assert len(actions) == 1  # power off (the default lease-end action), once
    async with bot.services.db.session() as session:
        ended = await session.get(VpsInstance, row.id, populate_existing=True)
    assert ended is not None and ended.status == "stopped" and ended.lease_ended_at == clock
    told = [c.args["text"] for c in bot.api.calls_to("chat.postMessage")]
    assert any("lease of *leased* ended; it is being powered off" in t for t in told)


async def test_lease_end_can_delete_the_server(bot: Bot) -> None:
    await _policy(bot, lease_end_action="delete", default_lease_hours=72, max_lease_hours=720)
    row = await _create(bot, "short-lived", None, ["24", "72", "168", "336", "720"])
    assert row.expires_at is not None
    bot.sandbox.advance(120)
    await StatusWatcher(bot.services).cycle(ignore_schedule=True)
    bot.sandbox.requests.clear()
    clock = row.expires_at + timedelta(seconds=1)
    sweeper = LeaseSweeper(bot.services, end=end_lease, clock=lambda: clock)
    assert await sweeper.cycle() == (0, 1)
    deletes = [r for r in bot.sandbox.requests if r.method == "DELETE"]
    assert len(deletes) == 1 and deletes[0].path.startswith("/v2/droplets/")
    told = [c.args["text"] for c in bot.api.calls_to("chat.postMessage")]
    assert any("lease of *short-lived* ended; it is being deleted" in t for t in told)


def _actions_sent(bot: Bot) -> list[str]:
    """The state-changing requests the provider got (power actions and deletes)."""
    return [
        f"{r.method} {r.path}"
        for r in bot.sandbox.requests
        if r.method == "DELETE" or (r.method == "POST" and "/actions" in r.path)
    ]


async def _reload(bot: Bot, row: VpsInstance) -> VpsInstance:
    async with bot.services.db.session() as session:
        found = await session.get(VpsInstance, row.id, populate_existing=True)
    assert found is not None
    return found


async def test_a_lease_end_interrupted_before_its_done_mark_powers_off_once(bot: Bot) -> None:
    await _policy(bot, default_lease_hours=72, max_lease_hours=720)
    row = await _create(bot, "interrupted", None, ["24", "72", "168", "336", "720"])
    assert row.expires_at is not None
    bot.sandbox.advance(120)
    await StatusWatcher(bot.services).cycle(ignore_schedule=True)
    bot.sandbox.requests.clear()

    async def dies_after_the_provider_call(services: Services, row: VpsInstance, a: str) -> str:
        await end_lease(services, row, a)
        raise asyncio.CancelledError  # stopped before telling, auditing, marking done

    clock = row.expires_at + timedelta(minutes=1)
    with pytest.raises(asyncio.CancelledError):
        await LeaseSweeper(
            bot.services, end=dies_after_the_provider_call, clock=lambda: clock
        ).cycle()
    assert len(_actions_sent(bot)) == 1
    mark = bot.api.mark()
    later = clock + DEFAULT_GRACE
    sweeper = LeaseSweeper(bot.services, end=end_lease, clock=lambda: later)
    assert await sweeper.cycle() == (0, 1)  # taken over after the grace
    assert await sweeper.cycle() == (0, 0)
    assert len(_actions_sent(bot)) == 1  # the power off was not sent again
    told = [
        c.args["text"]
        for c in bot.api.calls[mark:]
        if c.method == "chat.postMessage" and c.args.get("thread_ts")
    ]
    assert told == ["The lease of *interrupted* ended; it was already powered off."]
    ended = await _reload(bot, row)
    assert ended.status == "stopped" and ended.lease_end_done_at == later


async def test_the_lease_end_action_is_idempotent_on_servers_already_off_or_gone(
    bot: Bot,
) -> None:
    await _policy(bot, default_lease_hours=72, max_lease_hours=720)
    offered = ["24", "72", "168", "336", "720"]
    off = await _create(bot, "off-outside", None, offered)
    gone = await _create(bot, "gone-outside", None, offered)
    twice = await _create(bot, "ended-twice", None, offered)
    bot.sandbox.advance(120)
    await StatusWatcher(bot.services).cycle(ignore_schedule=True)
    bot.sandbox.set_status("digitalocean", off.provider_instance_id or "", "off")
    bot.sandbox.remove_instance("digitalocean", gone.provider_instance_id or "")
    bot.sandbox.requests.clear()
    services = bot.services

    # the row says running; the provider, asked first, says off or 404
    line = await end_lease(services, await _reload(bot, off), "power_off")
    assert line == "The lease of *off-outside* ended; it was already powered off."
    line = await end_lease(services, await _reload(bot, gone), "power_off")
    assert line == "*gone-outside* was already gone at the provider when its lease ended."
    assert _actions_sent(bot) == []
    # a delete answered with 404 is done, not an error
    line = await end_lease(services, await _reload(bot, gone), "delete")
    assert line == "The lease of *gone-outside* ended; it is being deleted."
    assert _actions_sent(bot) == [f"DELETE /v2/droplets/{gone.provider_instance_id}"]
    # run again after it was carried out: the row answers, nothing is sent or asked
    line = await end_lease(services, await _reload(bot, gone), "delete")
    assert line == "*gone-outside* was already gone when its lease ended."
    assert len(_actions_sent(bot)) == 1
    line = await end_lease(services, await _reload(bot, twice), "power_off")
    assert line == "The lease of *ended-twice* ended; it is being powered off."
    assert len(_actions_sent(bot)) == 2
    before = len(bot.sandbox.requests)
    line = await end_lease(services, await _reload(bot, twice), "power_off")
    assert line == "The lease of *ended-twice* ended; it was already powered off."
    assert len(bot.sandbox.requests) == before


async def test_extend_within_policy_and_past_it_by_approval(bot: Bot) -> None:
    await _policy(
        bot,
        default_lease_hours=72,
        max_lease_hours=100,
        approval_threshold=Decimal("1000"),
        approver_ids=["UBOSS001"],
        approval_channel="CAPPROVE1",
    )
    row = await _create(bot, "extendable", None, ["24", "72", "100"])
    assert row.expires_at is not None
    first = row.expires_at
    # the reminder's Extend button, pressed by the owner, asks how long: one day
    # fits the 100 h maximum from creation, longer needs an approver
    mark = bot.api.mark()
    response = await bot.slack.block_action(EXTEND_ACTION, str(row.id), block_id="lease")
    assert response.status == 200
    opened = await bot.api.wait_for_call("views.open", after=mark)
    view = opened.response["view"]
    menu = next(b for b in view["blocks"] if b.get("block_id") == "duration")["element"]
    texts = [o["text"]["text"] for o in menu["options"]]
    assert texts[:3] == [
        "1 day more",
        "3 days more (needs approval)",
        "7 days more (needs approval)",
    ]
    assert menu["initial_option"]["value"] == "72"  # the policy's default lease
    assert "<!date^" in str(view["blocks"][0]) and "longer needs an approver" in str(view)
    # a length that was never offered is refused at the field
    refused = await bot.slack.view_submission(
        view["id"], {"duration": {"duration": sv.static_select("5")}}
    )
    assert refused.data["response_action"] == "errors" and "duration" in refused.data["errors"]
    # 72 h more is past the maximum: it becomes a request
    mark = bot.api.mark()
    done = await bot.slack.view_submission(
        view["id"], {"duration": {"duration": sv.static_select("72")}}
    )
    assert done.status == 200 and not done.data
    told = await bot.api.wait_for_call(
        "chat.postEphemeral", after=mark, predicate=lambda c: "needs approval" in c.args["text"]
    )
    assert told.args["user"] == USER
    posted = await bot.api.wait_for_call(
        "chat.postMessage", after=mark, predicate=lambda c: c.args.get("channel") == "CAPPROVE1"
    )
    assert "a longer lease" in str(posted.args["blocks"])
    async with bot.services.db.session() as session:
        request = (await session.execute(select(ApprovalRequest))).scalar_one()
    assert request.kind == "extend" and request.instance_id == row.id
    # within policy: a 200 h maximum lets the owner extend at once, by what they chose
    await _policy(bot, max_lease_hours=200)
    line = await extend_lease(bot.services, row, USER, hours=24)
    assert "extended the lease of *extendable* until <!date^" in line
    async with bot.services.db.session() as session:
        extended = await session.get(VpsInstance, row.id, populate_existing=True)
    assert extended is not None and extended.expires_at == first + timedelta(hours=24)


async def test_create_only_in_the_policys_channels(bot: Bot) -> None:
    await _policy(bot, create_channels=["C0SERVERS"])
    mark = bot.api.mark()
    response = await bot.slack.command("/vps", "create")
    assert response.status == 200
    said = await bot.api.wait_for_response()
    assert "not allowed in this channel" in str(said.payload) and "C0SERVERS" in str(said.payload)
    assert not [c for c in bot.api.calls[mark:] if c.method == "views.open"]
    user = CreateSession(bot, bot.slack.in_channel("C0SERVERS"))
    view = await user.open()
    assert view["callback_id"] == "vps_create:plan"
