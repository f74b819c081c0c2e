"""The HTTP surface: one request id through logs, provider calls and the audit row;
the Slack latency histograms; ``/metrics`` on its own port; a busy port."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from prometheus_client import REGISTRY
from slack_bolt.async_app import AsyncApp

from bot.app import http, latency
from bot.core.answered import answer_sent
from bot.core.config import ConfigError, Settings
from bot.core.logs import RequestContext, SecretRedactor
from bot.core.services import Services
from db.engine import Database
from db.models import ActivityLog
from db.repo import activity
from providers import fairshare
from standins.playground.slack_api import SlackStandIn
from standins.playground.slack_client import sign

SECRET = "http-test-signing-secret"
BOT_TOKEN = "xoxb-http-test"
TEAM, USER = "T0HTTP", "U0HTTP"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def services(
    db: Database, database_url: str, fernet_keys: list[str]
) -> AsyncIterator[Services]:
    api = SlackStandIn(bot_token=BOT_TOKEN, team_id=TEAM)
    await api.start()
    settings = Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=api.base_url,
        database_url=database_url,
        vpsbot_encryption_keys=",".join(fernet_keys),
        _env_file=None,
    )
    built = Services.build(settings, database_url=database_url)
    await built.start()
    yield built
    await built.aclose()
    await api.stop()


def _sample(name: str, kind: str) -> float:
    return REGISTRY.get_sample_value(name, {"kind": kind}) or 0.0


def _command_body() -> str:
    return urllib.parse.urlencode(
        {
            "command": "/vps",
            "text": "hello",
            "team_id": TEAM,
            "user_id": USER,
            "channel_id": "C0HTTP",
            "trigger_id": "1.2.3",
            "response_url": "http://127.0.0.1:9/respond",
        }
    )


async def _post_signed(port: int, body: str) -> tuple[int, str]:
    """POST ``body`` to /slack/events on ``port``, signed as Slack signs it: the
    status and the request id answered."""
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(SECRET, body, stamp),
    }
    async with (
        aiohttp.ClientSession() as client,
        client.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers) as resp,
    ):
        return resp.status, resp.headers.get("X-Request-Id", "")


async def test_one_request_id_follows_a_slack_request(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """The id answered in X-Request-Id is on the listener's log lines, on a provider's
    log line (a logger outside bot, logging with extra=), and in the audit row the
    request wrote after its ack; the request histogram waits for that work."""
    finished = asyncio.Event()
    shares: list[str | None] = []

    async def after_ack() -> None:
        await asyncio.sleep(0.3)  # a provider call, say
        shares.append(fairshare.WORKSPACE.get())
        logging.getLogger("providers.fake").info(
            "Fake GET /v1/thing -> 200", extra={"provider": "fake", "latency_ms": 300.0}
        )
        async with services.db.session() as session, session.begin():
            await activity.record(
                session, event_type="test.http", status="success", team_id=TEAM, user_id=USER
            )
        finished.set()

    bolt = AsyncApp(
        signing_secret=SECRET,
        client=services.slack,
        process_before_response=True,
    )

    background: set[asyncio.Task[None]] = set()

    @bolt.command("/vps")
    async def command(ack: Any) -> None:
        logging.getLogger("bot.test").info("handling")
        shares.append(fairshare.WORKSPACE.get())
        await ack()
        task = asyncio.ensure_future(after_ack())  # the work after the ack
        background.add(task)

    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestContext())
    caplog.handler.addFilter(SecretRedactor())
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    loop.set_task_factory(latency.counting_task_factory)
    acks, requests = (
        _sample("vpsbot_slack_ack_seconds_count", "command"),
        _sample("vpsbot_slack_request_seconds_count", "command"),
    )
    request_sum = _sample("vpsbot_slack_request_seconds_sum", "command")
    port = _free_port()
    runner = aiohttp.web.AppRunner(http.build_web_app(services, bolt))
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        status, request_id = await _post_signed(port, _command_body())
        assert status == 200
        assert _sample("vpsbot_slack_ack_seconds_count", "command") == acks + 1
        assert _sample("vpsbot_slack_request_seconds_count", "command") == requests  # not yet
        await asyncio.wait_for(finished.wait(), 10)
        for _ in range(50):
            if _sample("vpsbot_slack_request_seconds_count", "command") > requests:
                break
            await asyncio.sleep(0.02)
    finally:
        loop.set_task_factory(previous)
        await runner.cleanup()

    assert len(request_id) == 16
    # provider calls in the listener and after its ack count against its workspace
    assert shares == [TEAM, TEAM]
    assert _sample("vpsbot_slack_request_seconds_count", "command") == requests + 1
    assert _sample("vpsbot_slack_request_seconds_sum", "command") - request_sum >= 0.3
    mine = [r for r in caplog.records if r.name in ("bot.test", "providers.fake")]
    assert {r.name for r in mine} == {"bot.test", "providers.fake"}
    for record in mine:
        assert (record.request_id, record.workspace, record.user) == (request_id, TEAM, USER)
    async with services.db.session() as session:
        row = (
            await session.execute(
                ActivityLog.__table__.select().where(ActivityLog.event_type == "test.http")
            )
        ).one()
    assert row.metadata["request_id"] == request_id


async def test_metrics_on_their_own_port_and_a_busy_port_is_named(services: Services) -> None:
    bolt = AsyncApp(signing_secret=SECRET, client=services.slack)
    port, metrics_port = _free_port(), _free_port()
    serving = await http.start_serving(
        services, bolt, host="127.0.0.1", port=port, metrics_port=metrics_port
    )
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{metrics_port}/metrics") as resp,
        ):
            assert resp.status == 200
            text = await resp.text()
        assert 'vpsbot_build_info{python="' in text
        for name in (
            "vpsbot_slack_ack_seconds",
            "vpsbot_slack_request_seconds",
            "vpsbot_watcher_lag_seconds",
            "vpsbot_provider_ratelimit_remaining",
        ):
            assert f"# TYPE {name} " in text, name
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{port}/metrics") as public,
            client.get(f"http://127.0.0.1:{port}/healthz") as health,
        ):
            # with a port of its own, /metrics is not on the Slack-facing one
            assert (public.status, health.status) == (404, 200)
            assert "vpsbot_build_info" not in await public.text()

        with pytest.raises(ConfigError) as busy:
            await http.start_serving(services, bolt, host="127.0.0.1", port=port)
        assert str(busy.value) == (
            f"PORT: 127.0.0.1:{port} is already in use by another process "
            "(stop it, or set PORT to a free port)"
        )
        with pytest.raises(ConfigError) as busy_metrics:
            await http.start_serving(
                services, bolt, host="127.0.0.1", port=_free_port(), metrics_port=metrics_port
            )
        assert str(busy_metrics.value).startswith(
            f"METRICS_PORT: 127.0.0.1:{metrics_port} is already in use"
        )
    finally:
        await serving.stop()
        asyncio.get_running_loop().set_task_factory(None)


def test_json_lines_carry_every_field_in_utc_and_mask_secrets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.core.logs import REDACTED, configure_logging, redactor, request_context

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("INFO", "json")
        redactor.add("registered-json-secret")
        with request_context("abcdef0123456789", workspace=TEAM, user=USER):
            logging.getLogger("providers.linode").warning(
                "create %s",
                "registered-json-secret",
                extra={
                    "provider": "linode",
                    "server": "web-1",
                    "latency_ms": 12.5,
                    "body": {"root_pass": "Plain-Pass-1", "label": "registered-json-secret"},
                    "note": "token=abc123def456",
                },
            )
            try:
                raise RuntimeError("failed with registered-json-secret")
            except RuntimeError:
                logging.getLogger("bot.test").exception("boom")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    create, boom = lines[-2], lines[-1]
    assert create["level"] == "WARNING" and create["logger"] == "providers.linode"
    assert create["time"].endswith("+00:00")
    assert (create["request_id"], create["workspace"], create["user"]) == (
        "abcdef0123456789",
        TEAM,
        USER,
    )
    assert (create["provider"], create["server"], create["latency_ms"]) == ("linode", "web-1", 12.5)
    assert create["message"] == f"create {REDACTED}"
    assert create["body"] == {"root_pass": REDACTED, "label": REDACTED}
    assert create["note"] == f"token={REDACTED}"
    assert "registered-json-secret" not in json.dumps(lines)
    assert "Plain-Pass-1" not in json.dumps(lines)
    assert "RuntimeError" in boom["exception"] and REDACTED in boom["exception"]


def test_text_lines_have_utc_time_and_the_fields(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.core.logs import configure_logging, request_context

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("INFO")
        with request_context("0123456789abcdef"):
            logging.getLogger("bot.test").info("hello", extra={"provider": "digitalocean"})
        line = capsys.readouterr().err.splitlines()[-1]
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    stamp, rest = line.split(" ", 1)
    assert stamp.endswith("Z") and "T" in stamp
    assert rest == "INFO bot.test: hello provider=digitalocean request_id=0123456789abcdef"


async def test_socket_mode_requests_get_the_same_request_context(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    from slack_sdk.socket_mode.request import SocketModeRequest

    bolt = AsyncApp(signing_secret=SECRET, client=services.slack, process_before_response=True)
    shares: list[str | None] = []

    @bolt.command("/vps")
    async def command(ack: Any) -> None:
        logging.getLogger("bot.test").info("over the socket")
        shares.append(fairshare.WORKSPACE.get())
        await ack()

    class Client:
        def __init__(self) -> None:
            self.sent: list[Any] = []
            self.logger = logging.getLogger("tests.socket_mode")

        async def send_socket_mode_response(self, response: Any) -> None:
            self.sent.append(response)

    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestContext())
    acks = _sample("vpsbot_slack_ack_seconds_count", "command")
    handler = http.socket_mode_handler(bolt, "xapp-1-A0001-test")
    client = Client()
    payload = dict(urllib.parse.parse_qsl(_command_body()))
    await handler.handle(
        client, SocketModeRequest(type="slash_commands", envelope_id="env-1", payload=payload)
    )
    assert [r.envelope_id for r in client.sent] == ["env-1"]
    [record] = [r for r in caplog.records if r.name == "bot.test"]
    assert len(record.request_id) == 16
    assert (record.workspace, record.user) == (TEAM, USER)
    assert shares == [TEAM]
    assert _sample("vpsbot_slack_ack_seconds_count", "command") == acks + 1


async def test_the_root_page_says_where_to_go(services: Services) -> None:
    """A person who opens vpsbot's address in a browser is told where to go, not a 404:
    the playground when it runs, else Slack."""
    bolt = AsyncApp(signing_secret=SECRET, client=services.slack)
    pages: dict[str, str] = {}
    for name, url in (("playground", "http://127.0.0.1:3002/"), ("slack", None)):
        port = _free_port()
        serving = await http.start_serving(
            services, bolt, host="127.0.0.1", port=port, playground_url=url
        )
        try:
            async with (
                aiohttp.ClientSession() as client,
                client.get(f"http://127.0.0.1:{port}/") as resp,
            ):
                assert resp.status == 200 and resp.content_type == "text/html"
                pages[name] = await resp.text()
        finally:
            await serving.stop()
    assert '<a href="http://127.0.0.1:3002/">http://127.0.0.1:3002/</a>' in pages["playground"]
    assert "/vps help" in pages["slack"] and "3002" not in pages["slack"]
    assert "install" not in pages["slack"]  # single-token mode has no install page


async def test_vpsbots_app_counts_a_requests_provider_calls_against_its_workspace(
    services: Services,
) -> None:
    """The app as `vpsbot serve` builds it: a listener's provider calls, before and
    after its ack, are made for the request's workspace (providers.fairshare)."""
    from bot.app.bolt import build_bolt_app, settle_listeners

    bolt = build_bolt_app(services)
    seen: list[str | None] = []

    @bolt.command("/probe")
    async def probe(ack: Any) -> None:
        seen.append(fairshare.WORKSPACE.get())
        await ack()
        await asyncio.sleep(0.05)  # after the answer
        seen.append(fairshare.WORKSPACE.get())

    port = _free_port()
    runner = aiohttp.web.AppRunner(http.build_web_app(services, bolt))
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        status, _ = await _post_signed(port, _command_body().replace("%2Fvps", "%2Fprobe"))
        assert status == 200
        assert await settle_listeners(5) == 0
    finally:
        await runner.cleanup()
    assert seen == [TEAM, TEAM]
    assert fairshare.WORKSPACE.get() is None  # nothing leaks out of the request


