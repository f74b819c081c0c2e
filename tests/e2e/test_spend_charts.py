"""`/vps cost` and the Home tab draw the month as a chart: uploaded privately through
the stand-in, shown with ``slack_file``, its alt text stating the same sums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.core.charts import human
from bot.home.charts import daily
from bot.home.service import cost_report
from bot.spend import cost
from bot.spend.cost import Usage
from db.repo import spend
from standins.playground.slack_api import Call, ResponsePost
from tests.e2e.conftest import ADMIN, TEAM, USER, Bot
from tests.e2e.test_home_and_cost import _servers

JSON = dict[str, Any]


def is_chart(post: ResponsePost) -> bool:
    return any(b.get("block_id") == "vps_spend_chart" for b in post.payload.get("blocks") or [])


def with_chart(call: Call) -> bool:
    """A views.publish that Slack took, of a Home with the spend chart."""
    return call.ok and "home_spend_chart" in str(call.args["view"])


def image_of(blocks: list[JSON]) -> JSON:
    return next(b for b in blocks if b["type"] == "image")


async def _budget(bot: Bot) -> None:
    async with bot.services.db.session() as session, session.begin():
        await spend.save_policy(
            session,
            TEAM,
            {"member_budget": Decimal("100"), "monthly_budget": Decimal("500")},
            ADMIN,
        )


async def test_cost_shows_the_month_as_a_chart_with_the_same_sums(bot: Bot) -> None:
    await _budget(bot)
    await _servers(bot, 3, user=ADMIN)
    await _servers(bot, 2, user=USER)
    admin = bot.slack.as_user(ADMIN)
    after = len(bot.api.responses)
    await admin.command("/vps", "cost")
    post = await bot.api.wait_for_response(is_chart, after=after, timeout=30)
    image = image_of(post.payload["blocks"])
    stored = bot.api.files.files[image["slack_file"]["id"]]
    assert stored.completed and stored.shared_to == [] and (stored.data or b"")[:4] == b"\x89PNG"
    report = await cost_report(bot.services, TEAM, ADMIN, datetime.now(UTC))
    alt = image["alt_text"]
    assert f"You: {human(float(report.mine.month_to_date), '$')} so far" in alt
    assert report.workspace is not None
    assert f"Workspace: {human(float(report.workspace.month_to_date), '$')} so far" in alt
    assert "Budget: $100.00" in alt and "Budget: $500.00" in alt
    assert f"{ADMIN} {human(float(report.by_member[ADMIN].projected), '$')}" in alt
    assert "Projected by provider: sandbox-digitalocean" in alt
    assert len(alt) <= 2000


async def test_a_member_sees_only_their_month(bot: Bot) -> None:
    await _servers(bot, 2, user=USER)
    await _servers(bot, 1, user=ADMIN)
    after = len(bot.api.responses)
    await bot.slack.command("/vps", "cost")
    post = await bot.api.wait_for_response(is_chart, after=after, timeout=30)
    alt = image_of(post.payload["blocks"])["alt_text"]
    assert "Workspace:" not in alt and "You: $" in alt
    assert "Projected by member" not in alt and ADMIN not in alt


async def test_the_home_tab_gets_the_spend_chart_under_the_spend(bot: Bot) -> None:
    bot.api.files.processing_seconds = 0.4  # the first publish naming it is refused
    await _budget(bot)
    await _servers(bot, 2, user=USER)
    mark = bot.api.mark()
    await bot.slack.event("app_home_opened", tab="home")
    await bot.api.wait_for_call("views.publish", with_chart, after=mark, timeout=30)
    view = bot.api.views[bot.api.home_views[USER]]
    refused = [c for c in bot.api.calls_to("views.publish") if not c.ok]
    assert refused and "invalid slack file" in str(refused[0].response)
    ids = [b.get("block_id") for b in view["blocks"]]
    assert ids.index("home_spend_chart") == 3  # under "My spend this month"
    image = image_of(view["blocks"])
    assert bot.api.files.files[image["slack_file"]["id"]].completed
    assert "Budget: $100.00" in image["alt_text"] and len(view["blocks"]) <= 100
    # a republish whose figures did not move reuses the drawing, no new upload
    uploads = bot.api.files.uploads
    mark = bot.api.mark()
    await bot.slack.event("app_home_opened", tab="home")
    await bot.api.wait_for_call("views.publish", with_chart, after=mark, timeout=30)
    assert bot.api.files.uploads == uploads


def test_days_add_up_to_the_month_so_far() -> None:
    now = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
    usages = [
        Usage(datetime(2026, 11, 20, tzinfo=UTC), None, Decimal("0.0179"), Decimal("12")),
        Usage(
            datetime(2026, 12, 2, 8, tzinfo=UTC),
            datetime(2026, 12, 5, tzinfo=UTC),
            Decimal("0.5"),
            Decimal("300"),
        ),
    ]
    per_day, running = daily(usages, now)
    assert len(per_day) == len(running) == 7
    so_far = float(cost.total(usages, now).month_to_date)
    assert abs(sum(v for _, v in per_day) - so_far) < 1e-9
    assert running[-1][1] == so_far
    assert per_day[0][1] == float(cost.charge(Decimal("0.0179"), Decimal("12"), 24))
    assert all(v >= 0 for _, v in per_day)
    # the dear server ran from the 2nd 08:00 to the 5th: 64 hours at $0.50 in days 2-4
    dear = sum(v for _, v in per_day[1:4]) - 3 * 24 * 0.0179
    assert abs(dear - 64 * 0.5) < 0.05
    assert [t for t, _ in per_day] == [
        (datetime(2026, 12, 1, tzinfo=UTC) + timedelta(days=d)).timestamp() for d in range(7)
    ]
