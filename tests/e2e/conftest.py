"""A whole vpsbot for end-to-end tests: the real Bolt app served over HTTP,
a Slack Web API stand-in, the sandbox providers and real PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from aiohttp import web

from bot.admin import service as admin_ops
from bot.app.bolt import build_bolt_app
from bot.app.http import build_web_app
from bot.core.config import Settings
from bot.core.services import Services
from db.engine import Database
from standins.playground.slack_api import ResponsePost, SlackStandIn
from standins.playground.slack_client import SlackSender
from standins.sandbox import Sandbox

SIGNING_SECRET = "e2e-signing-secret-4f1d9a"
BOT_TOKEN = "xoxb-test-token"
TEAM = "T0001"
USER = "U0001"
ADMIN = "UADMIN01"


_T = TypeVar("_T")


async def settled(
    read: Callable[[], Awaitable[_T]], done: Callable[[_T], bool], *, timeout: float = 5.0
) -> _T:
    """What ``read`` gives once ``done`` holds of it (or at ``timeout``, for the test's
    assertion to fail on). The app stores what Slack answered just after the answer
    the test saw, so reading the database at once can be a moment early."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await read()
        if done(value) or loop.time() > deadline:
            return value
        await asyncio.sleep(0.02)


def is_graphs(post: ResponsePost) -> bool:
    """A server's graphs message, which follows its details (bot.servers.graphs)."""
    blocks = post.payload.get("blocks") or []
    return any(isinstance(b, dict) and b.get("block_id") == "vps_graphs" for b in blocks)


def not_graphs(post: ResponsePost) -> bool:
    return not is_graphs(post)


@dataclass
class Bot:
    """A running vpsbot and everything around it."""

    services: Services
    api: SlackStandIn
    sandbox: Sandbox
    slack: SlackSender
    url: str
    providers: dict[str, Any]

    def provider_id(self, type_: str) -> str:
        return str(self.providers[type_].id)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    box = Sandbox(provision_seconds=30.0, action_seconds=10.0, linode_create_limit=None)
    await box.start()
    yield box
    await box.stop()


@pytest.fixture
async def api() -> AsyncIterator[SlackStandIn]:
    stand_in = SlackStandIn(bot_token=BOT_TOKEN, team_id=TEAM)
    await stand_in.start()
    stand_in.users[ADMIN] = {"id": ADMIN, "team_id": TEAM, "is_admin": False}
    yield stand_in
    await stand_in.stop()


def make_settings(api: SlackStandIn, database_url: str, keys: list[str], **extra: Any) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api.base_url,
        database_url=database_url,
        vpsbot_encryption_keys=",".join(keys),
        vpsbot_admins=ADMIN,
        _env_file=None,
        **extra,
    )


async def start_bot(
    api: SlackStandIn,
    sandbox: Sandbox,
    database_url: str,
    keys: list[str],
    *,
    register: bool = True,
) -> tuple[Services, web.AppRunner, str]:
    services = Services.build(make_settings(api, database_url, keys), database_url=database_url)
    await services.start()
    if register:
        for type_, url in (
            ("digitalocean", sandbox.digitalocean_url),
            ("linode", sandbox.linode_url),
        ):
            await admin_ops.add_provider(
                services,
                type=type_,
                name=f"sandbox-{type_}",
                token=sandbox.tokens[type_],
                api_url=url,
            )
            await admin_ops.import_plans(
                services, f"sandbox-{type_}", admin_ops.Markup(percent=Decimal(20))
            )
    app = build_web_app(services, build_bolt_app(services))
    runner = web.AppRunner(app, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return services, runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def bot(
    db: Database,
    api: SlackStandIn,
    sandbox: Sandbox,
    database_url: str,
    fernet_keys: list[str],
) -> AsyncIterator[Bot]:
    services, runner, url = await start_bot(api, sandbox, database_url, fernet_keys)
    from db.repo import providers

    async with services.db.session() as session:
        rows = {row.type: row for row in await providers.list_all(session)}
    slack = SlackSender(
        f"{url}/slack/events", SIGNING_SECRET, team_id=TEAM, user_id=USER, api=api, ack_timeout=3.0
    )
    yield Bot(services, api, sandbox, slack, url, rows)
    await runner.cleanup()
    await services.aclose()


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog
