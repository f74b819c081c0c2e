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
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
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
from bot.workspaces import listeners as workspaces
from bot.workspaces.states import STATE_SECONDS, SignedStateStore
from providers.fairshare import acting_for

__all__ = [
    "ACK_TIMEOUT",
    "BOT_SCOPES",
    "NOT_INSTALLED",
    "ProvideServices",
    "VpsbotApp",
    "answer_on_ack",
    "build_bolt_app",
    "settle_listeners",
]

#: What a person is told (through the command's response_url, no token needed)
#: when their workspace has no installation any more.
NOT_INSTALLED = (
    "vpsbot is not installed in this workspace any more; ask a workspace admin to install it again."
)

#: What an install asks for: manifest.yml's bot scopes, exactly (a test compares
#: them), so a workspace installed through /slack/install can do what the manifest
#: promises, e.g. read an approver user group.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "usergroups:read",
    "files:write",
)

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


async def settle_listeners(timeout: float) -> int:
    """Wait up to ``timeout`` seconds for the work listeners still do after their
    ack (a create's follow-ups, a decision's announcement), so stopping the server
    does not cut it off midway; returns how many were still running when it gave up."""
    if not _running:
        return 0
    _, pending = await asyncio.wait(set(_running), timeout=timeout)
    if pending:
        log.warning("%d listener(s) still running at shutdown", len(pending))
    return len(pending)


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
        # provider calls made for this request count against its workspace's share
        # of a shared provider account (providers.fairshare)
        team = req.context.get("team_id") or req.context.get("enterprise_id")
        with acting_for(team if isinstance(team, str) and team else None):
            return await next()


#: Text PostgreSQL cannot store and no Slack field means: NUL, and UTF-16
#: surrogates left unpaired (a JSON ``\\ud800`` escape decodes to one; a valid
#: pair decodes to the character it spells and is kept).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

#: How such text can be spelled in a request body: a raw NUL, a JSON escape, a
#: form-encoded NUL, or a JSON escape inside a form field (an interaction's ``payload``).
_SPELLED = re.compile(r"\x00|(?:\\|%5[cC])u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})|%00")


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub(_replacement, value)
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def _replacement(found: re.Match[str]) -> str:
    return "" if found.group() == "\x00" else "\ufffd"


async def storable_text(
    request: AsyncBoltRequest,
    body: dict[str, Any],
    context: AsyncBoltContext,
    next: Callable[[], Awaitable[None]],
) -> None:
    """Global middleware: no text PostgreSQL refuses reaches a listener.

    PostgreSQL refuses NUL (U+0000) and unpaired surrogates in text and JSON, and
    no field of a Slack payload means either, so NULs are dropped and lone
    surrogates become U+FFFD wherever they appear (labels, search text, form
    values, ids, metadata) before anything stores or compares them. Only a body
    that spells one is walked.
    """
    if _SPELLED.search(request.raw_body or ""):
        cleaned = _storable(body)
        body.clear()
        body.update(cleaned)
        # Bolt read the ids into its context before any middleware ran
        for key, value in list(context.items()):
            if isinstance(value, str) and _UNSTORABLE.search(value):
                context[key] = _storable(value)
    await next()


def _oauth(services: Services) -> dict[str, Any]:
    """Bolt's OAuth arguments: install and redirect routes, the state and installation
    stores on PostgreSQL (tables by migration 0008), and an authorize step that reads
    the bot token from the store's cache and keeps ``auth.test`` answers per token
    for a while (the store's ``authorized`` cache), so an
    ordinary request costs neither a query nor a Slack call."""
    store = services.installations
    assert store is not None
    settings = services.settings
    secret = settings.slack_client_secret
    client_secret = secret.get_secret_value() if secret else ""
    bolt_log = logging.getLogger("bot.bolt")
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri,
        authorization_url=settings.slack_authorize_url,
        installation_store=store,
        installation_store_bot_only=True,
        state_store=SignedStateStore(
            secret=client_secret, db=services.db, logger=bolt_log, expiration_seconds=STATE_SECONDS
        ),
        callback_options=workspaces.callback_options(services),
        logger=bolt_log,
    )
    authorize = AsyncInstallationStoreAuthorize(
        logger=bolt_log,
        installation_store=store,
        client_id=settings.slack_client_id,
        client_secret=client_secret,
        bot_only=True,
        cache_enabled=True,
    )
    # Bolt's own cache is a dict that never forgets: the store's is bounded, aged
    # and dropped with the workspace (bot.core.installs); Bolt only uses `in`, `[]`
    # and `[]=` on it, which the cache type answers as a dict would
    authorize.authorize_result_cache = store.authorized  # type: ignore[assignment]
    return {
        "user_facing_authorize_error_message": NOT_INSTALLED,
        "oauth_settings": oauth_settings,
        "authorize": authorize,
        "installation_store": store,
        "installation_store_bot_only": True,
    }


def build_bolt_app(services: Services) -> AsyncApp:
    """The Bolt app with every feature's listeners; ``register(app)`` of each
    feature only wires its module-level listeners. In OAuth mode each request is
    answered with its own workspace's token (see :func:`_oauth`)."""
    settings = services.settings
    secret = settings.slack_signing_secret
    app = VpsbotApp(
        client=services.slack,
        signing_secret=secret.get_secret_value() if secret else "",
        logger=logging.getLogger("bot.bolt"),
        # the listener's own wrapper answers on ack; Bolt just awaits it
        process_before_response=True,
        **(_oauth(services) if services.installations is not None else {}),
    )
    app.use(ProvideServices(services))
    if services.installations is not None:
        app.use(workspaces.note_org)
    app.use(storable_text)
    app.error(on_listener_error)
    app.command("/vps")(vps_command)
    for feature in (create, servers, admin, workspaces, approvals, home):
        feature.register(app)
    home.keep_current(services)
    return app
