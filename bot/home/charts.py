"""The month's spend as a chart, under `/vps cost` and on the Home tab.

Day by day so far (bars), the running total with its projection to the month's end
(a dashed line) and the budget (a dotted line); for admins also the workspace's
month and its projection by member and by provider. The figures are those of
:mod:`bot.spend.cost` — the same sums `/vps cost` writes — and the alt text says
them. Drawing runs off the event loop; a drawn and uploaded chart is reused while
its figures are unchanged (a Home republished after a server change costs no
drawing when the money did not move).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from slack_bolt.async_app import AsyncRespond
from slack_sdk.models.blocks import ContextBlock
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.blocks import md
from bot.core.charts import Chart, Panel, Series, human, render_async
from bot.core.services import Services
from bot.core.slack_files import chart_block, publish_with_file, respond_with_file, upload_chart
from bot.home.service import CostReport, HomeData
from bot.home.views import home_view
from bot.spend import cost
from bot.spend.cost import Spend, Usage
from db.repo import spend

__all__ = ["daily", "follow_cost", "follow_home", "spawn_home", "spend_panels"]

log = logging.getLogger(__name__)

_DAY = timedelta(days=1)
#: Slack's block limit of a Home view.
_VIEW_BLOCKS = 100
#: Home charts being drawn after their event was answered (kept until done)
_background: set[asyncio.Task[None]] = set()


def daily(usages: Sequence[Usage], now: datetime) -> tuple[list[tuple[float, float]], ...]:
    """(spend of each day so far, running total at each day's end) of the month."""
    start, _ = cost.month_bounds(now)
    per_day, running = [], []
    before = Decimal(0)
    day = start
    while day <= now:
        upto = min(day + _DAY, now)
        so_far = cost.total(usages, upto).month_to_date if usages else Decimal(0)
        per_day.append((day.timestamp(), float(so_far - before)))
        running.append((upto.timestamp(), float(so_far)))
        before, day = so_far, day + _DAY
    return per_day, running


def _month_panel(
    title: str, usages: Sequence[Usage], now: datetime, total: Spend, budget: Decimal | None
) -> Panel:
    per_day, running = daily(usages, now)
    end = cost.month_bounds(now)[1]
    projection = [
        (now.timestamp(), float(total.month_to_date)),
        (end.timestamp(), float(total.projected)),
    ]
    return Panel(
        title,
        "$",
        [
            Series("Spend per day", per_day),
            Series("Month so far", running, guide=True),
            Series("Projection", projection, dashed=True, guide=True),
        ],
        bars=True,
        limit=("Budget", float(budget)) if budget is not None else None,
    )


def _by(title: str, rows: dict[str, Spend]) -> Panel:
    top = list(rows.items())[:8]
    return Panel(title, "$", categories=[(name or "?", float(s.projected)) for name, s in top])


def spend_panels(
    report: CostReport, mine: Sequence[Usage], everyone: Sequence[Usage]
) -> list[Panel]:
    """The member's month; for admins the workspace's, by member and by provider."""
    panels = [_month_panel("Your month", mine, report.now, report.mine, report.my_budget)]
    if report.workspace is not None:
        panels += [
            _month_panel(
                "Workspace", everyone, report.now, report.workspace, report.workspace_budget
            ),
            _by("Projected by member", report.by_member),
            _by("Projected by provider", report.by_provider),
        ]
    return panels


def _note(report: CostReport) -> str:
    parts = [
        f"You: {human(float(report.mine.month_to_date), '$')} so far, "
        f"{human(float(report.mine.projected), '$')} projected by the month's end."
    ]
    if report.workspace is not None:
        parts.append(
            f"Workspace: {human(float(report.workspace.month_to_date), '$')} so far, "
            f"{human(float(report.workspace.projected), '$')} projected."
        )
    return " ".join(parts)


def _figures(report: CostReport) -> tuple[object, ...]:
    """What the chart shows; a new drawing only when one of these moved."""
    return (
        report.now.date(),
        report.mine,
        report.my_budget,
        report.workspace,
        report.workspace_budget,
        tuple(report.by_member.items()),
        tuple(report.by_provider.items()),
    )


async def _usages(
    services: Services, team_id: str, user_id: str, report: CostReport
) -> list[Usage]:
    """The month's servers: the member's, or the workspace's for an admin's report."""
    start, end = cost.month_bounds(report.now)
    only = None if report.workspace is not None else user_id
    async with services.db.session() as session:
        rows = await spend.usages(session, team_id, start, end, user_id=only)
    return [
        Usage(r.created_at, r.deleted_at, r.hourly, r.monthly, r.user_id, r.provider) for r in rows
    ]


async def _chart(
    services: Services, client: AsyncWebClient, team_id: str, user_id: str, report: CostReport
) -> tuple[str, Chart] | None:
    """(file id, chart) of ``report``: the one drawn before if its figures held."""
    figures = _figures(report)
    kept = services.spend_charts.get((team_id, user_id))
    if kept is not None and kept[0] == figures:
        return kept[1], kept[2]
    usages = await _usages(services, team_id, user_id, report)
    mine = [u for u in usages if u.user_id == user_id]
    month = report.now.strftime("%B %Y")
    chart = await render_async(
        f"Spend in {month} (UTC)", spend_panels(report, mine, usages), note=_note(report)
    )
    file_id = await upload_chart(client, chart, f"spend-{report.now:%Y-%m}.png")
    if file_id is None:
        return None
    services.spend_charts[(team_id, user_id)] = (figures, file_id, chart)
    return file_id, chart


async def follow_cost(
    services: Services,
    client: AsyncWebClient,
    respond: AsyncRespond,
    team_id: str,
    user_id: str,
    report: CostReport,
) -> None:
    """After `/vps cost`'s answer: the same month as a chart, in a message below."""
    drawn = await _chart(services, client, team_id, user_id, report)
    if drawn is None:
        return
    file_id, chart = drawn
    head = ContextBlock(block_id="vps_spend_chart", elements=[md(":bar_chart: *Spend chart*")])
    await respond_with_file(
        respond,
        response_type="ephemeral",
        replace_original=False,
        text=chart.alt_text,
        blocks=[head, chart_block(file_id, chart)],
    )


async def follow_home(
    services: Services, team_id: str, user_id: str, data: HomeData, *, draw: bool
) -> None:
    """Publish the Home again with the spend chart under it: drawn when ``draw`` (the
    member opened or refreshed it), else only the one drawn before if still true."""
    kept = services.spend_charts.get((team_id, user_id))
    if not draw and (kept is None or kept[0] != _figures(data.report)):
        return
    client = await services.slack_for(team_id)
    if client is None:
        return
    drawn = await _chart(services, client, team_id, user_id, data.report)
    if drawn is None:
        return
    view: View = home_view(data)
    blocks = list(view.blocks or [])
    if len(blocks) >= _VIEW_BLOCKS:
        return
    # under the spend lines: header, buttons, mine (and the workspace's)
    at = 4 if data.report.workspace is not None else 3
    image = chart_block(drawn[0], drawn[1], block_id="home_spend_chart")
    view.blocks = [*blocks[:at], image, *blocks[at:]]
    await publish_with_file(client, user_id, view)


def _done(task: asyncio.Task[None]) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("the Home's spend chart failed", exc_info=task.exception())


def spawn_home(
    services: Services, team_id: str, user_id: str, data: HomeData, *, draw: bool
) -> None:
    """:func:`follow_home` in the background: the Home event is answered (and the
    Home shown) without waiting for a drawing."""
    if not draw and services.spend_charts.get((team_id, user_id)) is None:
        return
    task = asyncio.get_running_loop().create_task(
        follow_home(services, team_id, user_id, data, draw=draw)
    )
    _background.add(task)
    task.add_done_callback(_done)
