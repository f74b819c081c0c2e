"""A create started from the Home tab follows the workspace's channel policy: the
card goes to the one allowed channel, the member picks one in step 1 when several
are allowed, and the claim checks the channel again (issue 18)."""

from __future__ import annotations

from sqlalchemy import select

from bot.home.views import HOME_CREATE
from db.models import VpsInstance
from db.repo import spend
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import ADMIN, TEAM, USER, Bot
from tests.e2e.session import CreateSession, block_ids, options_of


async def _policy(bot: Bot, **values: object) -> None:
    async with bot.services.db.session() as session, session.begin():
        await spend.save_policy(session, TEAM, values, ADMIN)
    await bot.services.changed("channels", TEAM)  # as the admin screen says it


async def _from_home(bot: Bot) -> CreateSession:
    """Step 1 opened by the Home tab's Create button."""
    mark = bot.api.mark()
    await bot.slack.event("app_home_opened", tab="home")
    await bot.api.wait_for_call("views.publish", after=mark)
    mark = bot.api.mark()
    response = await bot.slack.block_action(HOME_CREATE, "create", view=bot.api.home_views[USER])
    assert response.status == 200
    opened = await bot.api.wait_for_call("views.open", after=mark)
    assert opened.ok
    user = CreateSession(bot)
    user.view_id = opened.response["view"]["id"]
    return user


async def _to_review(user: CreateSession, label: str, channel: str | None = None) -> None:
    """Through the steps to the review (a DigitalOcean server, no 1-Click app)."""
    await user.choose_provider("digitalocean")
    await user.choose_plan("s-1vcpu-1gb")
    values = {
        "provider": {"create_provider": sv.static_select(user.bot.provider_id("digitalocean"))},
        "plan": user.values["plan"],
        "region": {"region": sv.static_select("ams3")},
        "label": {"label": sv.plain_text(label)},
    }
    if channel is not None:
        values["channel"] = {"create_channel": sv.static_select(channel)}
    answer = await user.submit(values)
    assert answer.data["view"]["callback_id"] == "vps_create:deployment", answer.data
    await user.submit({"deployment": {"deployment": sv.static_select("none")}})
    await user.submit({"image": {"image": sv.static_select("ubuntu-24-04-x64")}})
    review = await user.submit({"options": {"options": sv.checkboxes([])}})
    assert review.data["view"]["callback_id"] == "vps_create:review"


async def _card_channel(bot: Bot, user: CreateSession, label: str) -> str:
    mark = bot.api.mark()
    await user.submit({})
    posted = await bot.api.wait_for_call(
        "chat.postMessage", after=mark, predicate=lambda c: label in str(c.args.get("text"))
    )
    async with bot.services.db.session() as session:
        row = (
            await session.execute(select(VpsInstance).where(VpsInstance.label == label))
        ).scalar_one()
    assert row.channel_id == posted.response["channel"]
    return str(posted.args["channel"])


async def test_home_create_posts_to_the_one_allowed_channel(bot: Bot) -> None:
    await _policy(bot, create_channels=["C0SERVERS"])
    user = await _from_home(bot)
    assert "channel" not in block_ids(user.view)  # nothing to pick
    await _to_review(user, "home-one")
    assert await _card_channel(bot, user, "home-one") == "C0SERVERS"


async def test_home_create_lets_the_member_pick_among_several_channels(bot: Bot) -> None:
    bot.api.channels["C0SERVERS"] = {"name": "servers"}
    await _policy(bot, create_channels=["C0SERVERS", "C0LAB"])
    user = await _from_home(bot)
    offered = options_of(user.view, "channel")
    assert [(o["value"], o["text"]["text"]) for o in offered] == [
        ("C0SERVERS", "#servers"),
        ("C0LAB", "C0LAB"),  # Slack gave no name: the id stands in
    ]
    # a step 1 without a channel is refused at the channel field, nothing lost
    await user.choose_provider("digitalocean")
    await user.choose_plan("s-1vcpu-1gb")
    answer = await user.submit(
        {
            "provider": {"create_provider": sv.static_select(bot.provider_id("digitalocean"))},
            "plan": user.values["plan"],
            "region": {"region": sv.static_select("ams3")},
            "label": {"label": sv.plain_text("home-pick")},
        }
    )
    assert answer.data["response_action"] == "errors"
    assert set(answer.data["errors"]) == {"channel"}
    await _to_review(user, "home-pick", channel="C0LAB")
    assert await _card_channel(bot, user, "home-pick") == "C0LAB"


async def test_the_claim_checks_the_channel_again(bot: Bot) -> None:
    await _policy(bot, create_channels=["C0SERVERS"])
    user = CreateSession(bot, bot.slack.in_channel("C0SERVERS"))
    await user.open("moved")
    await _to_review(user, "moved")
    await _policy(bot, create_channels=["C0ELSEWHERE"])  # changed while it was open
    answer = await user.submit({})
    shown = str(answer.data)
    assert "Servers can only be created in" in shown and "C0ELSEWHERE" in shown
    assert bot.sandbox.instances("digitalocean") == []
    async with bot.services.db.session() as session:
        assert (await session.execute(select(VpsInstance))).first() is None
