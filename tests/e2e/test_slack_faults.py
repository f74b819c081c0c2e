"""Slack answering badly: rate limits, HTML error pages, refusals. A person's server
still gets its card in the channel, the card ends current, a generated password is
shown exactly once or its loss is told, and nothing is left half-posted."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.status.watcher import StatusWatcher
from db.models import VpsInstance
from tests.e2e.conftest import Bot, settled
from tests.e2e.session import CreateSession
from tests.e2e.test_create_flow import _to_review


async def _row(bot: Bot) -> VpsInstance:
    async with bot.services.db.session() as session:
        return (await session.execute(select(VpsInstance))).scalar_one()


def _passwords(bot: Bot) -> list[str]:
    return [
        c.args["text"]
        for c in bot.api.calls_to("chat.postEphemeral")
        if c.ok and "Root password" in str(c.args.get("text"))
    ]


async def test_a_rate_limited_card_is_posted_in_the_channel_after_slacks_wait(bot: Bot) -> None:
    user = CreateSession(bot)
    await _to_review(user, "limited")
    bot.api.fail("chat.postMessage", status=429, retry_after=1)
    mark = bot.api.mark()
    await user.submit({})
    posted = await bot.api.wait_for_call(
        "chat.postMessage", after=mark, predicate=lambda c: c.ok, timeout=10
    )
    assert posted.args["channel"] == "C0001"  # the channel, not a DM to the creator
    row = await settled(lambda: _row(bot), lambda r: r.message_ts == posted.response["ts"])
    assert row.message_ts == posted.response["ts"]
    assert len(_passwords(bot)) == 1


async def test_a_card_slack_would_not_update_is_brought_up_to_date_by_the_watcher(
    bot: Bot,
) -> None:
    user = CreateSession(bot)
    await _to_review(user, "stale-card")
    mark = bot.api.mark()
    await user.submit({})
    posted = await bot.api.wait_for_call("chat.postMessage", after=mark, timeout=10)
    channel, ts = posted.response["channel"], posted.response["ts"]
    await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
    )
    # the server runs, but Slack answers the update with a proxy's error page (no JSON)
    bot.sandbox.advance(120)
    bot.api.fail("chat.update", status=503, times=3)
    await StatusWatcher(bot.services).cycle(ignore_schedule=True)
    row = await _row(bot)
    assert row.status == "running"
    assert row.configuration.get("card_stale") is True
    assert row.watch_next_at is not None  # a later pass will try again
    assert "running" not in bot.api.messages[(channel, ts)]["text"]
    # the next pass brings the card up to date and clears the mark
    await StatusWatcher(bot.services).cycle(ignore_schedule=True)
    assert "running" in bot.api.messages[(channel, ts)]["text"]
    row = await _row(bot)
    assert not row.configuration.get("card_stale")


async def test_a_card_nobody_could_post_is_never_left_posting(bot: Bot) -> None:
    user = CreateSession(bot)
    await _to_review(user, "unposted")
    # the channel and the DM fallback both fail: an HTML page, then a refusal
    bot.api.fail("chat.postMessage", status=502)
    bot.api.fail("chat.postMessage", "not_in_channel")
    mark = bot.api.mark()
    await user.submit({})
    await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
    )
    row = await _row(bot)
    assert row.message_ts is None  # released, not stuck at "posting"
    assert row.configuration.get("card_stale") is True
    await StatusWatcher(bot.services).cycle(ignore_schedule=True)
    row = await _row(bot)
    assert row.message_ts and not row.message_ts.startswith("posting")
    cards = [
        c for c in bot.api.calls_to("chat.postMessage") if c.ok and not c.args.get("thread_ts")
    ]
    assert len(cards) == 1


async def test_a_password_slack_would_not_take_is_said_to_be_lost_with_the_way_out(
    bot: Bot,
) -> None:
    user = CreateSession(bot)
    await _to_review(user, "no-password")
    bot.api.fail("chat.postEphemeral", "channel_not_found")
    bot.api.fail("chat.postEphemeral", status=500)
    mark = bot.api.mark()
    await user.submit({})
    lost = await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "did not let vpsbot show" in str(c.args)
    )
    assert "Rebuild" in str(lost.args) and "/vps show no-password" in str(lost.args)
    assert _passwords(bot) == []  # Slack took it nowhere, and the modal says so
    assert len(bot.sandbox.instances("digitalocean")) == 1  # the server itself exists


async def test_an_expired_trigger_tells_the_user_to_run_the_command_again(bot: Bot) -> None:
    bot.api.fail("views.open", "expired_trigger_id")
    seen = len(bot.api.responses)
    response = await bot.slack.command("/vps", "create late")
    assert response.status == 200
    told = await bot.api.wait_for_response(after=seen)
    assert "Run `/vps create` again" in json.dumps(told.payload)


async def test_a_slack_outage_during_the_admin_check_refuses_politely(bot: Bot) -> None:
    bot.api.fail("users.info", status=503, times=5)
    response = await bot.slack.as_user("UMEMBER9").command("/vps", "admin")
    assert response.status == 200
    assert "Only vpsbot admins" in response.body
    assert "<html" not in response.body.lower()


async def test_a_slack_too_slow_for_the_admin_check_still_gets_an_answer_in_time(bot: Bot) -> None:
    bot.api.delays["users.info"] = 10.0  # Slack would give up long before this
    response = await bot.slack.as_user("UMEMBER8").command("/vps", "admin")
    assert response.status == 200
    assert "Only vpsbot admins" in response.body
    # nothing was cached from the silence: Slack answering again decides afresh
    bot.api.delays.pop("users.info")
    again = await bot.slack.as_user("UMEMBER8").command("/vps", "admin")
    assert "Only vpsbot admins" in again.body
    assert len(bot.api.calls_to("users.info")) >= 2


async def test_a_hash_conflict_leaves_the_newer_screen_alone(bot: Bot) -> None:
    user = CreateSession(bot)
    await user.open("racing")
    bot.api.fail("views.update", "hash_conflict")
    mark = bot.api.mark()
    await user.choose_provider("linode")
    conflict = await bot.api.wait_for_call("views.update", after=mark)
    assert conflict.error == "hash_conflict"
    # nothing broke: the next action renders normally
    view = await user.choose_provider("digitalocean")
    assert view["callback_id"] == "vps_create:plan"
