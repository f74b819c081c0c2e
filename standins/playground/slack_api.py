"""A loopback stand-in for the Slack Web API: the playground's Slack and the tests' Slack.

Point the app's ``AsyncWebClient`` at :attr:`SlackStandIn.base_url` (vpsbot reads it from
``SLACK_API_URL``).  The stand-in answers the Web API methods vpsbot uses the way Slack does:
HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}`` (HTTP 429 for
``ratelimited``), keeps views and messages current, and records every call in order.

Faults on demand (:meth:`SlackStandIn.fail`): the next N calls to a method can answer HTTP 429
with ``Retry-After``, a 5xx with an HTML page (what Slack's edge sends when it is down), or any
``{"ok": false, "error": X}`` such as ``not_in_channel``, ``hash_conflict`` or
``expired_trigger_id``.

Longer than 400 lines on purpose: one class holds a fake Slack's whole state (views,
messages, ephemeral posts, installs, faults) and each Web API method is a short handler
over it; split across modules, every handler would reach into another module's state.

It also serves ``POST /response/{id}`` so a test can hand the app a ``response_url``
(:meth:`SlackStandIn.response_url`) and see what the app posted there.
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeVar

from aiohttp import web

from standins.playground.files import SlackFiles

from .usergroups import usergroups_list
from .view_acks import check_view_submission_ack

__all__ = [
    "Call",
    "Fault",
    "ResponsePost",
    "SlackStandIn",
    "WaitResult",
    "WaitTimeout",
]

JSON = dict[str, Any]
_T = TypeVar("_T")

# Fields Slack accepts as JSON-encoded strings in form-encoded requests.
_JSON_STRING_FIELDS = ("view", "blocks", "attachments", "metadata", "unfurls")

_MAX_MESSAGE_BLOCKS = 50
_MAX_VIEW_BLOCKS = 100
_MAX_MESSAGE_TEXT = 40_000
_MAX_VIEW_TITLE = 24
_MAX_PRIVATE_METADATA = 3000
_MAX_CALLBACK_ID = 255
_MAX_ID_LEN = 255  # block_id and action_id
_RESPONSE_URL_MAX_USES = 5
_VIEW_STACK_LIMIT = 3
_BASE_TS = 1_700_000_000


class WaitTimeout(AssertionError):
    """Raised when an awaited call or response did not arrive in time."""


@dataclass
class Call:
    """One Web API request as the stand-in received it."""

    method: str
    args: JSON
    token: str | None = None
    response: JSON = field(default_factory=dict)
    http_method: str = "POST"
    content_type: str = ""
    status: int = 200

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        err = self.response.get("error")
        return str(err) if err is not None else None


@dataclass
class ResponsePost:
    """One POST the app made to a ``response_url`` handed out by the stand-in."""

    response_id: str
    payload: JSON
    channel: str | None = None
    message_ts: str | None = None
    status: int = 200


@dataclass
class WaitResult:
    """Filled in when an ``async with api.wait_for(...)`` block exits."""

    calls: list[Call] = field(default_factory=list)

    @property
    def call(self) -> Call:
        return self.calls[0]


@dataclass
class _ResponseTarget:
    channel: str | None
    message_ts: str | None
    user: str | None = None
    ephemeral: bool = False
    uses: int = 0


@dataclass(frozen=True)
class Fault:
    """One injected failure: how the stand-in answers a call instead of serving it.

    ``status`` 200 answers ``{"ok": false, "error": error}``; 429 adds ``Retry-After``;
    5xx answers an HTML page (no JSON at all), as Slack's load balancers do.
    """

    error: str
    status: int = 200
    retry_after: int | None = None

    @property
    def html(self) -> bool:
        return self.status >= 500


_HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>{status} {reason}</title></head>"
    "<body><h1>{status} {reason}</h1><p>Slack is having trouble. Please try again.</p>"
    "</body></html>"
)


class _ApiError(Exception):
    def __init__(
        self,
        error: str,
        *,
        messages: Iterable[str] = (),
        status: int = 200,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)
        self.status = status
        self.retry_after = retry_after


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Server Error"


def _text_of(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    if isinstance(obj, str):
        return obj
    return ""


def _block_problems(blocks: Any, *, limit: int, pointer: str) -> list[str]:
    """Cheap checks of the Block Kit limits Slack enforces; returns Slack-style messages."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"[ERROR] must be less than {limit + 1} items [json-pointer:{pointer}]")
    seen_block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"{pointer}/{i}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"[ERROR] missing required field: type [json-pointer:{where}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > _MAX_ID_LEN:
                problems.append(f"[ERROR] invalid block_id [json-pointer:{where}/block_id]")
            elif block_id in seen_block_ids:
                problems.append(f"[ERROR] duplicate block_id [json-pointer:{where}/block_id]")
            else:
                seen_block_ids.add(block_id)
        kind = block["type"]
        if kind == "section":
            if len(_text_of(block.get("text"))) > 3000:
                problems.append(
                    f"[ERROR] must be less than 3001 characters [json-pointer:{where}/text/text]"
                )
            fields = block.get("fields") or []
            if len(fields) > 10:
                problems.append(f"[ERROR] must be less than 11 items [json-pointer:{where}/fields]")
            for j, f in enumerate(fields):
                if len(_text_of(f)) > 2000:
                    problems.append(
                        "[ERROR] must be less than 2001 characters "
                        f"[json-pointer:{where}/fields/{j}/text]"
                    )
        elif kind == "header":
            if len(_text_of(block.get("text"))) > 150:
                problems.append(
                    f"[ERROR] must be less than 151 characters [json-pointer:{where}/text/text]"
                )
        elif kind == "actions":
            if len(block.get("elements") or []) > 25:
                problems.append(
                    f"[ERROR] must be less than 26 items [json-pointer:{where}/elements]"
                )
        elif kind == "context" and len(block.get("elements") or []) > 10:
            problems.append(f"[ERROR] must be less than 11 items [json-pointer:{where}/elements]")
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        if isinstance(block.get("element"), dict):
            elements.append(block["element"])
        for element in elements:
            if not isinstance(element, dict):
                continue
            action_id = element.get("action_id")
            if action_id is not None and (
                not isinstance(action_id, str) or len(action_id) > _MAX_ID_LEN
            ):
                problems.append(f"[ERROR] invalid action_id [json-pointer:{where}]")
            if element.get("type") == "button":
                if len(_text_of(element.get("text"))) > 75:
                    problems.append(f"[ERROR] button text too long [json-pointer:{where}]")
                if len(str(element.get("value", ""))) > 2000:
                    problems.append(f"[ERROR] button value too long [json-pointer:{where}]")
    return problems


class SlackStandIn:
    """An aiohttp server on 127.0.0.1 answering the Slack Web API methods vpsbot uses.

    ``api.calls`` records every Web API call (failed ones too) as :class:`Call`;
    ``api.views`` / ``api.messages`` hold the current state; ``api.fail_next`` injects
    errors; ``api.wait_for`` / ``api.wait_for_call`` let async tests await calls.
    """

    def __init__(
        self,
        bot_token: str = "xoxb-test-token",  # noqa: S107 - a stand-in's made-up token
        team_id: str = "T0001",
        bot_user_id: str = "U0BOT",
        *,
        bot_id: str = "B0BOT",
        app_id: str = "A0001",
        team_domain: str = "vpsbot-test",
        team_name: str = "vpsbot test",
        enterprise_id: str | None = None,
        scopes: str = "chat:write,commands,users:read,channels:read,groups:read,im:write",
    ) -> None:
        self.bot_token = bot_token
        self.valid_tokens: set[str] = {bot_token}
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.enterprise_id = enterprise_id
        self.scopes = scopes

        self.calls: list[Call] = []
        self.views: dict[str, JSON] = {}
        self.closed_views: set[str] = set()
        self.home_views: dict[str, str] = {}  # user_id -> view_id
        self.messages: dict[tuple[str, str], JSON] = {}
        self.ephemerals: list[JSON] = []  # the args of every chat.postEphemeral
        #: every ephemeral message as a person sees it (chat.postEphemeral, response_url
        #: posts, a slash command's ack): ts -> message with ``channel`` and ``user``
        self.ephemeral_messages: dict[str, JSON] = {}
        #: the user each modal was opened for (from the trigger_id's interaction)
        self.view_users: dict[str, str] = {}
        #: like Slack, a new views.open closes the user's other modals (the playground's
        #: setting; tests keep several sessions of one user open)
        self.one_modal_stack_per_user = False
        #: grows with every change; :meth:`wait_changed` waits for it to pass a value
        self.version = 0
        self.responses: list[ResponsePost] = []
        self.users: dict[str, JSON] = {}
        #: user groups by id ("S…") -> their members, for usergroups.users.list
        self.usergroups: dict[str, list[str]] = {}
        #: their names ("S…" -> "Platform team"), for usergroups.list
        self.usergroup_names: dict[str, str] = {}
        self.channels: dict[str, JSON] = {}
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering

        self._failures: dict[str, deque[Fault]] = {}
        self._counter = 0
        self._ts_counter = 0
        self._response_targets: dict[str, _ResponseTarget] = {}
        self._triggers: dict[str, str | None] = {}  # issued trigger_id -> view it came from
        self._trigger_users: dict[str, str] = {}  # issued trigger_id -> who interacted
        self._exchanged_triggers: set[str] = set()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._stopping = False
        self._handlers: dict[str, Callable[[JSON], JSON]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "usergroups.list": lambda _args: usergroups_list(self.usergroups, self.usergroup_names),
            "conversations.info": self._conversations_info,
            "apps.connections.open": self._apps_connections_open,
        }
        self._handlers["oauth.v2.access"] = self._oauth_v2_access
        #: OAuth installs (see "OAuth installs" below): bot token -> its workspace
        self.installs: dict[str, JSON] = {}
        self._codes: dict[str, JSON] = {}
        self._caller: str | None = None
        self.client_id = "1111.2222"
        self.client_secret = "stand-in-client-secret"
        #: what apps.connections.open hands out (a Socket Mode WebSocket URL);
        #: the app-level token must also be in ``valid_tokens``
        self.socket_url: str | None = None
        self._init_strictness()
        #: external uploads (files.getUploadURLExternal / completeUploadExternal)
        self.files = SlackFiles(self)

    # ------------------------------------------------------------------ lifecycle

    def add_routes(self, app: web.Application) -> None:
        """Serve the Web API (``/api/{method}``) and response_urls from ``app``."""
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{response_id}", self._handle_response_url)
        self.files.add_routes(app)

    def register_method(self, method: str, handler: Callable[[JSON], JSON]) -> None:
        """Answer Web API ``method`` with ``handler(args)`` (a module of its own, e.g.
        :mod:`standins.playground.files`); it may raise :meth:`api_error`."""
        self._handlers[method] = handler

    @staticmethod
    def api_error(error: str) -> Exception:
        """The ``{"ok": false, "error": error}`` answer, for registered handlers to raise."""
        return _ApiError(error)

    @property
    def caller_token(self) -> str | None:
        """The token of the Web API call being answered."""
        return self._caller

    async def start(
        self,
        *,
        port: int = 0,
        setup: Callable[[web.Application], None] | None = None,
    ) -> SlackStandIn:
        """Listen on 127.0.0.1:``port`` (0: any free port); ``setup`` may add routes."""
        if self._runner is not None:
            return self
        app = web.Application()
        self.add_routes(app)
        if setup is not None:
            setup(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            self._stopping = True
            self._notify()  # open long polls (wait_changed) answer now, not at their timeout
            await self._runner.cleanup()
            self._runner = None
            self._stopping = False

    async def __aenter__(self) -> SlackStandIn:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("SlackStandIn is not started; await api.start() first")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The Web API base URL to give ``AsyncWebClient(base_url=...)``."""
        return f"{self.root_url}/api/"

    # ------------------------------------------------------------------ test controls

    def fail(
        self,
        method: str,
        error: str | None = None,
        *,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail; later calls are served again.

        - ``api.fail("chat.update", "not_in_channel")``: ``{"ok": false, "error": ...}``, 200;
        - ``api.fail("chat.update", status=429, retry_after=2)``: ``ratelimited`` with
          ``Retry-After: 2`` (1 when not given);
        - ``api.fail("views.open", status=503)``: an HTML error page, no JSON.

        Faults queue up per method in the order they were added.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if status == 429:
            fault = Fault(error or "ratelimited", 429, 1 if retry_after is None else retry_after)
        elif status >= 500:
            fault = Fault(error or f"http_{status}", status, retry_after)
        elif status == 200:
            if not error:
                raise ValueError("an ok=false fault needs its error, e.g. 'not_in_channel'")
            fault = Fault(error, 200, retry_after)
        else:
            raise ValueError(f"status must be 200, 429 or 5xx, not {status}")
        self._failures.setdefault(method, deque()).extend([fault] * times)

    def fail_next(self, method: str, error: str = "not_in_channel", count: int = 1) -> None:
        """Make the next ``count`` calls to ``method`` answer ``{"ok": false, "error": error}``.

        ``error="ratelimited"`` answers HTTP 429 with ``Retry-After: 1``, like Slack.
        """
        self.fail(method, error, status=429 if error == "ratelimited" else 200, times=count)

    def pending_faults(self, method: str) -> int:
        """How many injected faults ``method`` has still to answer."""
        return len(self._failures.get(method, ()))

    def clear_faults(self) -> None:
        """Drop every fault not yet answered."""
        self._failures.clear()

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def mark(self) -> int:
        """Index of the next call; pass to ``wait_for_call(after=...)`` to skip earlier calls."""
        return len(self.calls)

    def response_url(
        self,
        *,
        channel: str | None = None,
        message_ts: str | None = None,
        user: str | None = None,
        ephemeral: bool = False,
    ) -> str:
        """A fresh response_url served by the stand-in.

        With ``channel``/``message_ts`` the URL belongs to that message, so ``replace_original``
        and ``delete_original`` posts change :attr:`messages` like Slack does (with
        ``ephemeral``, the message is in :attr:`ephemeral_messages`); with only a
        ``channel``, ``response_type: in_channel`` posts add a message to that channel. With a
        ``user``, other posts become ephemeral messages to that user.
        """
        response_id = f"R{self._next()}{secrets.token_hex(4)}"
        self._response_targets[response_id] = _ResponseTarget(channel, message_ts, user, ephemeral)
        return f"{self.root_url}/response/{response_id}"

    def new_trigger_id(self, view_id: str | None = None, *, user: str | None = None) -> str:
        """A trigger_id as Slack would send with an interaction (optionally from a view),
        by ``user`` when given (a modal opened with it belongs to that user)."""
        n = self._next()
        trigger_id = f"{_BASE_TS + n}.{n:010d}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = view_id
        if user is not None:
            self._trigger_users[trigger_id] = user
        return trigger_id

    def add_ephemeral(self, channel: str, user: str, payload: JSON) -> str:
        """Show ``payload`` (text/blocks) to ``user`` only, in ``channel``; returns its ts.

        What Slack does with a slash command's ack body or an ephemeral response_url post.
        """
        ts = self._next_ts()
        message = self._bot_message(payload, ts)
        message.update({"channel": channel, "user": user, "is_ephemeral": True})
        self.ephemeral_messages[ts] = message
        self.touch()
        return ts

    def dismiss_ephemeral(self, ts: str) -> None:
        """Remove an ephemeral message, as its "Dismiss" link does."""
        if self.ephemeral_messages.pop(ts, None) is not None:
            self.touch()

    def open_modals(self, user: str) -> list[JSON]:
        """``user``'s open modals, oldest first (the last is on top)."""
        return [
            view
            for view_id, view in self.views.items()
            if view.get("type") == "modal"
            and self.view_users.get(view_id) == user
            and view_id not in self.closed_views
        ]

    def touch(self) -> None:
        """Note a change made outside the Web API (wakes :meth:`wait_changed`)."""
        self._notify()

    async def wait_changed(self, after: int, timeout: float) -> int:
        """Wait until :attr:`version` passes ``after`` (or ``timeout``); returns it."""
        with suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.version <= after and not self._stopping:
                    await self._changed.wait()
        return self.version

    def seed_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U0001",
        blocks: list[JSON] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """Put a message by someone else (a person by default) in ``channel``; returns its ts."""
        ts = self._next_ts()
        message: JSON = {"type": "message", "user": user, "text": text, "ts": ts}
        message["team"] = self.team_id
        if blocks is not None:
            message["blocks"] = blocks
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
        self.messages[(channel, ts)] = message
        return ts

    def close_view(self, view_id: str, *, whole_stack: bool = False) -> None:
        """Mark a view (or its whole stack) closed, as when the user closes the modal."""
        view = self.views.get(view_id)
        if view is None:
            return
        if whole_stack:
            root = view.get("root_view_id") or view_id
            for vid, v in self.views.items():
                if (v.get("root_view_id") or vid) == root and v.get("type") == "modal":
                    self.closed_views.add(vid)
        else:
            self.closed_views.add(view_id)

    def apply_view_submission_ack(self, view_id: str, ack: JSON | None) -> None:
        """Apply what the app acked to a view_submission, as Slack does to the modal stack.

        Empty ack closes the view; ``clear`` closes the stack; ``update`` replaces the view
        (same id, new hash); ``push`` pushes a new view; ``errors`` leaves it open. An answer
        Slack would refuse raises :class:`~standins.playground.view_acks.SlackRefusedAck`.
        """
        ack = ack or {}
        if view_id in self.views:
            check_view_submission_ack(self.views[view_id], ack)
        action = ack.get("response_action")
        if action is None:
            self.close_view(view_id)
        elif action == "clear":
            self.close_view(view_id, whole_stack=True)
        elif action == "update" and view_id in self.views:
            self._replace_view(self.views[view_id], ack.get("view") or {})
        elif action == "push" and view_id in self.views:
            try:
                self._push_view(self.views[view_id], ack.get("view") or {})
            except _ApiError as e:
                raise AssertionError(f"Slack would reject this push: {e.error}") from e

    def is_open(self, view_id: str) -> bool:
        return view_id in self.views and view_id not in self.closed_views

    # ------------------------------------------------------------------ waiting

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        timeout: float = 5.0,
        after: int = 0,
    ) -> Call:
        """The first call to ``method`` at index >= ``after`` matching ``predicate``.

        Calls already recorded count, so nothing is missed; pass ``after=api.mark()``
        (taken before the action) or a ``predicate`` to skip earlier calls.
        """

        def find() -> Call | None:
            for call in self.calls[after:]:
                if call.method == method and (predicate is None or predicate(call)):
                    return call
            return None

        return await self._wait_until(find, timeout, f"a {method} call")

    async def wait_for_response(
        self,
        predicate: Callable[[ResponsePost], bool] | None = None,
        *,
        timeout: float = 5.0,
        after: int = 0,
    ) -> ResponsePost:
        """The first response_url post at index >= ``after`` matching ``predicate``."""

        def find() -> ResponsePost | None:
            for post in self.responses[after:]:
                if predicate is None or predicate(post):
                    return post
            return None

        return await self._wait_until(find, timeout, "a response_url post")

    @asynccontextmanager
    async def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
    ) -> AsyncIterator[WaitResult]:
        """``async with api.wait_for("chat.update") as got: ...`` waits on exit until
        ``count`` matching calls arrived *after* entering; they are in ``got.calls``."""
        start = len(self.calls)
        result = WaitResult()
        yield result

        def find() -> list[Call] | None:
            found = [
                c
                for c in self.calls[start:]
                if c.method == method and (predicate is None or predicate(c))
            ]
            return found[:count] if len(found) >= count else None

        result.calls = await self._wait_until(find, timeout, f"{count} {method} call(s)")

    async def _wait_until(self, find: Callable[[], _T | None], timeout: float, what: str) -> _T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                recorded = ", ".join(
                    f"{c.method}({'ok' if c.ok else c.error})" for c in self.calls[-20:]
                )
                raise WaitTimeout(
                    f"timed out after {timeout}s waiting for {what}; last calls: [{recorded}]"
                )
            event = self._changed
            with suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _notify(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ HTTP handlers

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        content_type = request.content_type
        call = Call(method=method, args={}, http_method=request.method, content_type=content_type)
        status = 200
        headers: dict[str, str] = {}
        try:
            args, body_token = await self._parse_args(request)
            call.args = args
            call.token = self._bearer(request) or body_token
            response = self._dispatch(method, call)
        except _ApiError as e:
            response = {"ok": False, "error": e.error}
            if e.messages:
                response["response_metadata"] = {"messages": e.messages}
            status = e.status
            if e.status == 429:
                headers["Retry-After"] = str(e.retry_after if e.retry_after is not None else 1)
            elif e.retry_after is not None:
                headers["Retry-After"] = str(e.retry_after)
        if method == "auth.test" and response.get("ok"):
            headers["X-OAuth-Scopes"] = self.scopes
        call.response = copy.deepcopy(response)
        call.status = status
        self.calls.append(call)
        self._notify()
        delay = self.delays.get(method)
        if delay:
            await asyncio.sleep(delay)
        if status >= 500:
            reason = _reason(status)
            page = _HTML_PAGE.format(status=status, reason=reason)
            return web.Response(text=page, status=status, content_type="text/html", headers=headers)
        return web.json_response(response, status=status, headers=headers)

    def _dispatch(self, method: str, call: Call) -> JSON:
        handler = self._handlers.get(method)
        if handler is None:
            raise _ApiError("unknown_method")
        if method == "oauth.v2.access":
            return self._oauth_v2_access(call.args)
        if method == "auth.test" and call.token in self.installs:
            return self._install_auth_test(call.token)
        if self.strict_workspaces:
            self._check_strictly(method, call)
        elif method != "api.test":
            if not call.token:
                raise _ApiError("invalid_auth")  # Slack itself says "not_authed" here
            if call.token not in self.valid_tokens:
                raise _ApiError("invalid_auth")
        queue = self._failures.get(method)
        if queue:
            fault = queue.popleft()
            raise _ApiError(fault.error, status=fault.status, retry_after=fault.retry_after)
        self._caller = call.token
        return handler(call.args)

    @staticmethod
    def _bearer(request: web.Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip() or None
        return None

    @staticmethod
    async def _parse_args(request: web.Request) -> tuple[JSON, str | None]:
        args: JSON = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as e:
                    raise _ApiError("invalid_json") from e
                if not isinstance(body, dict):
                    raise _ApiError("invalid_json")
                args.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    args[key] = value if isinstance(value, str) else str(value)
        for key in _JSON_STRING_FIELDS:
            raw = args.get(key)
            if isinstance(raw, str) and raw.lstrip()[:1] in ("{", "["):
                try:
                    args[key] = json.loads(raw)
                except ValueError as e:
                    raise _ApiError("invalid_arguments", messages=[f"bad JSON in {key}"]) from e
        token = args.pop("token", None)
        return args, (str(token) if token else None)

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        response_id = request.match_info["response_id"]
        target = self._response_targets.get(response_id)
        try:
            payload = await request.json()
        except ValueError:
            text = await request.text()
            payload = {"text": text}
        if not isinstance(payload, dict):
            payload = {"payload": payload}
        if target is None:
            status, body = 404, "no_service"
        elif target.uses >= _RESPONSE_URL_MAX_USES:
            status, body = 404, "used_url"
        elif self.files.block_problems(payload.get("blocks"), "/blocks"):
            status, body = 404, json.dumps({"ok": False, "error": "invalid_blocks"})
        else:
            target.uses += 1
            status, body = 200, "ok"
            self._apply_response_post(target, payload)
        self.responses.append(
            ResponsePost(
                response_id=response_id,
                payload=payload,
                channel=target.channel if target else None,
                message_ts=target.message_ts if target else None,
                status=status,
            )
        )
        self._notify()
        return web.Response(status=status, text=body)

    def _apply_response_post(self, target: _ResponseTarget, payload: JSON) -> None:
        channel, ts = target.channel, target.message_ts
        if channel is None:
            return
        if target.ephemeral and ts is not None and ts in self.ephemeral_messages:
            if payload.get("delete_original"):
                del self.ephemeral_messages[ts]
                return
            if payload.get("replace_original"):
                message = self.ephemeral_messages[ts]
                for key in ("text", "blocks", "attachments"):
                    message.pop(key, None)
                    if key in payload:
                        message[key] = payload[key]
                return
        if ts is not None and (channel, ts) in self.messages:
            if payload.get("delete_original"):
                del self.messages[(channel, ts)]
                return
            if payload.get("replace_original"):
                message = self.messages[(channel, ts)]
                for key in ("text", "blocks", "attachments"):
                    if key in payload:
                        message[key] = payload[key]
                return
        if payload.get("response_type") == "in_channel" and not payload.get("replace_original"):
            new_ts = self._next_ts()
            message = self._bot_message(payload, new_ts)
            if payload.get("thread_ts"):
                message["thread_ts"] = payload["thread_ts"]
            self.messages[(channel, new_ts)] = message
        elif target.user is not None and not payload.get("delete_original"):
            # what Slack does with an ephemeral post (the default response_type)
            ts = self._next_ts()
            message = self._bot_message(payload, ts)
            message.update({"channel": channel, "user": target.user, "is_ephemeral": True})
            self.ephemeral_messages[ts] = message

    # ------------------------------------------------------------------ helpers

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def _next_ts(self) -> str:
        self._ts_counter += 1
        micros = self._ts_counter * 100
        return f"{_BASE_TS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_hash(self) -> str:
        return f"{_BASE_TS + self._next()}.{secrets.token_hex(4)}"

    def _bot_message(self, args: JSON, ts: str) -> JSON:
        message: JSON = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": args.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        return message

    @staticmethod
    def _require(args: JSON, *names: str) -> None:
        missing = [n for n in names if not args.get(n)]
        if missing:
            raise _ApiError(
                "invalid_arguments",
                messages=[f"[ERROR] missing required field: {n}" for n in missing],
            )

    def _check_message_content(self, args: JSON, *, require_content: bool = True) -> None:
        if "blocks" in args and args["blocks"] not in (None, ""):
            problems = _block_problems(args["blocks"], limit=_MAX_MESSAGE_BLOCKS, pointer="/blocks")
            problems += self.files.block_problems(args["blocks"], "/blocks")
            if problems:
                raise _ApiError("invalid_blocks", messages=problems)
        if len(str(args.get("text") or "")) > _MAX_MESSAGE_TEXT:
            raise _ApiError("msg_too_long")
        if require_content and not (
            args.get("text") or args.get("blocks") or args.get("attachments")
        ):
            raise _ApiError("no_text")

    def _check_view(self, view: Any, *, expected_type: str | None = None) -> JSON:
        if not isinstance(view, dict):
            raise _ApiError("invalid_arguments", messages=["[ERROR] missing required field: view"])
        problems: list[str] = []
        kind = view.get("type")
        if kind not in ("modal", "home"):
            problems.append("[ERROR] must be one of modal, home [json-pointer:/view/type]")
        elif expected_type is not None and kind != expected_type:
            problems.append(f"[ERROR] must be {expected_type} [json-pointer:/view/type]")
        problems += _block_problems(
            view.get("blocks"), limit=_MAX_VIEW_BLOCKS, pointer="/view/blocks"
        )
        problems += self.files.block_problems(view.get("blocks"), "/view/blocks")
        if kind == "modal":
            title = _text_of(view.get("title"))
            if not title:
                problems.append("[ERROR] missing required field: title [json-pointer:/view/title]")
            for key in ("title", "submit", "close"):
                if len(_text_of(view.get(key))) > _MAX_VIEW_TITLE:
                    problems.append(
                        f"[ERROR] must be less than {_MAX_VIEW_TITLE + 1} characters "
                        f"[json-pointer:/view/{key}/text]"
                    )
            raw_blocks = view.get("blocks")
            blocks: list[Any] = raw_blocks if isinstance(raw_blocks, list) else []
            has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
            if has_input and not view.get("submit"):
                problems.append(
                    "[ERROR] submit is required when an input block is within the blocks "
                    "[json-pointer:/view/submit]"
                )
        if len(str(view.get("private_metadata") or "")) > _MAX_PRIVATE_METADATA:
            problems.append(
                "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]"
            )
        if len(str(view.get("callback_id") or "")) > _MAX_CALLBACK_ID:
            problems.append(
                "[ERROR] must be less than 256 characters [json-pointer:/view/callback_id]"
            )
        if problems:
            raise _ApiError("invalid_arguments", messages=problems)
        return view

    def _use_trigger(self, args: JSON) -> str | None:
        self._require(args, "trigger_id")
        trigger_id = str(args["trigger_id"])
        if trigger_id in self._exchanged_triggers:
            raise _ApiError("exchanged_trigger_id")
        self._exchanged_triggers.add(trigger_id)
        return self._triggers.get(trigger_id)

    def _materialize_view(self, spec: JSON, *, view_id: str | None = None) -> JSON:
        view_id = view_id or f"V{self._next():010d}"
        view: JSON = {
            "id": view_id,
            "team_id": self._caller_team(),
            "type": spec.get("type"),
            "blocks": copy.deepcopy(spec.get("blocks") or []),
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self._new_hash(),
            "title": copy.deepcopy(spec.get("title")),
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "close": copy.deepcopy(spec.get("close")),
            "submit": copy.deepcopy(spec.get("submit")),
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.app_id,
            "external_id": spec.get("external_id", ""),
            "app_installed_team_id": self._caller_team(),
            "bot_id": self.bot_id,
        }
        if view["type"] == "home":
            view["root_view_id"] = None
        return view

    def _replace_view(self, current: JSON, spec: JSON) -> JSON:
        new = self._materialize_view(spec, view_id=current["id"])
        new["previous_view_id"] = current.get("previous_view_id")
        new["root_view_id"] = current.get("root_view_id")
        if not spec.get("external_id"):
            new["external_id"] = current.get("external_id", "")
        # Slack keeps what the user typed in inputs whose block_id survives the update.
        kept = {b.get("block_id") for b in new["blocks"] if isinstance(b, dict)}
        old_values = (current.get("state") or {}).get("values") or {}
        new["state"] = {"values": {k: v for k, v in old_values.items() if k in kept}}
        self.views[current["id"]] = new
        return new

    def _push_view(self, under: JSON, spec: JSON) -> JSON:
        depth = 1
        cursor: JSON | None = under
        while cursor is not None and cursor.get("previous_view_id"):
            depth += 1
            cursor = self.views.get(cursor["previous_view_id"])
        if depth >= _VIEW_STACK_LIMIT:
            raise _ApiError("push_limit_reached")
        view = self._materialize_view(spec)
        if under["id"] in self.view_users:
            self.view_users[view["id"]] = self.view_users[under["id"]]
        view["previous_view_id"] = under["id"]
        view["root_view_id"] = under.get("root_view_id") or under["id"]
        self.views[view["id"]] = view
        return view

    def _find_view(self, args: JSON) -> JSON:
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if view_id:
            view = self.views.get(str(view_id))
        elif external_id:
            view = next(
                (v for v in self.views.values() if v.get("external_id") == external_id), None
            )
        else:
            raise _ApiError(
                "invalid_arguments", messages=["[ERROR] view_id or external_id is required"]
            )
        if view is None or view["id"] in self.closed_views:
            raise _ApiError("not_found")
        return view

    # ------------------------------------------------------------------ Web API methods

    # ------------------------------------------------------------- strict workspaces
    # A self-contained block: with ``strict_workspaces`` on (OAuth mode), the
    # stand-in is as strict as Slack about whose token a call carries. Only tokens
    # issued by an install are valid; a call without one is ``not_authed``, with an
    # unknown one ``invalid_auth``, with a revoked one ``token_revoked``; a token of
    # one workspace naming another workspace's channel, user, view or trigger gets
    # ``channel_not_found`` / ``user_not_found`` / ``not_found`` /
    # ``invalid_trigger_id``. Every such refusal is also kept in ``refusals``, for a
    # test to fail on the ones it did not ask for. Channels and users belong to the
    # stand-in's own ``team_id`` unless said otherwise (``place``).

    def _init_strictness(self) -> None:
        self.strict_workspaces = False
        #: every call refused by the strict checks (never an injected fault)
        self.refusals: list[Call] = []
        #: channel or user id -> the workspace it belongs to (default: ``team_id``)
        self.homes: dict[str, str] = {}
        #: workspace -> its Grid org, for the tokens of org-wide installs
        self.orgs: dict[str, str] = {}

    def install(
        self, team_id: str, *, enterprise_id: str | None = None, org_wide: bool = False
    ) -> str:
        """A bot token for ``team_id`` (or a Grid org) as an approved install would
        issue, without the browser's part of the dance."""
        code = self.issue_code(
            team_id, "UINSTALLER", enterprise_id=enterprise_id, org_wide=org_wide
        )
        if enterprise_id and not org_wide:
            self.orgs[team_id] = enterprise_id
        return str(self._oauth_v2_access({"code": code})["access_token"])

    def place(self, team_id: str, *ids: str) -> None:
        """Say that channels or users ``ids`` belong to workspace ``team_id``."""
        for one in ids:
            self.homes[one] = team_id

    def home_of(self, channel_or_user: str) -> str:
        """The workspace a channel or user id belongs to (a DM's, its user's)."""
        key = channel_or_user
        if key not in self.homes and key[:1] == "D":
            key = "U" + key[1:]
        found = self.homes.get(key)
        if found is None and key in self.users and self.users[key].get("team_id"):
            found = str(self.users[key]["team_id"])
        return found or self.team_id

    def _may_reach(self, token: str, team_id: str) -> bool:
        spec = self.installs[token]
        if spec["team_id"]:
            return bool(spec["team_id"] == team_id)
        return bool(spec["enterprise_id"]) and self.orgs.get(team_id) == spec["enterprise_id"]

    def _refuse(self, call: Call, error: str) -> None:
        call.response = {"ok": False, "error": error}
        self.refusals.append(call)
        raise _ApiError(error)

    def _check_strictly(self, method: str, call: Call) -> None:
        """Refuse ``call`` as Slack would refuse it with its token (see above)."""
        if method == "api.test":
            return
        token = call.token
        if not token:
            self._refuse(call, "not_authed")
        assert token is not None
        if token not in self.installs:
            self._refuse(call, "invalid_auth")
        if token not in self.valid_tokens:
            self._refuse(call, "token_revoked")
        args = call.args
        for key, error in (
            ("channel", "channel_not_found"),
            ("user", "user_not_found"),
            ("user_id", "user_not_found"),
        ):
            value = args.get(key)
            if isinstance(value, str) and value and not self._may_reach(token, self.home_of(value)):
                self._refuse(call, error)
        view_id = args.get("view_id")
        view = self.views.get(str(view_id)) if view_id else None
        if view is not None and not self._may_reach(token, str(view.get("team_id"))):
            self._refuse(call, "not_found")
        trigger_user = self._trigger_users.get(str(args.get("trigger_id") or ""))
        if trigger_user and not self._may_reach(token, self.home_of(trigger_user)):
            self._refuse(call, "invalid_trigger_id")

    # ------------------------------------------------------------- OAuth installs
    # A self-contained block: Slack's side of the v2 OAuth flow for many
    # workspaces. ``issue_code`` is what Slack does when a person approves the
    # install; ``oauth.v2.access`` exchanges the code (once) for a new bot token,
    # and ``auth.test`` answers per token with that token's own workspace.

    def issue_code(
        self,
        team_id: str,
        user_id: str,
        *,
        team_name: str | None = None,
        enterprise_id: str | None = None,
        org_wide: bool = False,
    ) -> str:
        """The code Slack would put on the redirect after ``user_id`` approves."""
        code = f"code-{secrets.token_hex(8)}"
        self._codes[code] = {
            "team_id": None if org_wide else team_id,
            "team_name": team_name or f"workspace {team_id}",
            "user_id": user_id,
            "enterprise_id": enterprise_id,
            "org_wide": org_wide,
        }
        return code

    def revoke(self, token: str) -> None:
        """The token stops working, as after an uninstall or a revocation."""
        self.valid_tokens.discard(token)

    def uninstall(self, team_id: str) -> list[str]:
        """What Slack does when a workspace (or Grid org) removes the app: every
        token issued to it stops working. The ``app_uninstalled`` event that
        follows is the sender's to deliver; the revoked tokens are returned."""
        gone = [
            token
            for token, spec in self.installs.items()
            if team_id in (spec["team_id"], spec["enterprise_id"]) and token in self.valid_tokens
        ]
        for token in gone:
            self.revoke(token)
        return gone

    def token_of(self, team_id: str) -> str:
        """The latest bot token issued to ``team_id`` (or a Grid org)."""
        found = [
            t for t, w in self.installs.items() if team_id in (w["team_id"], w["enterprise_id"])
        ]
        assert found, f"no install for {team_id}"
        return found[-1]

    def _oauth_v2_access(self, args: JSON) -> JSON:
        if str(args.get("client_id", self.client_id)) != self.client_id:
            raise _ApiError("invalid_client_id")
        spec = self._codes.pop(str(args.get("code") or ""), None)
        if spec is None:
            raise _ApiError("invalid_code")
        n = self._next()
        token = f"xoxb-{n}-{secrets.token_hex(12)}"
        self.valid_tokens.add(token)
        self.installs[token] = {**spec, "bot_user_id": f"U0BOT{n}", "bot_id": f"B0BOT{n}"}
        enterprise = spec["enterprise_id"]
        return {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": spec["user_id"]},
            "scope": self.scopes,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": f"U0BOT{n}",
            "team": {"id": spec["team_id"], "name": spec["team_name"]} if spec["team_id"] else None,
            "enterprise": {"id": enterprise, "name": f"org {enterprise}"} if enterprise else None,
            "is_enterprise_install": spec["org_wide"],
        }

    def _caller_team(self) -> str:
        """The workspace of the token making the current call (views carry it)."""
        spec = self.installs.get(self._caller or "")
        return str(spec.get("team_id") or self.team_id) if spec else self.team_id

    def _install_auth_test(self, token: str) -> JSON:
        if token not in self.valid_tokens:
            raise _ApiError("token_revoked")
        spec = self.installs[token]
        return {
            "ok": True,
            "url": "https://workspace.slack.com/",
            "team": spec["team_name"],
            "user": "vpsbot",
            "team_id": spec["team_id"],
            "user_id": spec["bot_user_id"],
            "bot_id": spec["bot_id"],
            "enterprise_id": spec["enterprise_id"],
            "is_enterprise_install": spec["org_wide"],
        }

    def _api_test(self, args: JSON) -> JSON:
        return {"ok": True, "args": args}

    def _apps_connections_open(self, args: JSON) -> JSON:
        if self.socket_url is None:
            raise _ApiError("not_allowed_token_type")
        return {"ok": True, "url": self.socket_url}

    def _auth_test(self, args: JSON) -> JSON:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "vpsbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "enterprise_id": self.enterprise_id,
            "is_enterprise_install": False,
        }

    def _views_open(self, args: JSON) -> JSON:
        self._use_trigger(args)
        spec = self._check_view(args.get("view"), expected_type="modal")
        user = self._trigger_users.get(str(args["trigger_id"]))
        view = self._materialize_view(spec)
        if user is not None:
            if self.one_modal_stack_per_user:
                for other in self.open_modals(user):
                    self.closed_views.add(other["id"])
            self.view_users[view["id"]] = user
        self.views[view["id"]] = view
        return {"ok": True, "view": copy.deepcopy(view)}

    def _views_push(self, args: JSON) -> JSON:
        from_view = self._use_trigger(args)
        spec = self._check_view(args.get("view"), expected_type="modal")
        under = self.views.get(from_view) if from_view else None
        if under is not None and under.get("type") == "modal" and self.is_open(under["id"]):
            view = self._push_view(under, spec)
        else:
            view = self._materialize_view(spec)
            self.views[view["id"]] = view
        return {"ok": True, "view": copy.deepcopy(view)}

    def _views_update(self, args: JSON) -> JSON:
        spec = self._check_view(args.get("view"))
        current = self._find_view(args)
        expected = args.get("hash")
        if expected and expected != current.get("hash"):
            raise _ApiError("hash_conflict")
        view = self._replace_view(current, spec)
        return {"ok": True, "view": copy.deepcopy(view)}

    def _views_publish(self, args: JSON) -> JSON:
        self._require(args, "user_id")
        spec = self._check_view(args.get("view"), expected_type="home")
        user_id = str(args["user_id"])
        existing_id = self.home_views.get(user_id)
        if existing_id is not None:
            current = self.views[existing_id]
            expected = args.get("hash")
            if expected and expected != current.get("hash"):
                raise _ApiError("hash_conflict")
            view = self._replace_view(current, spec)
        else:
            view = self._materialize_view(spec)
            self.views[view["id"]] = view
            self.home_views[user_id] = view["id"]
        return {"ok": True, "view": copy.deepcopy(view)}

    def _resolve_channel(self, channel: str) -> str:
        # Posting to a user ID posts into the DM with the bot; Slack answers with the D... ID.
        if channel[:1] in ("U", "W"):
            return "D" + channel[1:]
        return channel

    def _chat_post_message(self, args: JSON) -> JSON:
        self._require(args, "channel")
        self._check_message_content(args)
        channel = self._resolve_channel(str(args["channel"]))
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        thread_ts = args.get("thread_ts")
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
            parent = self.messages.get((channel, str(thread_ts)))
            if parent is not None:
                parent["thread_ts"] = parent["ts"]
                parent["reply_count"] = int(parent.get("reply_count", 0)) + 1
                parent["latest_reply"] = ts
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _chat_update(self, args: JSON) -> JSON:
        self._require(args, "channel", "ts")
        self._check_message_content(args, require_content=False)
        channel = self._resolve_channel(str(args["channel"]))
        ts = str(args["ts"])
        message = self.messages.get((channel, ts))
        if message is None:
            raise _ApiError("message_not_found")
        if message.get("bot_id") != self.bot_id:
            raise _ApiError("cant_update_message")
        if not any(key in args for key in ("text", "blocks", "attachments")):
            raise _ApiError("no_text")
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": copy.deepcopy(message),
        }

    def _chat_post_ephemeral(self, args: JSON) -> JSON:
        self._require(args, "channel", "user")
        self._check_message_content(args)
        self.ephemerals.append(copy.deepcopy(args))
        channel = self._resolve_channel(str(args["channel"]))
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        message.update({"channel": channel, "user": str(args["user"]), "is_ephemeral": True})
        self.ephemeral_messages[ts] = message
        return {"ok": True, "message_ts": ts}

    def _usergroups_users_list(self, args: JSON) -> JSON:
        self._require(args, "usergroup")
        members = self.usergroups.get(str(args["usergroup"]))
        if members is None:
            raise _ApiError("no_such_subteam")
        return {"ok": True, "users": list(members)}

    def _users_info(self, args: JSON) -> JSON:
        self._require(args, "user")
        user_id = str(args["user"])
        stored = self.users.get(user_id)
        if stored is None:
            raise _ApiError("user_not_found")
        name = str(stored.get("name", user_id.lower()))
        user: JSON = {
            "id": user_id,
            "team_id": self._caller_team(),  # a member of the asking workspace, unless stored
            "name": name,
            "real_name": name,
            "deleted": False,
            "tz": "UTC",
            "tz_label": "Coordinated Universal Time",
            "tz_offset": 0,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": False,
            "is_app_user": False,
            "profile": {"real_name": name, "display_name": name},
        }
        user.update(copy.deepcopy(stored))
        return {"ok": True, "user": user}

    def _conversations_info(self, args: JSON) -> JSON:
        self._require(args, "channel")
        channel_id = str(args["channel"])
        stored = self.channels.get(channel_id)
        if stored is None:
            raise _ApiError("channel_not_found")
        channel: JSON = {
            "id": channel_id,
            "name": channel_id.lower(),
            "is_channel": channel_id.startswith("C"),
            "is_group": channel_id.startswith("G"),
            "is_im": channel_id.startswith("D"),
            "is_private": False,
            "is_archived": False,
            "is_member": True,
            "context_team_id": self.team_id,
        }
        channel.update(copy.deepcopy(stored))
        return {"ok": True, "channel": channel}
