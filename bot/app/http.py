"""The HTTP surface: Slack events, health, readiness and metrics on one aiohttp app.

Each Slack request gets a request id (answered in ``X-Request-Id``) that its log
lines, its provider calls and its audit rows carry, and is timed over HTTP and
Socket Mode alike (:mod:`bot.app.latency`). ``/metrics`` can
listen on a port of its own (``METRICS_PORT``) instead, and is then not served
on the Slack-facing listener.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import html
import logging
import platform
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Info, generate_latest
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.app.bolt import settle_listeners
from bot.app.guard import prepared, slack_guard
from bot.app.latency import Span, counting_task_factory, kind_of
from bot.core.answered import answering
from bot.core.errors import ConfigError
from bot.core.logs import request_context
from bot.core.services import Services

# the metrics defined beside the code that measures them, registered for /metrics
# even before that code first runs
from db import metrics as _db_metrics
from providers import metrics as _provider_metrics
from providers.fairshare import acting_for

__all__ = [
    "BUILD_INFO",
    "SERVICES_KEY",
    "Serving",
    "build_web_app",
    "settle_heap",
    "start_serving",
]

log = logging.getLogger(__name__)

SERVICES_KEY: web.AppKey[Services] = web.AppKey("services", Services)
#: the Socket Mode handler, once connected (empty in HTTP mode)
SOCKET_KEY: web.AppKey[list[Any]] = web.AppKey("socket_mode", list)
BOLT_KEY: web.AppKey[AsyncApp] = web.AppKey("bolt", AsyncApp)
INDEX_KEY: web.AppKey[str] = web.AppKey("index_page", str)
#: Seconds shutdown waits for listeners still working after their ack.
SETTLE_SECONDS = 5.0

BUILD_INFO = Info("vpsbot_build", "vpsbot version and runtime.")
_REGISTERED = (_db_metrics, _provider_metrics)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


BUILD_INFO.info(
    {
        "version": _version("vpsbot"),
        "python": platform.python_version(),
        "slack_bolt": _version("slack_bolt"),
    }
)


async def _slack_events(request: web.Request) -> web.StreamResponse:
    started = time.perf_counter()
    bolt = request.app[BOLT_KEY]
    bolt_request = prepared(request) or await to_bolt_request(request)
    context = bolt_request.context
    span = Span(kind_of(bolt_request.body if isinstance(bolt_request.body, dict) else {}))
    with (
        span.current(),
        request_context(workspace=context.team_id, user=context.user_id) as request_id,
        # provider calls made for this request, after its ack too, count against
        # its workspace's share of a shared provider account (providers.fairshare)
        acting_for(context.team_id or context.enterprise_id),
        answering(),
    ):
        response = await bolt.async_dispatch(bolt_request)
        answer = await to_aiohttp_response(response)
        answer.headers["X-Request-Id"] = request_id
        # written here, not after return, so the listener still working after its
        # ack knows Slack has the answer (bot.core.answered)
        await answer.prepare(request)
        await answer.write_eof()
    span.acked(started)
    return answer


def _who(payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """(workspace, user) of a Socket Mode payload, whatever its kind."""
    team, user = payload.get("team"), payload.get("user")
    event = payload.get("event")
    workspace = payload.get("team_id") or (team.get("id") if isinstance(team, dict) else None)
    who = payload.get("user_id") or (user.get("id") if isinstance(user, dict) else None)
    if who is None and isinstance(event, dict):
        who = event.get("user") if isinstance(event.get("user"), str) else None
    return (
        workspace if isinstance(workspace, str) else None,
        who if isinstance(who, str) else None,
    )


def socket_mode_handler(bolt: AsyncApp, app_token: str) -> Any:
    """Bolt's Socket Mode handler, with the request id, context and latency histograms
    that requests over HTTP get (:func:`_slack_events`)."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    class Handler(AsyncSocketModeHandler):
        async def handle(self, client: Any, req: Any) -> None:
            started = time.perf_counter()
            payload = req.payload if isinstance(req.payload, dict) else {}
            span = Span(kind_of(payload))
            workspace, user = _who(payload)
            with (
                span.current(),
                request_context(workspace=workspace, user=user),
                acting_for(workspace),
                answering(),
            ):
                await super().handle(client, req)  # the answer is sent when it returns
            span.acked(started)

    return Handler(bolt, app_token)


async def _slack_install(request: web.Request) -> web.Response:
    flow = request.app[BOLT_KEY].oauth_flow
    assert flow is not None
    response = await flow.handle_installation(await to_bolt_request(request))
    return await to_aiohttp_response(response)


async def _slack_oauth_redirect(request: web.Request) -> web.Response:
    flow = request.app[BOLT_KEY].oauth_flow
    assert flow is not None
    response = await flow.handle_callback(await to_bolt_request(request))
    return await to_aiohttp_response(response)


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    """Ready when the database answers and, in Socket Mode, the connection to Slack
    is up (a replica that lost it takes no traffic until it reconnects)."""
    database = await request.app[SERVICES_KEY].db.ping()
    report: dict[str, str] = {"database": "ok" if database else "unreachable"}
    connected = True
    for socket in request.app[SOCKET_KEY]:
        connected = bool(await socket.client.is_connected())
        report["socket_mode"] = "connected" if connected else "disconnected"
    ready = database and connected
    report["status"] = "ready" if ready else "unavailable"
    return web.json_response(report, status=200 if ready else 503)


