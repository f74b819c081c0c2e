"""Builds the Bolt AsyncApp and registers every listener group.

Slack wants its HTTP answer within three seconds, and our listeners often have
more to do after ``ack()`` (open a modal, call a provider). Bolt's own early
answer (``process_before_response=False``) runs each listener in a task and
answers Slack once it acks; the listener's work goes on after that. Two things
are added: those tasks are kept (:class:`KeepListeners`), so shutdown can let
them finish (:func:`settle_listeners`), and an answer once given stays given
(:class:`FirstAnswer`), which Bolt's early answer does not promise on its own.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.listener.async_listener_start_handler import AsyncListenerStartHandler
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.admin import listeners as admin
from bot.app.commands import vps_command
from bot.app.errors import on_listener_error
from bot.approvals import listeners as approvals
from bot.core.services import Services
from bot.create import listeners as create
from bot.home import listeners as home
from bot.servers import listeners as servers
from bot.workspaces import listeners as workspaces
from bot.workspaces.states import STATE_SECONDS, SignedStateStore

__all__ = [
    "BOT_SCOPES",
    "NOT_INSTALLED",
    "FirstAnswer",
    "KeepFirstAnswer",
    "KeepListeners",
    "ProvideServices",
    "StorableText",
    "answer_early",
    "build_bolt_app",
    "settle_listeners",
    "storable_text",
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

_running: set[asyncio.Task[Any]] = set()


class FirstAnswer(AsyncAck):
    """Bolt's ``ack``, whose first answer is the one Slack gets.

    When a listener fails after its ack, Bolt's runner sets the ack's response to
    None (its way of saying "already answered"). Bolt looks for the answer every
    10 ms, so if the failure came sooner, the answer was lost: the request waited
    out its 3 s and ended as unhandled, and the person saw Slack's own error
    instead of what the listener had answered. Here a given answer is kept.
    """

    def __init__(self) -> None:
        self._given: BoltResponse | None = None

    @property
    def response(self) -> BoltResponse | None:
        return self._given

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if value is not None or self._given is None:
            self._given = value


class KeepFirstAnswer(AsyncMiddleware):
    """Global middleware: the request's ``ack`` is a :class:`FirstAnswer`."""

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        req.context["ack"] = FirstAnswer()
        return await next()


class KeepListeners(AsyncListenerStartHandler):
    """Bolt's hook as each listener starts, in the task Bolt runs it in.

    With Bolt's early answer nothing holds that task once Slack has its answer;
    this keeps it in ``_running`` until it is done, so :func:`settle_listeners`
    can wait for it. Its errors are Bolt's to handle (:func:`on_listener_error`).
    """

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        task = asyncio.current_task()
        if task is not None and task not in _running:
            _running.add(task)
            task.add_done_callback(_running.discard)


def answer_early(app: AsyncApp) -> None:
    """What an app answering on the ack (``process_before_response=False``) gets
    here: its listener tasks kept, and each request's first answer kept."""
    app.listener_runner.listener_start_handler = KeepListeners()
    app.use(KeepFirstAnswer())


async def settle_listeners(timeout: float) -> int:
    """Wait up to ``timeout`` seconds for the work listeners still do after their
    ack (a create's follow-ups, a decision's announcement), so stopping the server
    does not cut it off midway; returns how many were still running when it gave up."""
    running = {task for task in _running if task is not asyncio.current_task()}
    if not running:
        return 0
    _, pending = await asyncio.wait(running, timeout=timeout)
    if pending:
        log.warning("%d listener(s) still running at shutdown", len(pending))
    return len(pending)


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


class StorableText(AsyncMiddleware):
    """Global middleware: no text PostgreSQL refuses reaches a listener.

    PostgreSQL refuses NUL (U+0000) and unpaired surrogates in text and JSON, and
    no field of a Slack payload means either, so NULs are dropped and lone
    surrogates become U+FFFD wherever they appear (labels, search text, form
    values, ids, metadata) before anything stores or compares them. Only a body
    that spells one is walked.
    """

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        if _SPELLED.search(req.raw_body or ""):
            cleaned = _storable(req.body)
            req.body.clear()
            req.body.update(cleaned)
            # Bolt read the ids into its context before any middleware ran
            context = req.context
            for key, value in list(context.items()):
                if isinstance(value, str) and _UNSTORABLE.search(value):
                    context[key] = _storable(value)
        return await next()


#: The one :class:`StorableText` every app uses.
storable_text = StorableText()


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
    app = AsyncApp(
        client=services.slack,
        signing_secret=secret.get_secret_value() if secret else "",
        logger=logging.getLogger("bot.bolt"),
        process_before_response=False,  # answer on the ack; the work goes on
        **(_oauth(services) if services.installations is not None else {}),
    )
    answer_early(app)
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
