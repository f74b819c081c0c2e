"""The edge of ``POST /slack/events``: only signed, well-formed Slack requests reach Bolt.

Bolt parses a request's body (URL-decoding, ``json.loads``, reading team and user
ids) before it checks the signature, so anyone who can reach the URL could make it
raise on invalid UTF-8, a JSON list or deep nesting: an HTTP 500 and a traceback
in the log per request. This guard runs first, on the raw bytes:

1. too large (over :data:`MAX_BODY` bytes)           -> 413
2. no signature headers, or a malformed timestamp    -> 401
3. not UTF-8 (Slack signs UTF-8 text, and slack_sdk's
   ``SignatureVerifier`` checks text)                -> 400
4. no valid ``v0`` signature, or older than 5 min    -> 401
5. signed, but Bolt could not make sense of it (JSON
   that is not an object, nesting deeper than
   :data:`MAX_DEPTH`, ids of the wrong type, a
   ``view`` that is not an object, or no
   ``actions[0].action_id``/``view.callback_id``
   where Bolt's routing indexes them, or a legacy
   workflow step payload without its
   ``workflow_step``)                                 -> 400

Each refusal is one log line (no traceback, no body) and a count in
``vpsbot_slack_requests_refused_total{reason}``. A request that passes is handed
on already parsed (:func:`prepared`), so Bolt does not parse it twice.

Socket Mode does not come through here: its events arrive over Slack's own
authenticated WebSocket and ``/slack/events`` is not mounted.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import Counter
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

__all__ = [
    "MAX_BODY",
    "MAX_DEPTH",
    "REFUSED",
    "SLACK_EVENTS_PATH",
    "prepared",
    "slack_guard",
]

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"

#: Bytes a Slack request body may have. Slack's biggest payloads (a view
#: submission of a 100-block modal with its state) stay well under this.
MAX_BODY = 1024 * 1024

#: Levels of JSON nesting a Slack payload may have. Real ones reach about a
#: dozen (a message's rich-text blocks); anything deeper is not from Slack.
MAX_DEPTH = 48

REFUSED = Counter(
    "vpsbot_slack_requests_refused",
    "Requests to /slack/events refused before Bolt saw them, by reason",
    ["reason"],
)

_PREPARED: web.RequestKey[AsyncBoltRequest] = web.RequestKey("slack_bolt_request", AsyncBoltRequest)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Refusal(Exception):
    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail


def prepared(request: web.Request) -> AsyncBoltRequest | None:
    """The Bolt request the guard built from ``request``'s checked body, if any."""
    return request.get(_PREPARED)


