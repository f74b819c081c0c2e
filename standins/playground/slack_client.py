"""Send the Bolt app signed requests exactly like Slack does.

``SlackSender`` posts slash commands, interactivity payloads (block actions, view submissions,
options loads, view closed, shortcuts) and Events API callbacks to the app's request URL,
form-encoded (events: JSON), signed with ``v0`` HMAC-SHA256 of ``v0:{timestamp}:{body}``.

Given a :class:`~standins.playground.slack_api.SlackStandIn`, each request carries a response_url
served by the stand-in, trigger_ids the stand-in knows, and views/messages as the stand-in
currently holds them (pass a view_id or message ts instead of a dict).

Longer than 400 lines on purpose: one method per kind of Slack request, each a small
faithful copy of a payload Slack sends; they share the signing and the stand-in lookups.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from .slack_api import SlackStandIn
from .view_acks import check_view_submission_ack

__all__ = [
    "AckTimeout",
    "Response",
    "SlackSender",
    "sign",
    "state_value",
]

JSON = dict[str, Any]

VERIFICATION_TOKEN = "legacy-verification-token"
_ids = itertools.count(1)


class AckTimeout(AssertionError):
    """The app did not answer within Slack's 3 second acknowledgement window."""


def sign(signing_secret: str, body: str, timestamp: int | str) -> str:
    """The ``X-Slack-Signature`` value Slack sends for ``body`` at ``timestamp``."""
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return f"v0={digest}"


@dataclass(frozen=True)
class Response:
    """What the app answered."""

    status: int
    headers: Mapping[str, str]
    body: str
    elapsed: float = 0.0

    @property
    def text(self) -> str:
        return self.body

    @property
    def is_json(self) -> bool:
        return self.body.lstrip()[:1] in ("{", "[")

    def json(self) -> Any:
        """The body decoded as JSON (raises ValueError when it is not JSON)."""
        return json.loads(self.body)

    @property
    def data(self) -> JSON:
        """The JSON body as a dict; ``{}`` for Bolt's empty ack."""
        if not self.body.strip():
            return {}
        decoded = self.json()
        if not isinstance(decoded, dict):
            raise ValueError(f"expected a JSON object, got {self.body!r}")
        return decoded


def _text(text: str) -> JSON:
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(value: str | JSON, text: str | None = None) -> JSON:
    if isinstance(value, dict):
        return value
    return {"text": _text(text if text is not None else value), "value": value}


class state_value:  # lower-case: used like a namespace, state_value.plain_text("x")
    """Builders for ``view.state.values[block_id][action_id]`` entries, as Slack sends them."""

    @staticmethod
    def plain_text(value: str | None) -> JSON:
        return {"type": "plain_text_input", "value": value}

    @staticmethod
    def number(value: str | None) -> JSON:
        return {"type": "number_input", "value": value}

    @staticmethod
    def static_select(value: str | JSON | None, text: str | None = None) -> JSON:
        selected = None if value is None else _option(value, text)
        return {"type": "static_select", "selected_option": selected}

    @staticmethod
    def external_select(value: str | JSON | None, text: str | None = None) -> JSON:
        selected = None if value is None else _option(value, text)
        return {"type": "external_select", "selected_option": selected}

    @staticmethod
    def multi_static_select(values: Sequence[str | JSON]) -> JSON:
        return {"type": "multi_static_select", "selected_options": [_option(v) for v in values]}

    @staticmethod
    def multi_external_select(values: Sequence[str | JSON]) -> JSON:
        return {"type": "multi_external_select", "selected_options": [_option(v) for v in values]}

    @staticmethod
    def checkboxes(values: Sequence[str | JSON]) -> JSON:
        return {"type": "checkboxes", "selected_options": [_option(v) for v in values]}

    @staticmethod
    def radio(value: str | JSON | None, text: str | None = None) -> JSON:
        selected = None if value is None else _option(value, text)
        return {"type": "radio_buttons", "selected_option": selected}

    @staticmethod
    def users_select(user_id: str | None) -> JSON:
        return {"type": "users_select", "selected_user": user_id}

    @staticmethod
    def conversations_select(conversation_id: str | None) -> JSON:
        return {"type": "conversations_select", "selected_conversation": conversation_id}

    @staticmethod
    def channels_select(channel_id: str | None) -> JSON:
        return {"type": "channels_select", "selected_channel": channel_id}

    @staticmethod
    def datepicker(date: str | None) -> JSON:
        return {"type": "datepicker", "selected_date": date}


