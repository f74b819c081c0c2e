"""A server's graphs follow its details: read from the sandbox provider, drawn, uploaded
through the Slack stand-in's external upload (private) and shown with ``slack_file``."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

from PIL import Image

from bot.core.charts import figures, human
from tests.e2e.conftest import Bot, bot_token, is_graphs
from tests.e2e.test_servers_list import add_server, button

JSON = dict[str, Any]


async def server_on_sandbox(bot: Bot, label: str, kind: str, *, agent: bool = True) -> uuid.UUID:
    """A row whose provider id is a seeded sandbox server (with a week of readings)."""
    [seeded] = bot.sandbox.seed_instances(kind, 1, monitoring=agent)
    row_id = await add_server(bot, label, type_=kind)
    from db.models import VpsInstance

    async with bot.services.db.session() as session, session.begin():
        row = await session.get(VpsInstance, row_id)
        assert row is not None
        row.provider_instance_id = seeded
    return row_id


def image_of(payload: JSON) -> JSON:
    return next(b for b in payload["blocks"] if b["type"] == "image")


async def test_show_then_the_graph_through_a_private_upload(bot: Bot) -> None:
    row_id = await server_on_sandbox(bot, "web-1", "digitalocean")
    after = len(bot.api.responses)
    shown = (await bot.slack.command("/vps", "show web-1")).data
    assert "web-1" in str(shown["blocks"]) and "image" not in str(shown["blocks"])  # at once
    post = await bot.api.wait_for_response(is_graphs, after=after, timeout=30)
    assert post.status == 200 and post.payload["replace_original"] is False
    image = image_of(post.payload)
    file_id = image["slack_file"]["id"]
    stored = bot.api.files.files[file_id]
    assert stored.completed and stored.shared_to == []  # never shared to a channel
    [complete] = bot.api.calls_to("files.completeUploadExternal")
    assert "channel_id" not in complete.args and complete.token == bot_token(bot.api)
    assert Image.open(io.BytesIO(stored.data or b"")).format == "PNG"
    # the alt text states the figures of the series the provider answered
    chart = bot.services.server_charts[(row_id, "24h")]
    cpu = figures(chart.panels[0].series[0].points)
    assert cpu is not None and cpu.count > 100
    assert (
        f"CPU: peak {human(cpu.peak, '%')}, average {human(cpu.average, '%')}"
        in (image["alt_text"])
    )
    assert re.search(r"Network in: peak [\d.]+ [kM]?B/s", image["alt_text"])
    assert len(image["alt_text"]) <= 2000
    # three monitoring reads, counted by the sandbox like any other call
    assert bot.sandbox.request_count("digitalocean", "GET", "/v2/monitoring/") == 3

    # 7 days replaces the graphs message in place; both drawings are kept
    again = await _window(bot, post, "vps_graph_window_7d")
    assert again.payload["replace_original"] is True
    assert "last 7 days" in image_of(again.payload)["alt_text"]
    assert bot.sandbox.request_count("digitalocean", "GET", "/v2/monitoring/") == 6
    # both windows are kept for the next click (the 24 h one drawn first stays)
    assert {(row_id, "24h"), (row_id, "7d")} <= set(bot.services.server_charts)
    # back to 24 hours: drawn from what was kept, no monitoring read
    back = await _window(bot, again, "vps_graph_window_24h")
    assert back.payload["replace_original"] is True
    assert "last 24 hours" in image_of(back.payload)["alt_text"]
    assert bot.sandbox.request_count("digitalocean", "GET", "/v2/monitoring/") == 6


async def _window(bot: Bot, graphs: Any, action: str) -> Any:
    """Click the window button ``action`` on the ``graphs`` message: the answer."""
    clicked = button(graphs.payload["blocks"], action)
    assert clicked is not None
    after = len(bot.api.responses)
    await bot.slack.block_action(action, value=clicked["value"])
    return await bot.api.wait_for_response(is_graphs, after=after, timeout=30)


async def test_the_details_button_then_linode_graphs_with_disk_io(bot: Bot) -> None:
    row_id = await server_on_sandbox(bot, "db-1", "linode")
    after = len(bot.api.responses)
    await bot.slack.block_action("vps_details", value=str(row_id))
    post = await bot.api.wait_for_response(is_graphs, after=after, timeout=30)
    alt = image_of(post.payload)["alt_text"]
    for series in ("CPU: peak", "Network in: peak", "Network out: peak", "Disk I/O: peak"):
        assert series in alt


async def test_a_droplet_without_the_agent_says_how_to_get_it(bot: Bot) -> None:
    await server_on_sandbox(bot, "bare-1", "digitalocean", agent=False)
    after = len(bot.api.responses)
    await bot.slack.command("/vps", "show bare-1")
    post = await bot.api.wait_for_response(is_graphs, after=after, timeout=30)
    text = str(post.payload["blocks"])
    assert "metrics agent" in text and "install.sh" in text
    assert bot.api.calls_to("files.getUploadURLExternal") == []  # nothing drawn, nothing sent


async def test_the_graph_waits_for_slack_to_finish_processing_the_upload(bot: Bot) -> None:
    bot.api.files.processing_seconds = 0.6  # Slack refuses the file in blocks until then
    await server_on_sandbox(bot, "slow-1", "linode")
    after = len(bot.api.responses)
    await bot.slack.command("/vps", "show slow-1")
    post = await bot.api.wait_for_response(
        lambda p: is_graphs(p) and p.status == 200, after=after, timeout=30
    )
    refused = [p for p in bot.api.responses[after:] if is_graphs(p) and p.status != 200]
    assert refused and all(p.status == 404 for p in refused)  # invalid_blocks, then tried again
    assert image_of(post.payload)["slack_file"]["id"] in bot.api.files.files