def _depth(value: Any) -> int:
    """How many JSON objects and arrays are nested in ``value`` at most, without recursion."""
    if not isinstance(value, (dict, list)):
        return 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((c, level + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def _str_or_absent(mapping: dict[str, Any], key: str) -> bool:
    return key not in mapping or isinstance(mapping[key], str)


def _unroutable(body: dict[str, Any]) -> str | None:
    """Why Bolt's own routing would raise on ``body``, if it would.

    Bolt's matchers index what Slack always sends (``actions[0]["action_id"]``,
    ``view["callback_id"]``, ``event["type"]``) and compare it as text; a signed
    body without those shapes is not a Slack request, and is refused here rather
    than failing inside Bolt. (Listeners must still check what they read.)
    """
    kind = body.get("type")
    if "view" in body and not isinstance(body["view"], dict):
        return "a view that is not an object"
    if kind == "block_actions" and "actions" in body:
        actions = body["actions"]
        first = actions[0] if isinstance(actions, list) and actions else None
        if not isinstance(first, dict) or not isinstance(first.get("action_id"), str):
            return "block_actions without an action id"
        if not _str_or_absent(first, "block_id"):
            return "block_actions with a block id that is not text"
    elif kind in ("view_submission", "view_closed") and "view" in body:
        view = body["view"]
        if not isinstance(view, dict):
            return f"{kind} whose view is not an object"
        if not _str_or_absent(view, "callback_id"):
            return f"{kind} whose callback id is not text"
        if not isinstance(view.get("type"), str):  # Bolt reads view["type"] to route it
            return f"{kind} whose view has no type"
        if view["type"] == "workflow_step" and not isinstance(body.get("workflow_step"), dict):
            return f"{kind} of a workflow step without the step"  # Bolt reads it for any listener
    elif kind in ("block_suggestion", "dialog_suggestion"):
        if not (_str_or_absent(body, "action_id") and _str_or_absent(body, "callback_id")):
            return f"{kind} whose id is not text"
    elif kind == "workflow_step_edit":  # legacy "Steps from apps"
        if not _str_or_absent(body, "callback_id"):
            return f"{kind} whose callback id is not text"
        if "callback_id" in body and not isinstance(body.get("workflow_step"), dict):
            return f"{kind} without the workflow step"  # Bolt reads it for any listener
    elif kind in ("shortcut", "message_action", "dialog_submission", "dialog_cancellation"):
        if not _str_or_absent(body, "callback_id"):
            return f"{kind} whose callback id is not text"
    elif kind == "event_callback" and "event" in body:
        event = body["event"]
        if not isinstance(event, dict) or not _str_or_absent(event, "type"):
            return "event_callback whose event has no type"
    if not _str_or_absent(body, "command"):
        return "command that is not text"
    return None


def _is_ssl_check(body: bytes) -> bool:
    """Slack's unsigned certificate probe for slash-command URLs (``ssl_check=1``)."""
    if len(body) > 512 or b"ssl_check" not in body:
        return False
    try:
        fields = dict(parse_qsl(body.decode("ascii"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return False
    return fields.get("ssl_check") == "1" and "command" not in fields and "payload" not in fields


class _Guard:
    def __init__(self, signing_secret: str | None) -> None:
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None

    async def _read(self, request: web.Request) -> bytes:
        length = request.content_length
        if length is not None and length > MAX_BODY:
            raise _Refusal(413, "too_large", f"body of {length} bytes")
        try:
            body = await request.read()  # cached: the handler may read it again
        except web.HTTPRequestEntityTooLarge as exc:
            raise _Refusal(413, "too_large", "body over the server's limit") from exc
        except (OSError, ValueError) as exc:
            reason = f"body could not be read: {type(exc).__name__}"
            raise _Refusal(400, "unreadable", reason) from exc
        if len(body) > MAX_BODY:
            raise _Refusal(413, "too_large", f"body over {MAX_BODY} bytes")
        return body

    def _verify(self, request: web.Request, body: bytes) -> str:
        """The body as text, once its signature is checked."""
        if self._verifier is None:
            raise _Refusal(401, "no_secret", "no signing secret is configured")
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        if not timestamp or not signature:
            raise _Refusal(401, "unsigned", "no Slack signature")
        if not (timestamp.isascii() and timestamp.isdigit()):
            raise _Refusal(401, "bad_signature", "malformed signature timestamp")
        if request.charset not in (None, "utf-8", "utf8"):
            raise _Refusal(400, "malformed", "charset is not UTF-8")
        try:
            # Slack signs UTF-8 text, and SignatureVerifier can only check text
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Refusal(400, "malformed", "body is not UTF-8") from exc
        try:
            valid = self._verifier.is_valid(body=text, timestamp=timestamp, signature=signature)
        except (ValueError, TypeError):  # e.g. a signature header that is not ASCII
            valid = False
        if not valid:
            raise _Refusal(401, "bad_signature", "invalid or expired Slack signature")
        return text

    @staticmethod
    def _parse(request: web.Request, text: str) -> AsyncBoltRequest:
        try:
            bolt_request = AsyncBoltRequest(
                body=text, query=request.query_string, headers=dict(request.headers)
            )
        except RecursionError as exc:
            raise _Refusal(400, "malformed", "JSON nested too deeply") from exc
        except Exception as exc:  # Bolt's parsing and id extraction: any failure is bad input
            raise _Refusal(400, "malformed", f"not a Slack payload ({type(exc).__name__})") from exc
        if not isinstance(bolt_request.body, dict):
            raise _Refusal(400, "malformed", "payload is not a JSON object")
        if _depth(bolt_request.body) > MAX_DEPTH:
            raise _Refusal(400, "malformed", f"JSON nested deeper than {MAX_DEPTH}")
        problem = _unroutable(bolt_request.body)
        if problem is not None:
            raise _Refusal(400, "malformed", problem)
        return bolt_request

    async def check(self, request: web.Request) -> web.StreamResponse | None:
        """A refusal to send instead of calling the handler, or None to go on."""
        try:
            body = await self._read(request)
            if _is_ssl_check(body):
                return web.Response(status=200)
            request[_PREPARED] = self._parse(request, self._verify(request, body))
        except _Refusal as refusal:
            REFUSED.labels(refusal.reason).inc()
            log.warning(
                "refused a request to %s from %s: %s (HTTP %d)",
                request.path,
                request.remote,
                refusal.detail,
                refusal.status,
            )
            return web.json_response({"error": refusal.reason}, status=refusal.status)
        return None


def slack_guard(signing_secret: str | None, path: str = SLACK_EVENTS_PATH) -> Middleware:
    """An aiohttp middleware guarding ``POST path``; every other route passes untouched,
    and so does ``path`` where it is not mounted (Socket Mode answers it 404).

    Without a signing secret every Slack request is refused (401): there is
    nothing to check them against.
    """
    guard = _Guard(signing_secret)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        unmounted = request.match_info.http_exception is not None  # e.g. Socket Mode: 404
        if request.method != "POST" or request.path != path or unmounted:
            return await handler(request)
        refusal = await guard.check(request)
        if refusal is not None:
            return refusal
        return await handler(request)

    return middleware
