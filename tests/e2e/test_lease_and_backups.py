"""The lease a create gets and what backups cost, end to end: the modal preselects
the policy's default lease, the review and the approval request state the lease
and the backups surcharge, the claim charges it, and a create that waits for
approval never claims the typed password is used."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from db.models import ApprovalRequest, VpsInstance
from db.repo import spend
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import TEAM, Bot
from tests.e2e.session import CreateSession, text_of

APPROVALS = "CAPPROVE1"


async def _policy(bot: Bot, **values: object) -> None:
    async with bot.services.db.session() as session, session.begin():
        await spend.save_policy(session, TEAM, values, "UADMIN01")


def _block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


async def _to_config(user: CreateSession, label: str) -> dict[str, Any]:
    await user.open(label)
    await user.plan_step("digitalocean", "s-1vcpu-1gb", "ams3", label=label)
    await user.submit({"deployment": {"deployment": sv.static_select("none")}})
    answer = await user.submit({"image": {"image": sv.static_select("ubuntu-24-04-x64")}})
    view = answer.data["view"]
    assert view["callback_id"] == "vps_create:config"
    return view  # type: ignore[no-any-return]


def _as_slack_sends(view: dict[str, Any], **values: Any) -> dict[str, Any]:
    """The config step's state as Slack sends it: the lease select's initial option
    (left alone) included, plus what the person typed or ticked."""
    lease = _block(view, "lease")["element"]["initial_option"]["value"]
    return {"lease": {"lease": sv.static_select(lease)}, **values}


async def test_the_default_lease_is_preselected_and_backups_are_charged(bot: Bot) -> None:
    await _policy(bot, default_lease_hours=168, max_lease_hours=720)
    user = CreateSession(bot)
    config = await _to_config(user, "leased-1")
    lease = _block(config, "lease")["element"]
    assert lease["initial_option"]["value"] == "168"  # the default, not the shortest (24)
    assert lease["options"][0]["value"] == "24"  # shortest first
    # the surcharge next to the checkbox: 20 % of $6.00, marked up 20 % like the plan
    backups = next(o for o in _block(config, "options")["element"]["options"])
    assert backups["value"] == "backups"
    assert "+$1.44/mo" in backups["description"]["text"]
    answer = await user.submit(
        _as_slack_sends(config, options={"options": sv.checkboxes(["backups"])})
    )
    review = text_of(answer.data["view"])
    assert "*Lease:* 7 days" in review
    assert "*Backups:* yes (+$1.44/mo" in review
    assert "$8.64/month" in review  # 7.20 + 1.44
    await user.submit({})
    async with bot.services.db.session() as session:
        row = (await session.execute(select(VpsInstance))).scalar_one()
    assert row.expires_at is not None
    assert (row.expires_at - row.created_at).total_seconds() == 168 * 3600
    assert row.price_monthly == Decimal("8.64")
    assert row.price_hourly == Decimal("0.0107") + Decimal("0.0021")


async def test_a_create_waiting_for_approval_states_its_real_access_and_lease(bot: Bot) -> None:
    await _policy(
        bot,
        approval_threshold=Decimal("1.00"),
        approval_channel=APPROVALS,
        approver_ids=["UBOSS001"],
        default_lease_hours=720,
        max_lease_hours=2160,
    )
    user = CreateSession(bot)
    config = await _to_config(user, "waits-1")
    answer = await user.submit(
        _as_slack_sends(
            config,
            password={"password": sv.plain_text("Typed-Passw0rd-9x!")},
            options={"options": sv.checkboxes(["backups"])},
        )
    )
    review = text_of(answer.data["view"])
    assert "set by you" not in review
    assert "a generated root password" in review and "not kept" in review
    assert "*Lease:* 30 days" in review, _block(answer.data["view"], "review")
    mark = bot.api.mark()
    await user.submit({})
    posted = await bot.api.wait_for_call(
        "chat.postMessage", after=mark, predicate=lambda c: c.args.get("channel") == APPROVALS
    )
    blocks = str(posted.args["blocks"])
    assert "set by you" not in blocks and "a generated root password" in blocks
    assert "waits-1" in posted.args["text"] and "*waits-1*" in blocks
    assert "*Lease:* 30 days" in blocks and "$8.64/month" in blocks
    async with bot.services.db.session() as session:
        request = (await session.execute(select(ApprovalRequest))).scalar_one()
    assert request.price_monthly == Decimal("8.64")
    # the approver's Home lists the request with its price and the lease it asks for
    mark = bot.api.mark()
    await bot.slack.as_user("UBOSS001").event("app_home_opened", tab="home")
    await bot.api.wait_for_call("views.publish", after=mark)
    home = str(bot.api.views[bot.api.home_views["UBOSS001"]]["blocks"])
    assert "asks for *waits-1* (create, $8.64/mo, lease 30 days)" in home
