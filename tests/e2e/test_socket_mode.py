"""Socket Mode: with an app-level token, Slack's requests arrive over a WebSocket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app.bolt import build_bolt_app
from bot.app.http import start_serving
from tests.e2e.conftest import Bot

APP_TOKEN = "xapp-1-A0001-socket-test"


@pytest.fixture
def slack_mode() -> str:
    """Socket Mode serves one workspace only (OAuth mode refuses SLACK_APP_TOKEN):
    this module runs in single-token mode alone."""
    return "single"


class FakeSocketModeEndpoint:
    """Slack's side of a Socket Mode connection: hello, one envelope, the ack back."""

    def __init__(self, envelope: dict[str, Any]) -> None:
        self.envelope = envelope
        self.acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}}
        )
        await ws.send_json(self.envelope)
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                await self.acks.put(json.loads(message.data))
        return ws

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._link)
        self.runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"ws://127.0.0.1:{self.runner.addresses[0][1]}/link"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


async def test_a_slash_command_over_socket_mode_is_answered(bot: Bot) -> None:
    endpoint = FakeSocketModeEndpoint(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": {
                "token": "x",
                "team_id": "T0001",
                "team_domain": "test",
                "channel_id": "C0001",
                "channel_name": "general",
                "user_id": "U0001",
                "user_name": "someone",
                "command": "/vps",
                "text": "help",
                "api_app_id": "A0001",
                "response_url": bot.api.response_url(),
                "trigger_id": "t.1",
            },
        }
    )
    await endpoint.start()
    bot.api.socket_url = endpoint.url
    bot.api.valid_tokens.add(APP_TOKEN)
    serving = await start_serving(
        bot.services, build_bolt_app(bot.services), host="127.0.0.1", port=0, app_token=APP_TOKEN
    )
    try:
        assert serving.mode == "Socket Mode"
        ack = await asyncio.wait_for(endpoint.acks.get(), 10)
        assert ack["envelope_id"] == "env-1"
        assert "/vps create" in ack["payload"]["text"]
        port = serving.runner.addresses[0][1]
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}/slack/events", data="x") as resp:
                assert resp.status == 404  # no HTTP events endpoint in Socket Mode
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200
            async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                assert resp.status == 200
                assert (await resp.json())["socket_mode"] == "connected"
            # Slack's side goes away: the replica is not ready until it reconnects
            bot.api.socket_url = "ws://127.0.0.1:9/nowhere"
            await endpoint.stop()
            for _ in range(50):
                async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                    status, report = resp.status, await resp.json()
                if status == 503:
                    break
                await asyncio.sleep(0.1)
            assert status == 503
            assert report["socket_mode"] == "disconnected"
        opened = bot.api.calls_to("apps.connections.open")
        assert opened and opened[0].token == APP_TOKEN
    finally:
        await serving.stop()
        await endpoint.stop()
