"""Start-up asks Slack who the bot is: one line, and a refused token stops it."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.app.serve import check_slack
from bot.core.errors import CliError
from standins.playground.slack_api import SlackStandIn

TOKEN = "xoxb-serve-check"


def _services(base_url: str) -> SimpleNamespace:
    return SimpleNamespace(
        slack=AsyncWebClient(token=TOKEN, base_url=base_url),
        settings=SimpleNamespace(slack_api_url=base_url),
    )


async def test_a_good_token_says_who_and_where() -> None:
    async with SlackStandIn(bot_token=TOKEN, team_id="T0001") as api:
        line = await check_slack(_services(api.base_url))
    assert line.startswith("connected as @") and " to " in line


async def test_a_refused_token_stops_with_one_line() -> None:
    async with SlackStandIn(bot_token=TOKEN, team_id="T0001") as api:
        api.fail("auth.test", "invalid_auth")
        with pytest.raises(CliError, match=r"^SLACK_BOT_TOKEN: Slack refused it \(invalid_auth\)$"):
            await check_slack(_services(api.base_url))


async def test_slack_down_is_reported_and_start_up_goes_on() -> None:
    async with SlackStandIn(bot_token=TOKEN, team_id="T0001") as api:
        api.fail("auth.test", status=503, times=5)
        line = await check_slack(_services(api.base_url))
    assert "carrying on" in line and "<html" not in line.lower()
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/api/"
    line = await check_slack(_services(closed))
    assert line.startswith(f"cannot reach Slack at {closed}")
