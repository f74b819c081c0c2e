"""The graphs message: Block Kit limits, which panels a cloud's answer makes, and a
provider without metrics said in words (from its capabilities)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from slack_sdk.models.blocks import Block

from bot.core.charts import Chart
from bot.core.slack_files import chart_block
from bot.servers.graphs import _chart, graph_message, metric_panels
from providers.base import Capabilities
from providers.models import MetricSeries, ServerMetrics

LABEL = "web_*1*<&>" + "x" * 54  # 64 characters, mrkdwn in it


def dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]  # slack_sdk validates Block Kit limits here


def test_the_graphs_message_fits_block_kit_and_escapes_the_label() -> None:
    chart = Chart(b"\x89PNG", "CPU: peak 1.0 %. " * 300, "t" * 3000)
    image = chart_block("F0123", chart)
    text, blocks = graph_message(LABEL, str(uuid.uuid4()), "24h", [image])
    shown = dicts(blocks)
    assert shown[0]["block_id"] == "vps_graphs"
    head = shown[0]["elements"][0]["text"]
    assert "&lt;&amp;&gt;" in head and "<&>" not in head  # the label is escaped
    img = shown[1]
    assert img["type"] == "image" and img["slack_file"] == {"id": "F0123"}
    assert len(img["alt_text"]) <= 2000 and len(img["title"]["text"]) <= 2000
    buttons = shown[2]["elements"]
    assert [b["action_id"] for b in buttons] == ["vps_graph_window_24h", "vps_graph_window_7d"]
    assert all(len(b["value"]) <= 2000 and len(b["text"]["text"]) <= 75 for b in buttons)
    assert buttons[0]["style"] == "primary" and "style" not in buttons[1]
    assert text.startswith("Graphs of ")


def test_a_reason_instead_of_a_chart_is_plain_context() -> None:
    text, blocks = graph_message("db", "id", "7d", "No graphs: *bold* reason")
    shown = dicts(blocks)
    assert [b["type"] for b in shown] == ["context", "context"]
    assert "last 7 days" in str(shown[0]) and text == "db: No graphs: *bold* reason"


def test_panels_follow_what_the_cloud_measures() -> None:
    now = datetime.now(UTC)

    def metrics(*names: str) -> ServerMetrics:
        series = [MetricSeries(name=n, label=n, unit="u", points=[(1.0, 2.0)]) for n in names]
        return ServerMetrics(provider="p", instance_id="1", start=now, end=now, series=series)

    do = metric_panels(metrics("cpu", "net_in", "net_out"))
    assert [p.title for p in do] == ["CPU", "Network"] and len(do[1].series) == 2
    linode = metric_panels(metrics("cpu", "net_in", "net_out", "disk_io"))
    assert [p.title for p in linode] == ["CPU", "Network", "Disk I/O"]


async def test_a_provider_without_metrics_says_so_through_its_capabilities() -> None:
    caps = Capabilities(
        display_name="Nimbus",
        deployment_kind="",
        monitoring=False,
        ipv6=False,
        vpc=False,
        private_ip=False,
        root_password=False,
        actions=(),
    )
    asked: list[str] = []

    async def get_metrics(*args: Any) -> ServerMetrics:
        asked.append("metrics")
        raise AssertionError("not asked when capabilities say no")

    provider = SimpleNamespace(capabilities=caps, get_metrics=get_metrics)
    row = SimpleNamespace(
        id=uuid.uuid4(), provider_type="nimbus", provider_instance_id="9", label="box"
    )
    services = SimpleNamespace(server_charts={})
    found = await _chart(services, row, provider, "24h")  # type: ignore[arg-type]
    assert found == "NIMBUS publishes no metrics for its servers." and asked == []