# Short aliases, so tests can `from standins.playground.slack_client import plain_text, ...`.
plain_text = state_value.plain_text
static_select = state_value.static_select
external_select = state_value.external_select
multi_static_select = state_value.multi_static_select
checkboxes = state_value.checkboxes
radio = state_value.radio


class SlackSender:
    """Posts signed requests to a Bolt app's request URL like Slack does."""

    def __init__(
        self,
        url: str,
        signing_secret: str,
        *,
        team_id: str = "T0001",
        team_domain: str = "vpsbot-test",
        user_id: str = "U0001",
        user_name: str | None = None,
        channel_id: str = "C0001",
        channel_name: str = "general",
        api_app_id: str = "A0001",
        enterprise_id: str | None = None,
        api: SlackStandIn | None = None,
        ack_timeout: float | None = 3.0,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.team_domain = team_domain
        self.user_id = user_id
        self.user_name = user_name or f"user-{user_id.lower()}"
        self.channel_id = channel_id
        self.channel_name = channel_name
        self.api_app_id = api_app_id
        self.enterprise_id = enterprise_id
        self.api = api
        self.ack_timeout = ack_timeout
        self.retry_num = retry_num
        self.retry_reason = retry_reason
        #: an org-wide (Enterprise Grid) install: payloads say so, as Slack's do
        self.enterprise_install = False

    # ------------------------------------------------------------------ copies

    def _copy(self, **changes: Any) -> SlackSender:
        other = copy.copy(self)
        for key, value in changes.items():
            setattr(other, key, value)
        return other

    def as_user(
        self, user_id: str, team_id: str | None = None, *, user_name: str | None = None
    ) -> SlackSender:
        """A copy acting as another user (and, with ``team_id``, from another workspace)."""
        return self._copy(
            user_id=user_id,
            user_name=user_name or f"user-{user_id.lower()}",
            team_id=team_id or self.team_id,
        )

    def in_channel(self, channel_id: str, channel_name: str | None = None) -> SlackSender:
        """A copy acting in another channel."""
        return self._copy(channel_id=channel_id, channel_name=channel_name or channel_id.lower())

    def retrying(self, num: int = 1, reason: str = "http_timeout") -> SlackSender:
        """A copy whose requests carry ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason``."""
        return self._copy(retry_num=num, retry_reason=reason)

    # ------------------------------------------------------------------ low level

    def signed_headers(
        self, body: str, *, timestamp: int | None = None, content_type: str | None = None
    ) -> dict[str, str]:
        """Headers Slack would send with ``body`` (``timestamp`` defaults to now)."""
        ts = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": content_type or "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sign(self.signing_secret, body, ts),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if self.retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(self.retry_num)
            headers["X-Slack-Retry-Reason"] = self.retry_reason or "http_timeout"
        return headers

    async def raw(self, body: str, headers: Mapping[str, str] | None = None) -> Response:
        """POST ``body`` with exactly ``headers`` (nothing added, nothing signed)."""
        return await self._post(body, dict(headers or {}))

    async def send_form(self, fields: Mapping[str, str]) -> Response:
        body = urlencode(fields)
        return await self._post(body, self.signed_headers(body))

    async def send_payload(self, payload: JSON) -> Response:
        """An interactivity request: form-encoded ``payload=<json>``."""
        return await self.send_form({"payload": json.dumps(payload, separators=(",", ":"))})

    async def send_json(self, envelope: JSON) -> Response:
        """An Events API request: a JSON body."""
        body = json.dumps(envelope, separators=(",", ":"))
        return await self._post(body, self.signed_headers(body, content_type="application/json"))

    async def _post(self, body: str, headers: dict[str, str]) -> Response:
        timeout = aiohttp.ClientTimeout(total=self.ack_timeout) if self.ack_timeout else None
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(self.url, data=body.encode(), headers=headers) as resp,
            ):
                text = await resp.text()
                return Response(
                    status=resp.status,
                    headers={k: v for k, v in resp.headers.items()},
                    body=text,
                    elapsed=loop.time() - started,
                )
        except TimeoutError as e:
            raise AckTimeout(
                f"the app did not answer {self.url} within {self.ack_timeout}s "
                "(Slack gives up after 3s and shows the user an error)"
            ) from e

    # ------------------------------------------------------------------ payload parts

    def _user(self) -> JSON:
        return {
            "id": self.user_id,
            "username": self.user_name,
            "name": self.user_name,
            "team_id": self.team_id,
        }

    def _team(self) -> JSON:
        return {"id": self.team_id, "domain": self.team_domain}

    def _enterprise(self) -> JSON | None:
        if self.enterprise_id is None:
            return None
        return {"id": self.enterprise_id, "name": "enterprise"}

    def _common(self, kind: str) -> JSON:
        return {
            "type": kind,
            "team": self._team(),
            "user": self._user(),
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "enterprise": self._enterprise(),
            "is_enterprise_install": self.enterprise_install,
        }

    def _trigger_id(self, view_id: str | None = None) -> str:
        if self.api is not None:
            return self.api.new_trigger_id(view_id, user=self.user_id)
        n = next(_ids)
        return f"{int(time.time())}.{n:010d}.{secrets.token_hex(16)}"

    def _response_url(self, *, channel: str | None, message_ts: str | None = None) -> str:
        if self.api is not None:
            return self.api.response_url(channel=channel, message_ts=message_ts, user=self.user_id)
        return (
            f"https://hooks.slack.com/actions/{self.team_id}/{next(_ids)}/{secrets.token_hex(12)}"
        )

    def _action_ts(self) -> str:
        return f"{time.time():.6f}"

    def _resolve_view(self, view: JSON | str) -> JSON:
        """A full view payload: the stand-in's current view for a view_id, else the dict
        completed with the fields Slack always sends."""
        if isinstance(view, str):
            if self.api is None or view not in self.api.views:
                raise KeyError(f"no view {view!r} in the stand-in")
            return copy.deepcopy(self.api.views[view])
        full = copy.deepcopy(view)
        view_id = full.get("id") or f"V{next(_ids):010d}"
        defaults: JSON = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": _text("Modal"),
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": None,
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.api_app_id,
            "external_id": "",
            "app_installed_team_id": self.team_id,
            "bot_id": "B0BOT",
        }
        for key, value in defaults.items():
            full.setdefault(key, value)
        if not isinstance(full.get("state"), dict) or "values" not in full["state"]:
            full["state"] = {"values": {}}
        return full

    def _resolve_message(self, message: JSON | str, channel_id: str) -> JSON:
        if isinstance(message, str):
            if self.api is None:
                return {"type": "message", "ts": message, "text": ""}
            stored = self.api.messages.get((channel_id, message))
            if stored is None:  # e.g. a DM: the stand-in keys it by the D... channel
                matches = [m for (_, ts), m in self.api.messages.items() if ts == message]
                stored = matches[0] if len(matches) == 1 else None
            if stored is not None:
                return copy.deepcopy(stored)
            raise KeyError(f"no message {message!r} in channel {channel_id} in the stand-in")
        return copy.deepcopy(message)

    # ------------------------------------------------------------------ Slack requests

    async def command(
        self,
        command: str,
        text: str = "",
        *,
        trigger_id: str | None = None,
        response_url: str | None = None,
    ) -> Response:
        """A slash command, e.g. ``await slack.command("/vps", "create my-label")``."""
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": self.channel_id,
            "channel_name": self.channel_name,
            "user_id": self.user_id,
            "user_name": self.user_name,
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "true" if self.enterprise_install else "false",
            "response_url": response_url or self._response_url(channel=self.channel_id),
            "trigger_id": trigger_id or self._trigger_id(),
        }
        if self.enterprise_id is not None:
            fields["enterprise_id"] = self.enterprise_id
            fields["enterprise_name"] = "enterprise"
        return await self.send_form(fields)

    async def block_action(
        self,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str = "b",
        view: JSON | str | None = None,
        selected_option: str | JSON | None = None,
        selected_options: Sequence[str | JSON] | None = None,
        action_type: str | None = None,
        trigger_id: str | None = None,
        message: JSON | str | None = None,
        container: JSON | None = None,
        response_url: str | None = None,
        state_values: Mapping[str, Mapping[str, JSON]] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Response:
        """A ``block_actions`` interaction: a button press or a select change.

        ``view`` (dict or view_id) means the action happened in a modal/App Home; otherwise
        it happened in a message (``message`` dict or ts; a stub message by default).
        """
        action: JSON = {
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": self._action_ts(),
        }
        if selected_options is not None:
            action["type"] = action_type or "multi_static_select"
            action["selected_options"] = [_option(o) for o in selected_options]
        elif selected_option is not None:
            action["type"] = action_type or "static_select"
            action["selected_option"] = _option(selected_option)
        else:
            action["type"] = action_type or "button"
            if action["type"] == "button":  # only a button's action carries its text
                action["text"] = _text(action_id)
            if value is not None:
                action["value"] = value
        if value is not None and "value" not in action:
            action["value"] = value
        if extra:
            action.update(extra)

        payload = self._common("block_actions")
        payload["actions"] = [action]
        if view is not None:
            full_view = self._resolve_view(view)
            if state_values is not None:
                full_view["state"] = {"values": copy.deepcopy(dict(state_values))}
            payload["view"] = full_view
            payload["container"] = container or {"type": "view", "view_id": full_view["id"]}
            payload["trigger_id"] = trigger_id or self._trigger_id(full_view["id"])
        elif container is not None and container.get("is_ephemeral"):
            # an ephemeral message: Slack sends its container, never the message itself
            ts = str(container.get("message_ts"))
            payload["container"] = container
            payload["channel"] = {"id": self.channel_id, "name": self.channel_name}
            payload["state"] = {"values": copy.deepcopy(dict(state_values or {}))}
            payload["response_url"] = response_url or (
                self.api.response_url(
                    channel=self.channel_id, message_ts=ts, user=self.user_id, ephemeral=True
                )
                if self.api is not None
                else self._response_url(channel=self.channel_id, message_ts=ts)
            )
            payload["trigger_id"] = trigger_id or self._trigger_id()
        else:
            if message is None:
                stub_ts = f"{int(time.time())}.{next(_ids):06d}"
                full_message: JSON = {
                    "type": "message",
                    "user": "U0BOT",
                    "bot_id": "B0BOT",
                    "text": "",
                    "ts": stub_ts,
                }
            else:
                full_message = self._resolve_message(message, self.channel_id)
            ts = str(full_message.get("ts"))
            payload["container"] = container or {
                "type": "message",
                "message_ts": ts,
                "channel_id": self.channel_id,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": self.channel_id, "name": self.channel_name}
            payload["message"] = full_message
            payload["state"] = {"values": copy.deepcopy(dict(state_values or {}))}
            payload["response_url"] = response_url or self._response_url(
                channel=self.channel_id, message_ts=ts
            )
            payload["trigger_id"] = trigger_id or self._trigger_id()
        return await self.send_payload(payload)

    async def view_submission(
        self,
        view: JSON | str,
        values: Mapping[str, Mapping[str, JSON]] | None = None,
        *,
        trigger_id: str | None = None,
        response_urls: Sequence[JSON] = (),
        apply_to_api: bool = True,
    ) -> Response:
        """The user pressed Submit on ``view`` (dict or the stand-in's view_id).

        ``values`` become ``view.state.values``. With a stand-in, the app's ack is applied to
        the stand-in's view stack (closed, updated, pushed or left open on errors); an answer
        Slack would refuse raises :class:`~standins.playground.view_acks.SlackRefusedAck`.
        """
        full_view = self._resolve_view(view)
        if values is not None:
            full_view["state"] = {"values": copy.deepcopy(dict(values))}
        payload = self._common("view_submission")
        payload["view"] = full_view
        payload["trigger_id"] = trigger_id or self._trigger_id(full_view["id"])
        payload["response_urls"] = list(response_urls)
        resp = await self.send_payload(payload)
        if resp.status == 200:
            ack = resp.data if resp.is_json else {}
            # Slack checks errors against the view as it holds it; a view the test made
            # up (not applied to the stand-in) is checked as it was sent
            held = self.api.views.get(str(full_view.get("id"))) if self.api else None
            check_view_submission_ack(held if held and apply_to_api else full_view, ack)
            if apply_to_api and self.api is not None:
                self.api.apply_view_submission_ack(full_view["id"], ack)
        return resp

    async def view_closed(self, view: JSON | str, *, is_cleared: bool = False) -> Response:
        """The user closed ``view`` (sent by Slack only when the view has notify_on_close)."""
        full_view = self._resolve_view(view)
        payload = self._common("view_closed")
        payload["view"] = full_view
        payload["is_cleared"] = is_cleared
        if self.api is not None:
            self.api.close_view(full_view["id"], whole_stack=is_cleared)
        return await self.send_payload(payload)

    async def block_suggestion(
        self,
        action_id: str,
        value: str,
        *,
        block_id: str = "b",
        view: JSON | str | None = None,
        message: JSON | str | None = None,
    ) -> Response:
        """An options load for an ``external_select`` (the user typed ``value``)."""
        payload = self._common("block_suggestion")
        payload.update({"action_id": action_id, "block_id": block_id, "value": value})
        if view is not None:
            full_view = self._resolve_view(view)
            payload["view"] = full_view
            payload["container"] = {"type": "view", "view_id": full_view["id"]}
        else:
            ts = f"{int(time.time())}.000000"
            if message is not None:
                resolved = self._resolve_message(message, self.channel_id)
                ts = str(resolved.get("ts", ts))
                payload["message"] = resolved
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": self.channel_id,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": self.channel_id, "name": self.channel_name}
        return await self.send_payload(payload)

    async def shortcut(self, callback_id: str, *, trigger_id: str | None = None) -> Response:
        """A global shortcut."""
        payload = self._common("shortcut")
        payload["callback_id"] = callback_id
        payload["trigger_id"] = trigger_id or self._trigger_id()
        payload["action_ts"] = self._action_ts()
        return await self.send_payload(payload)

    async def message_shortcut(
        self, callback_id: str, message: JSON | str, *, trigger_id: str | None = None
    ) -> Response:
        """A message shortcut on ``message`` (dict or the stand-in's message ts)."""
        full_message = self._resolve_message(message, self.channel_id)
        ts = str(full_message.get("ts"))
        payload = self._common("message_action")
        payload.update(
            {
                "callback_id": callback_id,
                "trigger_id": trigger_id or self._trigger_id(),
                "action_ts": self._action_ts(),
                "message_ts": ts,
                "message": full_message,
                "channel": {"id": self.channel_id, "name": self.channel_name},
                "response_url": self._response_url(channel=self.channel_id, message_ts=ts),
            }
        )
        return await self.send_payload(payload)

    async def event(self, event_type: str, **fields: Any) -> Response:
        """An Events API ``event_callback`` for an event of ``event_type``.

        ``fields`` go into the event; ``user`` and ``channel`` default to this sender's.
        """
        now = time.time()
        event: JSON = {"type": event_type, "user": self.user_id, "event_ts": f"{now:.6f}"}
        if event_type.startswith("message") or event_type == "app_mention":
            event.setdefault("channel", self.channel_id)
            event.setdefault("ts", event["event_ts"])
        event.update(fields)
        envelope: JSON = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "enterprise_id": self.enterprise_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{next(_ids):010d}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": None if self.enterprise_install else self.team_id,
                    "user_id": self.api.bot_user_id if self.api else "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": self.enterprise_install,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": secrets.token_hex(16),
        }
        return await self.send_json(envelope)

    async def app_home_opened(self, tab: str = "home") -> Response:
        """The user opened the app's Home tab (vpsbot publishes App Home on this)."""
        view_id = self.api.home_views.get(self.user_id) if self.api else None
        fields: JSON = {"tab": tab, "channel": "D" + self.user_id[1:]}
        if view_id is not None and self.api is not None:
            fields["view"] = copy.deepcopy(self.api.views[view_id])
        return await self.event("app_home_opened", **fields)
