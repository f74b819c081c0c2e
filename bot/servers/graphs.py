"""A server's graphs (CPU, network, disk) under its details, for 24 hours or 7 days.

The details answer at once; this runs after the ack: read the provider's metrics
(a rate-limited read like any other), draw them off the event loop, upload the PNG
privately (:mod:`bot.core.slack_files`) and post it, with the window's buttons, as
an ephemeral message of its own right under the details. A response_url can only
change the message an interaction came from, so a separate message is the one
that can follow both ``/vps show`` and the Details button; its 24 h / 7 days
buttons then replace it in place. Drawn charts are kept per (server, window) for
a few minutes, so a second look costs neither a provider call nor a drawing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.blocks import esc, md
from bot.core.charts import Chart, Panel, Series, render_async
from bot.core.services import Services
from bot.core.slack import first_action, team_and_user
from bot.core.slack_files import chart_block, respond_with_file, upload_chart
from bot.servers import service as servers
from db.models import VpsInstance
from providers.base import Provider
from providers.errors import ProviderError
from providers.models import ServerMetrics
from providers.registry import display_name

__all__ = [
    "ACTION_GRAPH_WINDOW",
    "CHART_SECONDS",
    "GRAPHS_BLOCK",
    "WINDOWS",
    "graph_message",
    "metric_panels",
    "post_graphs",
    "window_clicked",
]

log = logging.getLogger(__name__)

ACTION_GRAPH_WINDOW = "vps_graph_window"
#: The block_id that opens every graphs message (a chart or why there is none).
GRAPHS_BLOCK = "vps_graphs"
#: The windows offered: name -> (length, words).
WINDOWS: dict[str, tuple[timedelta, str]] = {
    "24h": (timedelta(hours=24), "last 24 hours"),
    "7d": (timedelta(days=7), "last 7 days"),
}
#: How long a drawn chart is reused for the same server and window.
CHART_SECONDS = 300


def metric_panels(metrics: ServerMetrics) -> list[Panel]:
    """CPU, network (in and out together) and disk I/O, as far as the cloud has them."""
    panels = []
    cpu = metrics.get("cpu")
    if cpu is not None:
        panels.append(Panel("CPU", "%", [Series(cpu.label, cpu.points)]))
    network = [s for s in (metrics.get("net_in"), metrics.get("net_out")) if s is not None]
    if network:
        panels.append(Panel("Network", "B/s", [Series(s.label, s.points) for s in network]))
    disk = metrics.get("disk_io")
    if disk is not None:
        panels.append(Panel("Disk I/O", disk.unit, [Series(disk.label, disk.points)]))
    return panels


def _buttons(instance_id: str, window: str) -> ActionsBlock:
    return ActionsBlock(
        block_id="vps_graph_windows",
        elements=[
            ButtonElement(
                action_id=f"{ACTION_GRAPH_WINDOW}_{name}",
                text=words.capitalize(),
                value=f"{instance_id}:{name}",
                style="primary" if name == window else None,
            )
            for name, (_, words) in WINDOWS.items()
        ],
    )


def graph_message(
    label: str, instance_id: str, window: str, shown: Sequence[Block] | str
) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of the graphs message: a chart or a sentence why not."""
    words = WINDOWS[window][1]
    head = ContextBlock(
        block_id=GRAPHS_BLOCK,
        elements=[md(f":chart_with_upwards_trend: *{esc(label)}*, {words}")],
    )
    if isinstance(shown, str):
        return f"{label}: {shown}", [head, ContextBlock(elements=[md(shown)])]
    return f"Graphs of {label}, {words}", [head, *shown, _buttons(instance_id, window)]


async def _chart(
    services: Services, row: VpsInstance, provider: Provider, window: str
) -> Chart | str:
    """The drawn chart of ``row`` (kept :data:`CHART_SECONDS` in the services), or why
    there is none."""
    key = (row.id, window)
    cached: Chart | None = services.server_charts.get(key)
    if cached is not None:
        return cached
    caps = provider.capabilities
    if not caps.metrics:
        return f"{display_name(row.provider_type)} publishes no metrics for its servers."
    if not row.provider_instance_id:
        return "This server has no id at its provider yet: no graphs."
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - WINDOWS[window][0]
    try:
        metrics = await provider.get_metrics(row.provider_instance_id, start, end)
    except ProviderError as exc:
        return f"Graphs are not available right now: {esc(exc.user_message())}"
    if metrics.agent_missing:
        return "No graphs: the server does not run its cloud's metrics agent. " + (
            caps.metrics_agent_hint or ""
        )
    title = f"{row.label}, {WINDOWS[window][1]} (UTC)"
    chart = await render_async(title, metric_panels(metrics))
    services.server_charts[key] = chart
    return chart


async def post_graphs(
    services: Services,
    client: AsyncWebClient | None,
    respond: AsyncRespond,
    team_id: str,
    instance_id: str,
    window: str = "24h",
    *,
    replace: bool = False,
) -> None:
    """Read, draw, upload and post the graphs of one of ``team_id``'s servers, with
    the listener's ``client`` (else the workspace's own, :meth:`Services.slack_for`)."""
    try:
        parsed = uuid.UUID(instance_id)
    except ValueError:
        return
    found = await servers.details(services, team_id, parsed)
    if found is None:
        return
    _, row = found
    provider = await servers.provider_of(services, row)
    if provider is None:
        chart: Chart | str = "Its provider is no longer configured: no graphs."
    else:
        chart = await _chart(services, row, provider, window)
    shown: Sequence[Block] | str = chart if isinstance(chart, str) else ""
    if isinstance(chart, Chart):
        client = client or await services.slack_for(team_id)
        file_id = await upload_chart(client, chart, f"{row.label}-{window}.png") if client else None
        shown = [chart_block(file_id, chart)] if file_id else "The graph could not be uploaded."
    text, blocks = graph_message(row.label, str(row.id), window, shown)
    await respond_with_file(
        respond, text=text, blocks=blocks, response_type="ephemeral", replace_original=replace
    )


async def window_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    services: Services,
    client: AsyncWebClient,
) -> None:
    """24 hours / 7 days: the graphs message again, for that window, in place."""
    await ack()
    team_id, _ = team_and_user(context)
    instance_id, _, window = str(first_action(body).get("value") or "").partition(":")
    if window not in WINDOWS:
        return
    await post_graphs(services, client, respond, team_id, instance_id, window, replace=True)
