"""The playground draws vpsbot's charts: a server's graphs under its details and the
month's spend on the Home tab, uploaded to the Slack stand-in and shown as ``slack_file``
images (screenshots ``details-graphs.png`` and ``home-spend.png``)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import asyncpg
from playwright.sync_api import Page, expect

from tests.standins.playground.test_browser import (  # fixtures are used by name
    Running,
    _run,
    browser,
    browser_context_args,
    browser_type_launch_args,
    messages,
    playwright,
    say,
    screenshots,
    snapshot,
    vpsbot,
)

__all__ = [  # re-exported fixtures, so pytest finds them here
    "browser",
    "browser_context_args",
    "browser_type_launch_args",
    "playwright",
    "screenshots",
    "vpsbot",
]

ADA = "U0ADA00001"
TEAM = "T0PLAYGRND"


def _seed_droplet(running: Running) -> str:
    """A droplet in the sandbox with its metrics agent and a week of readings."""
    request = urllib.request.Request(
        f"{running.sandbox_url}/_sandbox/seed",
        data=json.dumps({"provider": "digitalocean", "n": 1}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as resp:  # loopback only
        return str(json.loads(resp.read())["ids"][0])


async def _adopt(database_url: str, droplet: str) -> None:
    """Ada's server row for that droplet, as vpsbot would have stored it."""
    conn = await asyncpg.connect(database_url)
    try:
        provider = await conn.fetchval(
            "SELECT id FROM service_providers WHERE type = 'digitalocean' LIMIT 1"
        )
        await conn.execute(
            "INSERT INTO vps_instances (label, status, team_id, created_by, provider_id,"
            " provider_type, provider_instance_id, region, ip_address, configuration,"
            " price_hourly, price_monthly, created_at)"
            " VALUES ('graphs-1', 'running', $1, $2, $3, 'digitalocean', $4, 'nyc3',"
            " '203.0.113.9', '{}'::jsonb, 0.0179, 12.00, now() - interval '3 days')",
            TEAM,
            ADA,
            provider,
            droplet,
        )
    finally:
        await conn.close()


def test_details_show_the_graphs_and_home_the_spend_chart(
    vpsbot: Running, page: Page, screenshots: Path
) -> None:
    _run(_adopt(vpsbot.database_url, _seed_droplet(vpsbot)))
    page.goto(vpsbot.url)
    expect(page.get_by_label("You are")).to_have_value(ADA)

    say(page, "/vps show graphs-1")
    details = messages(page).filter(has_text="Recent activity").last
    expect(details).to_contain_text("graphs-1", timeout=10_000)
    graphs = messages(page).filter(has_text="graphs-1, last 24 hours").last
    image = graphs.locator(".block-image img")
    expect(image).to_be_visible(timeout=30_000)
    alt = image.get_attribute("alt") or ""
    assert "CPU: peak" in alt and "Network in: peak" in alt
    src = image.get_attribute("src") or ""
    assert src.startswith("/files/F")  # the stand-in's upload, not a public URL
    natural = image.evaluate("img => [img.complete, img.naturalWidth]")
    assert natural[0] is True and natural[1] >= 700  # the PNG arrived and was decoded
    graphs.scroll_into_view_if_needed()
    snapshot(page, screenshots, "details-graphs.png")

    graphs.get_by_role("button", name="Last 7 days").click()
    week = messages(page).filter(has_text="graphs-1, last 7 days")
    expect(week.locator(".block-image img")).to_be_visible(timeout=30_000)
    expect(messages(page).filter(has_text="graphs-1, last 24 hours")).to_have_count(0)

    page.locator("#channel-list li", has_text="Home").click()
    home = page.get_by_label("vpsbot Home")
    chart = home.locator(".block-image img")
    expect(chart).to_be_visible(timeout=30_000)
    chart_alt = chart.get_attribute("alt") or ""
    assert "You: $" in chart_alt and "so far" in chart_alt
    expect(home).to_contain_text("My spend this month")
    snapshot(page, screenshots, "home-spend.png")
