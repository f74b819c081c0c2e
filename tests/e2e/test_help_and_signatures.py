"""The Slack request path: signed requests are answered, anything else gets 401."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from standins.playground.slack_client import sign
from tests.e2e.conftest import Bot


async def test_help_answers_with_the_command_list(bot: Bot) -> None:
    response = await bot.slack.command("/vps", "help")
    assert response.status == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    for command in ("/vps create", "/vps list", "/vps show", "/vps admin", "/vps log"):
        assert command in body["text"]
    # the one-line form of create, with examples
    for text in (body["text"], str(body["blocks"])):
        assert "/vps create 2gb ubuntu fra1 web-1" in text
        assert "/vps create linode dedicated 4gb debian 12 frankfurt" in text


async def test_unknown_subcommand_says_so(bot: Bot) -> None:
    response = await bot.slack.command("/vps", "frobnicate")
    said = response.json()["blocks"][0]["text"]["text"]
    assert said == "I don't know `/vps frobnicate`."  # nothing near it to suggest


async def test_a_mistyped_subcommand_gets_the_command_it_meant(bot: Bot) -> None:
    for typed, meant in (
        ("lsit", "list"),
        ("creat", "create"),
        ("SHWO", "show"),
        ("amdin", "admin"),
    ):
        response = await bot.slack.command("/vps", f"{typed} web-1")
        body = response.json()
        assert body["response_type"] == "ephemeral"
        said = body["blocks"][0]["text"]["text"]
        assert said == f"I don't know `/vps {typed}`. Did you mean `/vps {meant}`?", typed
        assert body["text"].startswith(f"Did you mean `/vps {meant}`?")


def _form(text: str) -> str:
    return urlencode(
        {
            "command": "/vps",
            "text": text,
            "team_id": "T0001",
            "user_id": "U0001",
            "channel_id": "C0001",
            "trigger_id": "t.1",
            "response_url": "http://127.0.0.1:9/r",
        }
    )


async def test_unsigned_wrong_and_stale_requests_are_refused(bot: Bot) -> None:
    body = _form("create should-not-open")
    now = int(time.time())
    cases = {
        "unsigned": {},
        "wrong secret": {
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": sign("not-the-secret", body, now),
        },
        "older than five minutes": {
            "X-Slack-Request-Timestamp": str(now - 301),
            "X-Slack-Signature": sign(bot.slack.signing_secret, body, now - 301),
        },
    }
    for name, headers in cases.items():
        response = await bot.slack.raw(
            body, {"Content-Type": "application/x-www-form-urlencoded", **headers}
        )
        assert response.status == 401, name
    assert bot.api.calls_to("views.open") == []


async def test_health_and_readiness(bot: Bot) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{bot.url}/healthz") as resp:
            assert resp.status == 200
        async with http.get(f"{bot.url}/readyz") as resp:
            assert resp.status == 200
            assert (await resp.json())["database"] == "ok"
        async with http.get(f"{bot.url}/metrics") as resp:
            assert resp.status == 200
            assert "vpsbot_provider_request_seconds" in await resp.text()


async def test_readiness_fails_when_the_database_is_unreachable(bot: Bot) -> None:
    import aiohttp
    from aiohttp import web

    from bot.app.http import build_web_app
    from db.engine import Database

    broken = Database("postgresql://postgres@127.0.0.1:9/nowhere")
    real = bot.services.db
    bot.services.db = broken
    app = build_web_app(bot.services, build_bolt_app_for(bot))
    runner = web.AppRunner(app, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                assert resp.status == 503
                assert (await resp.json())["database"] == "unreachable"
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200  # the process itself is up
    finally:
        await runner.cleanup()
        bot.services.db = real
        await broken.dispose()


def build_bolt_app_for(bot: Bot):  # type: ignore[no-untyped-def]
    from bot.app.bolt import build_bolt_app

    return build_bolt_app(bot.services)
