"""The HTTP surface: Slack events, health, readiness and metrics on one aiohttp app."""

from __future__ import annotations

import gc
import logging
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.core.services import Services

__all__ = ["SERVICES_KEY", "Serving", "build_web_app", "settle_heap", "start_serving"]

log = logging.getLogger(__name__)

SERVICES_KEY: web.AppKey[Services] = web.AppKey("services", Services)
BOLT_KEY: web.AppKey[AsyncApp] = web.AppKey("bolt", AsyncApp)


async def _slack_events(request: web.Request) -> web.Response:
    bolt = request.app[BOLT_KEY]
    response = await bolt.async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(response)


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
    if await request.app[SERVICES_KEY].db.ping():
        return web.json_response({"status": "ready", "database": "ok"})
    return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)


async def _metrics(_: web.Request) -> web.Response:
    body = generate_latest()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def build_web_app(
    services: Services, bolt: AsyncApp, *, http_events: bool = True
) -> web.Application:
    """Mount Bolt at ``POST /slack/events`` (HTTP mode) beside the operational routes."""
    app = web.Application()
    app[SERVICES_KEY] = services
    app[BOLT_KEY] = bolt
    if http_events:
        app.router.add_post("/slack/events", _slack_events)
    if bolt.oauth_flow is not None:  # OAuth mode: install to many workspaces
        app.router.add_get(bolt.oauth_flow.install_path, _slack_install)
        app.router.add_get(bolt.oauth_flow.redirect_uri_path, _slack_oauth_redirect)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
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

    def __init__(self, runner: web.AppRunner, socket: Any | None, mode: str) -> None:
        self.runner = runner
        self.socket = socket
        self.mode = mode

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.close_async()
        await self.runner.cleanup()


async def start_serving(
    services: Services, bolt: AsyncApp, *, host: str, port: int, app_token: str | None = None
) -> Serving:
    """Serve HTTP on ``host:port``; with an app-level token, Slack's events arrive
    over Socket Mode instead and ``/slack/events`` is not mounted."""
    app = build_web_app(services, bolt, http_events=app_token is None)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=10.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    if app_token is None:
        return Serving(
            runner, None, f"HTTP mode, Slack requests at http://{host}:{port}/slack/events"
        )
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    socket = AsyncSocketModeHandler(bolt, app_token)
    try:
        await socket.connect_async()  # type: ignore[no-untyped-call]
    except BaseException:
        await runner.cleanup()
        raise
    return Serving(runner, socket, "Socket Mode")
