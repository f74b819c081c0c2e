"""Builds the Bolt AsyncApp and registers every listener group.

Slack wants its HTTP answer within three seconds, and our listeners often have
more to do after ``ack()`` (open a modal, call a provider). Bolt's own way to
answer early (``process_before_response=False``) polls every 10 ms for the ack,
which put 10-20 ms on every request. Here each listener runs as a task and the
answer goes out the moment it acks; whatever the listener does after that
carries on in the background, its errors logged.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.admin import listeners as admin
from bot.app.commands import vps_command
from bot.app.errors import on_listener_error, reference
from bot.approvals import listeners as approvals
from bot.core.services import Services
from bot.create import listeners as create
from bot.home import listeners as home
from bot.servers import listeners as servers

__all__ = ["ACK_TIMEOUT", "ProvideServices", "VpsbotApp", "answer_on_ack", "build_bolt_app"]

log = logging.getLogger("bot.bolt")

#: Seconds a listener may take to ack before Bolt answers without it, as Slack
#: stops waiting after three.
ACK_TIMEOUT = 3.0

_running: set[asyncio.Future[Any]] = set()


def _report(task: asyncio.Future[Any]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "listener failed after it answered Slack [reference %s]",
            reference(),
            exc_info=task.exception(),
        )


def answer_on_ack(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[None]]:
    """Wrap a listener so Bolt's request returns as soon as the listener acks.

    Bolt reads the listener's parameters through ``functools.wraps`` (it unwraps),
    so the wrapper receives exactly the arguments ``fn`` asks for. An error raised
    before the ack propagates to Bolt's error handling as before.
    """

    @functools.wraps(fn)
    async def listener(*args: Any, **kwargs: Any) -> None:
        ack = kwargs.get("ack")
        if ack is None:
            await fn(*args, **kwargs)
            return
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[None] = loop.create_future()

        def answer(_: object = None) -> None:
            if not answered.done():
                answered.set_result(None)

        async def ack_and_answer(*a: Any, **kw: Any) -> Any:
            try:
                return await ack(*a, **kw)
            finally:
                answer()

        kwargs["ack"] = ack_and_answer
        task = asyncio.ensure_future(fn(*args, **kwargs))
        task.add_done_callback(answer)
        timer = loop.call_later(ACK_TIMEOUT, answer)
        try:
            await answered
        finally:
            timer.cancel()
        if task.done():
            task.result()  # raises what the listener raised, for Bolt to handle
            return
        _running.add(task)
        task.add_done_callback(_report)

    return listener


class VpsbotApp(AsyncApp):
    """An AsyncApp whose command, action, view and options listeners answer Slack
    the moment they ack (see :func:`answer_on_ack`)."""

    @staticmethod
    def _early(register: Callable[..., Any]) -> Callable[..., Any]:
        def decorate(*functions: Any, **kwargs: Any) -> Any:
            return register(*(answer_on_ack(f) for f in functions), **kwargs)

        return decorate

    def command(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._early(super().command(*args, **kwargs))

    def action(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._early(super().action(*args, **kwargs))

    def view(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._early(super().view(*args, **kwargs))

    def options(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._early(super().options(*args, **kwargs))


class ProvideServices(AsyncMiddleware):
    """Global middleware: puts the services container in Bolt's context, so every
    listener and listener middleware can ask for it as a ``services`` argument."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        req.context["services"] = self.services
        return await next()


def _without_nuls(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {k: _without_nuls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nuls(v) for v in value]
    return value


async def drop_nuls(
    body: dict[str, Any],
    next: Callable[[], Awaitable[None]],
) -> None:
    """Global middleware: no NUL character from a payload reaches a listener.

    PostgreSQL refuses NUL (U+0000) in text and JSON, and no field of a Slack payload
    means one, so it is dropped wherever it appears (labels, search text, form
    values, metadata) before anything stores or compares it.
    """
    if "\\u0000" in json.dumps(body):  # JSON spells a NUL this way, and only a NUL
        cleaned = _without_nuls(body)
        body.clear()
        body.update(cleaned)
    await next()


def build_bolt_app(services: Services) -> AsyncApp:
    """The Bolt app with every feature's listeners; ``register(app)`` of each
    feature only wires its module-level listeners."""
    settings = services.settings
    secret = settings.slack_signing_secret
    app = VpsbotApp(
        client=services.slack,
        signing_secret=secret.get_secret_value() if secret else "",
        logger=logging.getLogger("bot.bolt"),
        # the listener's own wrapper answers on ack; Bolt just awaits it
        process_before_response=True,
    )
    app.use(ProvideServices(services))
    app.use(drop_nuls)
    app.error(on_listener_error)
    app.command("/vps")(vps_command)
    for feature in (create, servers, admin, approvals, home):
        feature.register(app)
    return app