async def test_a_listener_goes_on_only_once_slack_has_its_answer(services: Services) -> None:
    """Work after an ack that replaces what the answer showed (a loading view, then
    the next) waits until the answer is written: Bolt sends it from a 10 ms polling
    loop, so a quick listener would otherwise overtake it (bot.core.answered)."""
    from bot.app.bolt import build_bolt_app, settle_listeners

    bolt = build_bolt_app(services)
    order: list[str] = []

    @bolt.command("/probe")
    async def probe(ack: Any) -> None:
        await ack(text="loading")
        await answer_sent()
        order.append("went on")

    web_app = http.build_web_app(services, bolt)

    async def answered(_: aiohttp.web.Request, response: aiohttp.web.StreamResponse) -> None:
        order.append("answer")

    web_app.on_response_prepare.append(answered)
    port = _free_port()
    runner = aiohttp.web.AppRunner(web_app)
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        status, _ = await _post_signed(port, _command_body().replace("%2Fvps", "%2Fprobe"))
        assert await settle_listeners(5) == 0
    finally:
        await runner.cleanup()
    assert status == 200
    assert order == ["answer", "went on"]


async def test_a_socket_mode_listener_goes_on_once_its_answer_is_sent(
    services: Services,
) -> None:
    from slack_sdk.socket_mode.request import SocketModeRequest

    from bot.app.bolt import build_bolt_app, settle_listeners

    bolt = build_bolt_app(services)
    order: list[str] = []

    @bolt.command("/probe")
    async def command(ack: Any) -> None:
        await ack()
        await answer_sent()
        order.append("went on")

    class Client:
        logger = logging.getLogger("tests.socket_mode")

        async def send_socket_mode_response(self, response: Any) -> None:
            order.append("answer")

    payload = dict(urllib.parse.parse_qsl(_command_body().replace("%2Fvps", "%2Fprobe")))
    await http.socket_mode_handler(bolt, "xapp-1-A0001-test").handle(
        Client(), SocketModeRequest(type="slash_commands", envelope_id="env-2", payload=payload)
    )
    assert await settle_listeners(5) == 0
    assert order == ["answer", "went on"]
