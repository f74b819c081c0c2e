"""The Slack stand-in's server: one aiohttp app on 127.0.0.1 answering ``/api/{method}``.

:class:`SlackStandIn` is composed of one mixin per concern (the view stack, messages, the
directory, OAuth and workspace strictness, faults, recording); this module owns only the
process side: starting and stopping, parsing a Web API request as Slack does (query, form
or JSON body; JSON-encoded fields; bearer or body token), checking its token, and routing
it to the method's handler.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from aiohttp import web

from ..files import SlackFiles
from ..usergroups import usergroups_list
from .chat import ChatMessages
from .directory import Directory
from .faults import FaultInjection
from .oauth import WorkspaceStrictness
from .recording import CallRecording
from .records import JSON, ApiError, Call
from .views import ViewStack

__all__ = ["SlackStandIn"]

# Fields Slack accepts as JSON-encoded strings in form-encoded requests.
_JSON_STRING_FIELDS = ("view", "blocks", "attachments", "metadata", "unfurls")


class SlackStandIn(
    WorkspaceStrictness, ViewStack, ChatMessages, Directory, FaultInjection, CallRecording
):
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
        self.valid_tokens = {bot_token}
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.enterprise_id = enterprise_id
        self.scopes = scopes
        self._init_core()
        self._init_views()
        self._init_chat()
        self._init_directory()
        self._init_faults()
        self._init_oauth()
        self._init_strictness()
        self._runner: web.AppRunner | None = None
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
            "oauth.v2.access": self._oauth_v2_access,
        }
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
        return ApiError(error)

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
        except ApiError as e:
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
        # The answer is encoded once, here, before any delay: it is the state as of this
        # call, and the call records that text, so its response shares nothing with the
        # stand-in's state (a handler may answer with the views or messages it keeps).
        # A 5xx answers an HTML page; its recorded response is the error just made.
        body = json.dumps(response) if status < 500 else None
        call.answer(status, body, response)
        self.calls.append(call)
        self._notify()
        delay = self.delays.get(method)
        if delay:
            await asyncio.sleep(delay)
        if body is None:
            return self._html_error(status, headers)
        return web.json_response(text=body, status=status, headers=headers)

    def _dispatch(self, method: str, call: Call) -> JSON:
        handler = self._handlers.get(method)
        if handler is None:
            raise ApiError("unknown_method")
        if method == "oauth.v2.access":
            return self._oauth_v2_access(call.args)
        if method == "auth.test" and call.token in self.installs:
            return self._install_auth_test(call.token)
        if self.strict_workspaces:
            self._check_strictly(method, call)
        elif method != "api.test":
            if not call.token:
                raise ApiError("invalid_auth")  # Slack itself says "not_authed" here
            if call.token not in self.valid_tokens:
                raise ApiError("invalid_auth")
        self._raise_fault(method)
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
                    raise ApiError("invalid_json") from e
                if not isinstance(body, dict):
                    raise ApiError("invalid_json")
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
                    raise ApiError("invalid_arguments", messages=[f"bad JSON in {key}"]) from e
        token = args.pop("token", None)
        return args, (str(token) if token else None)
