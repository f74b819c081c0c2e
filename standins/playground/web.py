"""The playground's web server: a Slack-like page, its JSON API, and the Slack Web API stand-in.

One aiohttp app on loopback serves three things:

- ``/`` and ``/static/`` — the page (plain HTML, one vanilla JS file rendering Block Kit);
- ``/_playground/...`` — what the page calls: the current channel, ephemeral messages and
  modal stack (long-polled), and the user's doings (a slash command, a block action, a
  submission, an options query, closing a modal), each of which this server turns into the
  signed request Slack would send to vpsbot's ``/slack/events``;
- ``/api/{method}`` and ``/response/{id}`` — the Slack Web API stand-in vpsbot calls
  (``SLACK_API_URL``), whose state the page shows.

Longer than 400 lines on purpose: each route of the page's API is a short translation of
a click into the request Slack would send, and they share one session's state.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from .slack_api import SlackStandIn
from .slack_client import AckTimeout, SlackSender
from .view_acks import SlackRefusedAck

__all__ = [
    "CHANNEL_ID",
    "CHANNEL_NAME",
    "USERS",
    "Playground",
    "PlaygroundError",
    "PlaygroundUser",
    "is_loopback",
]

log = logging.getLogger(__name__)

JSON = dict[str, Any]

STATIC = Path(__file__).with_name("static")
TEAM_ID = "T0PLAYGRND"
TEAM_DOMAIN = "vpsbot-playground"
CHANNEL_ID = "C0PLAYGRND"
CHANNEL_NAME = "vps-playground"
#: the app's Home tab, listed with the channels (not a channel: it holds one view)
HOME_ID = "HOME"
COMMAND = "/vps"
#: How long the page's long poll waits for a change before answering anyway.
POLL_SECONDS = 20.0


class PlaygroundError(Exception):
    """The playground cannot start as asked; the message is one line for the user."""


@dataclass(frozen=True)
class PlaygroundUser:
    """A person in the playground's workspace."""

    id: str
    name: str
    admin: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} (admin)" if self.admin else self.name