async def _metrics(_: web.Request) -> web.Response:
    body = generate_latest()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def build_web_app(
    services: Services,
    bolt: AsyncApp,
    *,
    http_events: bool = True,
    metrics: bool = True,
    playground_url: str | None = None,
) -> web.Application:
    """Mount Bolt at ``POST /slack/events`` (HTTP mode) beside the operational routes;
    ``/metrics`` only when ``metrics`` (not when it has a port of its own, so build
    info and rate-limit budgets stay off the Slack-facing listener). ``GET /`` is a
    short page for a person who opens the address in a browser: where to go instead
    (the local playground when it runs, the install page in OAuth mode, the README)."""
    secret = services.settings.slack_signing_secret
    app = web.Application(middlewares=[slack_guard(secret.get_secret_value() if secret else None)])
    app[SERVICES_KEY] = services
    app[SOCKET_KEY] = []
    app[BOLT_KEY] = bolt
    if http_events:
        app.router.add_post("/slack/events", _slack_events)
    if bolt.oauth_flow is not None:  # OAuth mode: install to many workspaces
        app.router.add_get(bolt.oauth_flow.install_path, _slack_install)
        app.router.add_get(bolt.oauth_flow.redirect_uri_path, _slack_oauth_redirect)
    app[INDEX_KEY] = _index_page(playground_url, install=bolt.oauth_flow is not None)
    app.router.add_get("/", _index)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    if metrics:
        app.router.add_get("/metrics", _metrics)
    app.on_shutdown.append(_settle)
    return app


def _index_page(playground_url: str | None, *, install: bool) -> str:
    if playground_url is not None:
        url = html.escape(playground_url, quote=True)
        where = (
            "No Slack workspace is connected: vpsbot runs with its local playground. "
            f'Open <a href="{url}">{url}</a> to try it.'
        )
    elif install:
        where = (
            'Add vpsbot to a Slack workspace from <a href="/slack/install">its install page</a>.'
        )
    else:
        where = "Use vpsbot from Slack: type <code>/vps help</code> in a channel."
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>vpsbot</title></head>'
        "<body><h1>vpsbot</h1><p>Slack chat-ops for cloud servers. This address is where Slack "
        f"sends vpsbot its requests; there is nothing to see here.</p><p>{where}</p>"
        "<p>Setting it up: README.md, <em>Slack app</em>.</p></body></html>"
    )


async def _index(request: web.Request) -> web.Response:
    return web.Response(text=request.app[INDEX_KEY], content_type="text/html")


async def _settle(_: web.Application) -> None:
    """On shutdown, before the services close: let answered requests finish their work."""
    await settle_listeners(SETTLE_SECONDS)


def build_metrics_app() -> web.Application:
    """``/metrics`` alone, for ``METRICS_PORT``."""
    app = web.Application()
    app.router.add_get("/metrics", _metrics)
    return app


def settle_heap() -> None:
    """Collect once and freeze what start-up allocated.

    Start-up leaves hundreds of thousands of long-lived objects (modules, the
    ORM, Bolt, slack_sdk models); without freezing, every full collection of the
    cyclic GC walks them all, and under load those pauses become the request
    latency's p99 (measured in bench/bench_create.py: p99 ~120 ms -> ~40 ms).
    """
    gc.collect()
    gc.freeze()


class Serving:
    """What :func:`start_serving` started; :meth:`stop` takes it down again."""

    def __init__(
        self,
        runner: web.AppRunner,
        socket: Any | None,
        mode: str,
        metrics: web.AppRunner | None = None,
    ) -> None:
        self.runner = runner
        self.socket = socket
        self.mode = mode
        self.metrics = metrics

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.close_async()
        await self.runner.cleanup()
        if self.metrics is not None:
            await self.metrics.cleanup()


async def _listen(runner: web.AppRunner, host: str, port: int, variable: str) -> None:
    """Bind ``host:port``; a busy or impossible address is one line naming ``variable``."""
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"{variable}: {host}:{port} is already in use by another process "
                f"(stop it, or set {variable} to a free port)"
            ) from None
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{variable}: cannot listen on {host}:{port}: {reason}") from None


async def start_serving(
    services: Services,
    bolt: AsyncApp,
    *,
    host: str,
    port: int,
    app_token: str | None = None,
    metrics_port: int | None = None,
    phase: Callable[[str], None] | None = None,
    playground_url: str | None = None,
) -> Serving:
    """Serve HTTP on ``host:port`` (``/metrics`` there, or only on ``metrics_port``
    if given); with an app-level token, Slack's events arrive over Socket Mode
    instead and ``/slack/events`` is not mounted. ``phase`` hears each step."""
    asyncio.get_running_loop().set_task_factory(counting_task_factory)
    app = build_web_app(
        services,
        bolt,
        http_events=app_token is None,
        metrics=metrics_port is None,
        playground_url=playground_url,
    )
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=10.0)
    await runner.setup()
    await _listen(runner, host, port, "PORT")
    metrics = None
    if metrics_port is not None:
        metrics = web.AppRunner(build_metrics_app(), access_log=None)
        await metrics.setup()
        try:
            await _listen(metrics, host, metrics_port, "METRICS_PORT")
        except BaseException:
            await runner.cleanup()
            raise
    if app_token is None:
        return Serving(
            runner,
            None,
            f"HTTP mode, Slack requests at http://{host}:{port}/slack/events",
            metrics,
        )
    if phase is not None:
        phase("Socket Mode connect")
    socket = socket_mode_handler(bolt, app_token)
    try:
        await socket.connect_async()
    except BaseException:
        await runner.cleanup()
        if metrics is not None:
            await metrics.cleanup()
        raise
    app[SOCKET_KEY].append(socket)  # /readyz follows the connection
    return Serving(runner, socket, "Socket Mode", metrics)
