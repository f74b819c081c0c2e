"""A whole vpsbot for end-to-end tests: the real Bolt app served over HTTP,
a Slack Web API stand-in, the sandbox providers and real PostgreSQL.

The Slack mode is a parameter of the stack: every test that uses ``api`` (and so
``bot``) runs once in single-token mode and once in OAuth mode. In OAuth mode the
workspace is installed (its own token, sealed in the installation store), the
stand-in is as strict as Slack about tokens and workspaces, and the test fails on
any refusal it did not ask for (a test that provokes one clears ``api.refusals``
after checking it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from aiohttp import web
from slack_sdk.oauth.installation_store import Installation

from bot.admin import service as admin_ops
from bot.app.bolt import build_bolt_app, settle_listeners
from bot.app.http import build_web_app
from bot.core.config import Settings
from bot.core.services import Services
from db.engine import Database
from standins.playground.slack_api import ResponsePost, SlackStandIn
from standins.playground.slack_client import Response, SlackSender
from standins.sandbox import Sandbox

SIGNING_SECRET = "e2e-signing-secret-4f1d9a"
BOT_TOKEN = "xoxb-test-token"
TEAM = "T0001"
USER = "U0001"
ADMIN = "UADMIN01"


_T = TypeVar("_T")


async def handled(sent: Awaitable[Response]) -> Response:
    """An event's answer, once vpsbot has also handled it: Slack gets the answer
    first (Bolt's early answer) and the listener goes on after it."""
    response = await sent
    await settle_listeners(5)
    return response


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


MODES = ("single", "oauth")


@pytest.fixture(params=MODES)
def slack_mode(request: pytest.FixtureRequest) -> str:
    """The Slack mode the stack runs in: ``single`` (SLACK_BOT_TOKEN) or ``oauth``."""
    return str(request.param)


@pytest.fixture
async def api(slack_mode: str) -> AsyncIterator[SlackStandIn]:
    stand_in = SlackStandIn(bot_token=BOT_TOKEN, team_id=TEAM)
    await stand_in.start()
    stand_in.users[ADMIN] = {"id": ADMIN, "team_id": TEAM, "is_admin": False}
    if slack_mode == "oauth":
        stand_in.strict_workspaces = True
        stand_in.install(TEAM)
    yield stand_in
    await stand_in.stop()
    unasked = [f"{c.method}: {c.error}" for c in stand_in.refusals]
    assert not unasked, f"Slack refused calls the test did not ask for: {unasked}"


def oauth_mode(api: SlackStandIn) -> bool:
    """Whether ``api`` stands in for Slack in OAuth mode (see ``slack_mode``)."""
    return api.strict_workspaces


def bot_token(api: SlackStandIn) -> str:
    """The token vpsbot speaks to the test's workspace with, in either mode."""
    return api.token_of(TEAM) if oauth_mode(api) else BOT_TOKEN


def make_settings(api: SlackStandIn, database_url: str, keys: list[str], **extra: Any) -> Settings:
    credentials: dict[str, Any] = (
        {"slack_client_id": api.client_id, "slack_client_secret": api.client_secret}
        if oauth_mode(api)
        else {"slack_bot_token": BOT_TOKEN}
    )
    return Settings(
        **credentials,
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
    # the operator lists the sandbox's endpoints, so Slack's "Add provider" offers them
    hosts = f"{sandbox.digitalocean_url},{sandbox.linode_url}"
    settings = make_settings(api, database_url, keys, vpsbot_provider_hosts=hosts)
    services = Services.build(settings, database_url=database_url)
    await services.start()
    await _installed(services, api)
    if register:
        # OAuth mode: the workspace's own providers (operator-level ones would need
        # sharing); single-token mode: the operator's, as `provider add` makes them
        owner = TEAM if services.installations is not None else None
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
                team_id=owner,
                trusted=True,
            )
            await admin_ops.import_plans(
                services,
                f"sandbox-{type_}",
                admin_ops.Markup(percent=Decimal(20)),
                team_id=owner,
            )
    app = build_web_app(services, build_bolt_app(services))
    runner = web.AppRunner(app, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return services, runner, f"http://127.0.0.1:{port}"


async def _installed(services: Services, api: SlackStandIn, team: str = TEAM) -> None:
    """OAuth mode: the test's workspace installed (its token in the store), as an
    install would leave it, minus the installer becoming a named admin."""
    if services.installations is None:
        return
    token = api.token_of(team)
    spec = api.installs[token]
    await services.installations.async_save(
        Installation(
            app_id=api.app_id,
            team_id=team,
            team_name=str(spec["team_name"]),
            bot_token=token,
            bot_id=str(spec["bot_id"]),
            bot_user_id=str(spec["bot_user_id"]),
            bot_scopes=api.scopes,
            user_id=str(spec["user_id"]),
        )
    )


async def another_workspace(bot: Bot, team: str, *members: str) -> None:
    """A second workspace with ``members`` in it; in OAuth mode it is installed too
    (its own token), as it must be for Slack to send its requests at all."""
    bot.api.place(team, *members)
    if oauth_mode(bot.api):
        bot.api.install(team)
        await _installed(bot.services, bot.api, team)


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