USERS = (
    PlaygroundUser("U0ADA00001", "Ada", admin=True),
    PlaygroundUser("U0BEN00002", "Ben"),
    PlaygroundUser("U0CLEO0003", "Cleo"),
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _BadRequest(Exception):
    pass


def _str(body: JSON, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise _BadRequest(f"{key} is required")
    return value


def _dict(body: JSON, key: str) -> JSON:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


class Playground:
    """The playground: the page, its API and the Slack stand-in, on ``127.0.0.1:port``.

    ``events_url`` is vpsbot's ``/slack/events``; every request to it is signed with
    ``signing_secret``, and vpsbot must call this stand-in with ``bot_token``.
    """

    def __init__(
        self,
        events_url: str,
        *,
        signing_secret: str | None = None,
        bot_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not is_loopback(host):
            raise PlaygroundError(
                f"the playground binds loopback only (127.0.0.1), not {host!r}: "
                "it signs requests as Slack, so it must not be reachable from elsewhere"
            )
        self.events_url = events_url
        self.signing_secret = signing_secret or secrets.token_hex(32)
        self.bot_token = bot_token or f"xoxb-playground-{secrets.token_hex(16)}"
        self.port = port
        self.api = SlackStandIn(
            bot_token=self.bot_token,
            team_id=TEAM_ID,
            bot_user_id="U0VPSBOT01",
            team_domain=TEAM_DOMAIN,
            team_name="vpsbot playground",
        )
        self.api.one_modal_stack_per_user = True
        for user in USERS:
            self.api.users[user.id] = {
                "name": user.name.lower(),
                "real_name": user.name,
                "is_admin": user.admin,
                "profile": {"real_name": user.name, "display_name": user.name},
            }
        self.api.channels[CHANNEL_ID] = {"name": CHANNEL_NAME, "is_member": True}
        for user in USERS:  # each person's DM with vpsbot
            self.api.channels["D" + user.id[1:]] = {"name": user.id, "is_im": True, "user": user.id}
        # per view: (hash it was shown for, what to show) — gone once the view changes
        self._errors: dict[str, tuple[str, JSON]] = {}
        self._notices: dict[str, tuple[str, str]] = {}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> Playground:
        try:
            await self.api.start(port=self.port, setup=self._add_routes)
        except OSError as exc:
            raise PlaygroundError(
                f"the playground cannot listen on 127.0.0.1:{self.port} ({exc.strerror}); "
                "set VPSBOT_PLAYGROUND_PORT to a free port"
            ) from None
        self.port = self.api.port
        return self

    async def stop(self) -> None:
        await self.api.stop()

    async def __aenter__(self) -> Playground:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The page (known before :meth:`start` when the port is)."""
        if self.port == 0:
            return f"{self.api.root_url}/"  # raises until started
        return f"http://127.0.0.1:{self.port}/"

    @property
    def api_url(self) -> str:
        """``SLACK_API_URL`` for vpsbot (known before :meth:`start` when the port is)."""
        if self.port == 0:
            return self.api.base_url  # raises until started
        return f"http://127.0.0.1:{self.port}/api/"

    def _add_routes(self, app: web.Application) -> None:
        app.middlewares.append(self._only_this_machine)
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC, show_index=False)
        app.router.add_get("/_playground/info", self._info)
        app.router.add_get("/_playground/state", self._state)
        app.router.add_post("/_playground/command", self._command)
        app.router.add_post("/_playground/action", self._action)
        app.router.add_post("/_playground/options", self._options)
        app.router.add_post("/_playground/submit", self._submit)
        app.router.add_post("/_playground/close", self._close)
        app.router.add_post("/_playground/dismiss", self._dismiss)
        app.router.add_post("/_playground/home", self._home)

    # ------------------------------------------------------------------ helpers

    @web.middleware
    async def _only_this_machine(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Answer only requests meant for this loopback server.

        The Host must name loopback (a DNS-rebinding page would send its own name), and the
        page's API takes only JSON from no other origin, so another web page open in the same
        browser can neither read the channel nor click for the person.
        """
        host = request.headers.get("Host", "")
        if not is_loopback(request.url.host or ""):
            return web.json_response({"error": "loopback only"}, status=403)
        if request.path.startswith("/_playground/"):
            origin = request.headers.get("Origin")
            if origin is not None and origin != f"http://{host}":
                return web.json_response({"error": "not from the playground page"}, status=403)
            if request.method == "POST" and request.content_type != "application/json":
                return web.json_response({"error": "expected application/json"}, status=415)
        response: web.StreamResponse = await handler(request)
        return response

    def _user(self, body: JSON) -> PlaygroundUser:
        user_id = body.get("user")
        for user in USERS:
            if user.id == user_id:
                return user
        raise _BadRequest("user must be one of the playground's people")

    def _channels(self, user: PlaygroundUser) -> list[JSON]:
        return [
            {"id": CHANNEL_ID, "name": CHANNEL_NAME, "kind": "channel"},
            {"id": "D" + user.id[1:], "name": "vpsbot", "kind": "im"},
            {"id": HOME_ID, "name": "vpsbot", "kind": "home"},
        ]

    def _sender(self, user: PlaygroundUser, channel: str) -> SlackSender:
        if channel == HOME_ID:  # what happens on the Home tab comes from the app's DM
            channel = "D" + user.id[1:]
        name = next((c["name"] for c in self._channels(user) if c["id"] == channel), None)
        if name is None:
            raise _BadRequest("no such channel")
        return SlackSender(
            self.events_url,
            self.signing_secret,
            team_id=TEAM_ID,
            team_domain=TEAM_DOMAIN,
            user_id=user.id,
            user_name=user.name.lower(),
            channel_id=channel,
            channel_name=str(name) if channel.startswith("C") else "directmessage",
            api_app_id=self.api.app_id,
            api=self.api,
            ack_timeout=3.0,
        )

    def _slackbot_says(self, channel: str, user: str, text: str) -> None:
        ts = self.api.add_ephemeral(channel, user, {"text": text})
        message = self.api.ephemeral_messages[ts]
        message.update({"bot_id": None, "app_id": None, "slackbot": True})

    def _trouble(self, view_id: str, text: str) -> None:
        view = self.api.views.get(view_id)
        if view is not None:
            self._notices[view_id] = (str(view.get("hash")), text)
            self.api.touch()

    # ------------------------------------------------------------------ handlers

    async def _index(self, _: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def _info(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "team": {"id": TEAM_ID, "name": self.api.team_name},
                "bot": {"id": self.api.bot_user_id, "name": "vpsbot"},
                "command": COMMAND,
                "channel": CHANNEL_ID,
                "users": [
                    {"id": u.id, "name": u.name, "label": u.label, "admin": u.admin} for u in USERS
                ],
            }
        )

    async def _state(self, request: web.Request) -> web.Response:
        try:
            user = self._user(dict(request.query))
            after = int(request.query.get("after", "-1"))
        except (_BadRequest, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        channel = request.query.get("channel") or CHANNEL_ID
        if after >= 0:
            await self.api.wait_changed(after, POLL_SECONDS)
        return web.json_response(self.snapshot(user, channel))

    def snapshot(self, user: PlaygroundUser, channel: str) -> JSON:
        """What ``user`` sees in ``channel`` now: messages, ephemerals, their top modal."""
        names = {u.id: u.name for u in USERS}
        names[self.api.bot_user_id] = "vpsbot"
        messages = sorted(
            (dict(m, channel=ch) for (ch, _), m in self.api.messages.items() if ch == channel),
            key=lambda m: float(m["ts"]),
        )
        ephemerals = sorted(
            (
                m
                for m in self.api.ephemeral_messages.values()
                if m.get("channel") == channel and m.get("user") == user.id
            ),
            key=lambda m: float(m["ts"]),
        )
        home: JSON | None = None
        if channel == HOME_ID:
            home_id = self.api.home_views.get(user.id)
            home = self.api.views.get(home_id) if home_id else None
        modal: JSON | None = None
        stack = self.api.open_modals(user.id)
        if stack:
            top = stack[-1]
            previous = top.get("previous_view_id")
            view_hash = str(top.get("hash"))
            errors = self._errors.get(top["id"])
            notice = self._notices.get(top["id"])
            modal = {
                "view": top,
                "can_go_back": bool(previous and self.api.is_open(previous)),
                "errors": errors[1] if errors and errors[0] == view_hash else {},
                "notice": notice[1] if notice and notice[0] == view_hash else None,
            }
        return {
            "version": self.api.version,
            "user": user.id,
            "channel": channel,
            "channels": self._channels(user),
            "names": names,
            "messages": messages,
            "ephemerals": ephemerals,
            "modal": modal,
            "home": home,
        }

    async def _body(self, request: web.Request) -> JSON:
        try:
            body = await request.json()
        except ValueError:
            raise _BadRequest("expected a JSON body") from None
        if not isinstance(body, dict):
            raise _BadRequest("expected a JSON object")
        return body

    async def _guarded(self, request: web.Request, kind: str) -> web.Response:
        try:
            body = await self._body(request)
            handler = getattr(self, f"_do_{kind}")
            result: JSON = await handler(body)
        except _BadRequest as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except (AckTimeout, aiohttp.ClientError, TimeoutError) as exc:
            log.info("vpsbot did not answer the %s: %s", kind, type(exc).__name__)
            return web.json_response({"ok": False, "status": None, "error": "operation_timeout"})
        return web.json_response(result)

    async def _command(self, request: web.Request) -> web.Response:
        return await self._guarded(request, "command")

    async def _action(self, request: web.Request) -> web.Response:
        return await self._guarded(request, "action")

    async def _options(self, request: web.Request) -> web.Response:
        return await self._guarded(request, "options")

    async def _submit(self, request: web.Request) -> web.Response:
        return await self._guarded(request, "submit")

    async def _close(self, request: web.Request) -> web.Response:
        return await self._guarded(request, "close")

    async def _dismiss(self, request: web.Request) -> web.Response:
        return await self._guarded(request, "dismiss")

    async def _home(self, request: web.Request) -> web.Response:
        return await self._guarded(request, "home")

    # ------------------------------------------------------------------ what the page does

    async def _do_command(self, body: JSON) -> JSON:
        """The message box: ``/vps …`` is the slash command, anything else a message."""
        user = self._user(body)
        channel = str(body.get("channel") or CHANNEL_ID)
        sender = self._sender(user, channel)
        text = str(body.get("text") or "").strip()
        if not text:
            raise _BadRequest("type a message or /vps …")
        if not text.startswith("/"):
            self.api.seed_message(channel, text, user=user.id)
            self.api.touch()
            return {"ok": True}
        command, _, rest = text.partition(" ")
        if command != COMMAND:
            self._slackbot_says(channel, user.id, f"`{command}` is not a valid command.")
            return {"ok": False, "error": "invalid_command"}
        try:
            response = await sender.command(COMMAND, rest.strip())
        except AckTimeout:
            self._slackbot_says(
                channel, user.id, f'{COMMAND} failed with the error "operation_timeout"'
            )
            return {"ok": False, "status": None, "error": "operation_timeout"}
        if response.status != 200:
            self._slackbot_says(
                channel, user.id, f'{COMMAND} failed with the error "dispatch_failed"'
            )
            return {"ok": False, "status": response.status, "error": "dispatch_failed"}
        ack = response.data if response.is_json else {}
        if not response.is_json and response.body.strip():
            ack = {"text": response.body}
        if ack.get("text") or ack.get("blocks"):
            if ack.get("response_type") == "in_channel":
                self.api.seed_message(
                    channel,
                    str(ack.get("text", "")),
                    user=self.api.bot_user_id,
                    blocks=ack.get("blocks"),
                )
                self.api.touch()
            else:
                self.api.add_ephemeral(channel, user.id, ack)
        return {"ok": True, "status": response.status}

    def _remember_state(self, view_id: str, state: JSON) -> None:
        view = self.api.views.get(view_id)
        if view is not None:
            view["state"] = {"values": state}

    async def _do_action(self, body: JSON) -> JSON:
        """A button, select, overflow, checkbox … in a message, an ephemeral or a modal."""
        user = self._user(body)
        channel = str(body.get("channel") or CHANNEL_ID)
        sender = self._sender(user, channel)
        action = dict(_dict(body, "action"))
        action_id = _str(action, "action_id")
        block_id = str(action.pop("block_id", "") or "")
        kind = str(action.pop("type", "") or "button")
        value = action.pop("value", None)
        selected_option = action.pop("selected_option", None)
        selected_options = action.pop("selected_options", None)
        action.pop("action_id")
        state = _dict(body, "state")
        view_id = body.get("view_id")
        kwargs: dict[str, Any] = {
            "block_id": block_id,
            "action_type": kind,
            "state_values": state,
            "extra": action,
        }
        if isinstance(selected_options, list):
            kwargs["selected_options"] = selected_options
        elif isinstance(selected_option, dict):
            kwargs["selected_option"] = selected_option
        if isinstance(view_id, str) and view_id:
            mine = self.api.view_users.get(view_id) == user.id
            if not self.api.is_open(view_id) or not (mine or self._home_of(user) == view_id):
                raise _BadRequest("that modal is closed")
            self._remember_state(view_id, state)
            kwargs["view"] = view_id
        else:
            ts = _str(body, "message_ts")
            if body.get("ephemeral"):
                if ts not in self.api.ephemeral_messages:
                    raise _BadRequest("that message is gone")
                kwargs["container"] = {
                    "type": "message",
                    "message_ts": ts,
                    "channel_id": channel,
                    "is_ephemeral": True,
                }
            else:
                if (channel, ts) not in self.api.messages:
                    raise _BadRequest("that message is gone")
                kwargs["message"] = ts
        response = await sender.block_action(
            action_id, value if isinstance(value, str) else None, **kwargs
        )
        ok = response.status == 200
        if not ok and isinstance(view_id, str):
            self._trouble(view_id, "We had some trouble connecting. Try again?")
        return {"ok": ok, "status": response.status}

    async def _do_options(self, body: JSON) -> JSON:
        """An external select asks for options as the user types."""
        user = self._user(body)
        channel = str(body.get("channel") or CHANNEL_ID)
        sender = self._sender(user, channel)
        view_id = body.get("view_id")
        kwargs: dict[str, Any] = {"block_id": str(body.get("block_id") or "")}
        if isinstance(view_id, str) and view_id:
            if view_id not in self.api.views:
                raise _BadRequest("that modal is closed")
            self._remember_state(view_id, _dict(body, "state"))
            kwargs["view"] = view_id
        elif isinstance(body.get("message_ts"), str) and not body.get("ephemeral"):
            kwargs["message"] = body["message_ts"]
        response = await sender.block_suggestion(
            _str(body, "action_id"), str(body.get("value") or ""), **kwargs
        )
        if response.status != 200 or not response.is_json:
            return {"ok": False, "status": response.status, "options": []}
        data = response.data
        return {
            "ok": True,
            "options": data.get("options") or [],
            "option_groups": data.get("option_groups") or [],
        }

    async def _do_submit(self, body: JSON) -> JSON:
        """Submit on the top modal; the ack closes, updates, pushes or shows errors."""
        user = self._user(body)
        view_id = _str(body, "view_id")
        if not self.api.is_open(view_id) or self.api.view_users.get(view_id) != user.id:
            raise _BadRequest("that modal is closed")
        channel = str(body.get("channel") or CHANNEL_ID)
        sender = self._sender(user, channel)
        state = _dict(body, "state")
        self._remember_state(view_id, state)
        self._errors.pop(view_id, None)
        self._notices.pop(view_id, None)
        try:
            response = await sender.view_submission(view_id, state)
        except AckTimeout:
            self._trouble(view_id, "We had some trouble connecting. Try again?")
            return {"ok": False, "status": None, "error": "operation_timeout"}
        except SlackRefusedAck:
            log.warning("Slack would refuse the app's answer to a submission", exc_info=True)
            self._trouble(view_id, "We had some trouble connecting. Try again?")
            return {"ok": False, "status": 200, "error": "invalid_response"}
        if response.status != 200:
            self._trouble(view_id, "We had some trouble connecting. Try again?")
            return {"ok": False, "status": response.status}
        ack = response.data if response.is_json else {}
        errors = ack.get("errors") if ack.get("response_action") == "errors" else None
        if isinstance(errors, dict):
            view = self.api.views[view_id]
            self._errors[view_id] = (str(view.get("hash")), errors)
        self.api.touch()
        return {"ok": True, "status": 200, "response_action": ack.get("response_action")}

    async def _do_close(self, body: JSON) -> JSON:
        """Close (the whole stack) or Back (the top view only), as Slack's buttons do."""
        user = self._user(body)
        view_id = _str(body, "view_id")
        view = self.api.views.get(view_id)
        if view is None or self.api.view_users.get(view_id) != user.id:
            raise _BadRequest("that modal is closed")
        back = bool(body.get("back"))
        channel = str(body.get("channel") or CHANNEL_ID)
        if view.get("notify_on_close"):
            sender = self._sender(user, channel)
            await sender.view_closed(view_id, is_cleared=not back)
        else:
            self.api.close_view(view_id, whole_stack=not back)
        self.api.touch()
        return {"ok": True}

    def _home_of(self, user: PlaygroundUser) -> str | None:
        return self.api.home_views.get(user.id)

    async def _do_home(self, body: JSON) -> JSON:
        """The person opened the app's Home tab: Slack sends ``app_home_opened``."""
        user = self._user(body)
        response = await self._sender(user, HOME_ID).app_home_opened()
        return {"ok": response.status == 200, "status": response.status}

    async def _do_dismiss(self, body: JSON) -> JSON:
        user = self._user(body)
        ts = _str(body, "message_ts")
        message = self.api.ephemeral_messages.get(ts)
        if message is None or message.get("user") != user.id:
            raise _BadRequest("that message is gone")
        self.api.dismiss_ephemeral(ts)
        return {"ok": True}
