"""The guard in front of ``/slack/events``: signature first, on the raw bytes, then shape.

Served over real HTTP on loopback; the handler behind the guard records what it
was handed, so each test sees both what the client got and whether the request
got through.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from bot.app.guard import MAX_BODY, MAX_DEPTH, prepared, slack_guard
from standins.playground.slack_client import sign

SECRET = "guard-test-signing-secret"
FORM = "application/x-www-form-urlencoded"


class Served:
    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: list[dict[str, Any]] = []

    async def post(
        self,
        body: bytes | str,
        *,
        secret: str | None = SECRET,
        timestamp: int | None = None,
        content_type: str = FORM,
        headers: dict[str, str] | None = None,
        path: str = "/slack/events",
    ) -> tuple[int, str]:
        raw = body.encode() if isinstance(body, str) else body
        sent = {"Content-Type": content_type}
        if secret is not None:
            ts = int(time.time()) if timestamp is None else timestamp
            base = b"v0:%d:" % ts + raw
            digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
            sent["X-Slack-Request-Timestamp"] = str(ts)
            sent["X-Slack-Signature"] = f"v0={digest}"
        sent.update(headers or {})
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url + path, data=raw, headers=sent) as resp,
        ):
            return resp.status, await resp.text()


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    holder: list[Served] = []

    async def events(request: web.Request) -> web.Response:
        bolt_request = prepared(request)
        assert bolt_request is not None
        holder[0].seen.append(bolt_request.body)
        return web.json_response({"ok": True})

    async def other(request: web.Request) -> web.Response:
        return web.Response(text=await request.text())

    app = web.Application(middlewares=[slack_guard(SECRET)])
    app.router.add_post("/slack/events", events)
    app.router.add_post("/other", other)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    holder.append(Served(f"http://127.0.0.1:{runner.addresses[0][1]}"))
    try:
        yield holder[0]
    finally:
        await runner.cleanup()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def _command(text: str = "help") -> str:
    return urlencode({"command": "/vps", "text": text, "team_id": "T1", "user_id": "U1"})


def _payload(payload: Any) -> str:
    return urlencode({"payload": json.dumps(payload)})


def _refusals(logs: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in logs.records if r.name == "bot.app.guard"]


def _assert_one_quiet_line(logs: pytest.LogCaptureFixture) -> None:
    records = _refusals(logs)
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].levelno == logging.WARNING
    assert records[0].exc_info is None
    assert not [r for r in logs.records if r.levelno >= logging.ERROR]


async def test_a_signed_command_gets_through_parsed(served: Served, logs: Any) -> None:
    status, _ = await served.post(_command("list"))
    assert status == 200
    assert served.seen[0]["command"] == "/vps" and served.seen[0]["text"] == "list"
    assert _refusals(logs) == []


async def test_a_signed_interaction_and_event_get_through(served: Served) -> None:
    action = {"action_id": "a", "block_id": "b", "type": "button"}
    payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}}
    payload["actions"] = [action]
    assert (await served.post(_payload(payload)))[0] == 200
    event = {"type": "event_callback", "team_id": "T1", "event": {"type": "app_home_opened"}}
    assert (await served.post(json.dumps(event), content_type="application/json"))[0] == 200
    assert [body["type"] for body in served.seen] == ["block_actions", "event_callback"]


@pytest.mark.parametrize(
    ("name", "secret", "age", "headers"),
    [
        ("unsigned", None, 0, {}),
        ("wrong secret", "not-the-secret", 0, {}),
        ("over five minutes old", SECRET, 400, {}),
        ("five minutes ahead", SECRET, -400, {}),
        ("timestamp not a number", SECRET, 0, {"X-Slack-Request-Timestamp": "12e9"}),
        (
            "timestamp in other digits",
            SECRET,
            0,
            {"X-Slack-Request-Timestamp": "\u0661\u0667" + "\u0660" * 8},
        ),
        ("signature not v0", SECRET, 0, {"X-Slack-Signature": "v1=abc"}),
        ("empty signature", SECRET, 0, {"X-Slack-Signature": ""}),
    ],
)
async def test_what_slack_did_not_sign_is_refused_with_401(
    served: Served, logs: Any, name: str, secret: str | None, age: int, headers: dict[str, str]
) -> None:
    status, body = await served.post(
        _command("create x"), secret=secret, timestamp=int(time.time()) - age, headers=headers
    )
    assert status == 401, name
    assert served.seen == []
    assert "create x" not in logs.text  # the body is never logged
    _assert_one_quiet_line(logs)
    unsigned = secret is None or headers.get("X-Slack-Signature") == ""
    assert json.loads(body) == {"error": "unsigned" if unsigned else "bad_signature"}


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("invalid UTF-8", b"command=/vps&text=\xff\xfe", FORM),
        ("invalid UTF-8 JSON", b'{"type": "\xc3("}', "application/json"),
        ("JSON list", b"[1, 2, 3]", "application/json"),
        ("JSON string", b'"hello"', "application/json"),
        ("JSON number body starting with {", b"{1: 2}", FORM),
        ("payload list", _payload([1, 2]).encode(), FORM),
        ("payload not JSON", b"payload=%7Bnot-json", FORM),
        ("payload null", _payload(None).encode(), FORM),
        ("nesting past the recursion limit", b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (
            "nesting past MAX_DEPTH",
            _payload(json.loads("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5))).encode(),
            FORM,
        ),
        (
            "object nesting past MAX_DEPTH",
            ('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)).encode(),
            "application/json",
        ),
        ("team that is a number", _payload({"type": "block_actions", "team": 5}).encode(), FORM),
        ("enterprise a number", _payload({"type": "view_closed", "enterprise": 7}).encode(), FORM),
        (
            "no action in block_actions",
            _payload({"type": "block_actions", "actions": []}).encode(),
            FORM,
        ),
        (
            "action without an id",
            _payload({"type": "block_actions", "actions": [{"value": "1"}]}).encode(),
            FORM,
        ),
        (
            "action id a number",
            _payload({"type": "block_actions", "actions": [{"action_id": 5}]}).encode(),
            FORM,
        ),
        ("actions a string", _payload({"type": "block_actions", "actions": "x"}).encode(), FORM),
        ("view a string", _payload({"type": "view_submission", "view": "V1"}).encode(), FORM),
        (
            "callback id a list",
            _payload({"type": "view_closed", "view": {"callback_id": []}}).encode(),
            FORM,
        ),
        (
            "view without a type",
            _payload({"type": "view_submission", "view": {"callback_id": "c"}}).encode(),
            FORM,
        ),
        (
            "suggestion id null",
            _payload({"type": "block_suggestion", "action_id": None}).encode(),
            FORM,
        ),
        (
            "event type a number",
            json.dumps({"type": "event_callback", "event": {"type": 3}}).encode(),
            "application/json",
        ),
        ("command a number", json.dumps({"command": 1}).encode(), "application/json"),
        ("charset Latin-1", _command().encode(), FORM + "; charset=latin-1"),
        ("unknown charset", _command().encode(), FORM + "; charset=no-such-codec"),
    ],
)
async def test_signed_but_unparseable_bodies_are_refused_with_400(
    served: Served, logs: Any, name: str, body: bytes, content_type: str
) -> None:
    status, _ = await served.post(body, content_type=content_type)
    assert status == 400, name
    assert served.seen == []
    _assert_one_quiet_line(logs)


async def test_nesting_a_slack_payload_really_has_gets_through(served: Served) -> None:
    deep: Any = {"text": "leaf"}
    for _ in range(MAX_DEPTH - 2):  # with the payload and the leaf: MAX_DEPTH objects
        deep = {"e": deep}
    payload = {"type": "block_actions", "message": deep}
    assert json.dumps(payload).count("{") == MAX_DEPTH
    status, _ = await served.post(_payload(payload))
    assert status == 200


async def test_an_unsigned_body_is_refused_as_unsigned_whatever_it_holds(
    served: Served, logs: Any
) -> None:
    status, _ = await served.post(b"\xff\xfe" + b"[" * 50_000, secret=None)
    assert status == 401
    _assert_one_quiet_line(logs)


async def test_an_oversize_body_is_refused_unread(served: Served, logs: Any) -> None:
    status, _ = await served.post(b"text=" + b"a" * MAX_BODY)
    assert status == 413
    assert served.seen == []
    _assert_one_quiet_line(logs)


async def test_slacks_unsigned_ssl_check_is_answered_without_bolt(
    served: Served, logs: Any
) -> None:
    status, _ = await served.post("ssl_check=1&token=legacy", secret=None)
    assert status == 200
    assert served.seen == []
    assert _refusals(logs) == []
    # but a command dressed as one is not let through unsigned
    status, _ = await served.post(_command() + "&ssl_check=1", secret=None)
    assert status == 401


async def test_other_routes_are_not_guarded(served: Served) -> None:
    status, text = await served.post(b"anything", secret=None, path="/other")
    assert (status, text) == (200, "anything")


async def test_an_unmounted_events_path_is_still_a_404() -> None:
    app = web.Application(middlewares=[slack_guard(SECRET)])  # as in Socket Mode: no route
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        served = Served(f"http://127.0.0.1:{runner.addresses[0][1]}")
        assert (await served.post(b"x", secret=None))[0] == 404
    finally:
        await runner.cleanup()


async def test_refusals_are_counted_by_reason(served: Served) -> None:
    def count(reason: str) -> float:
        value = REGISTRY.get_sample_value("vpsbot_slack_requests_refused_total", {"reason": reason})
        return value or 0.0

    before = count("unsigned"), count("malformed")
    await served.post(_command(), secret=None)
    await served.post(b"[]", content_type="application/json")
    assert (count("unsigned"), count("malformed")) == (before[0] + 1, before[1] + 1)


async def test_without_a_signing_secret_everything_is_refused(logs: Any) -> None:
    reached: list[bool] = []

    async def events(_: web.Request) -> web.Response:
        reached.append(True)
        return web.Response()

    app = web.Application(middlewares=[slack_guard(None)])
    app.router.add_post("/slack/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        served = Served(f"http://127.0.0.1:{runner.addresses[0][1]}")
        status, _ = await served.post(_command(), secret="")
        assert status == 401
        assert reached == []
        _assert_one_quiet_line(logs)
    finally:
        await runner.cleanup()


def test_sign_helper_agrees_with_the_guards_reading() -> None:
    # the e2e sender signs text; the guard checks bytes: the same for UTF-8 bodies
    body = _command("créer ünïcode")
    ts = 1_700_000_000
    from slack_sdk.signature import SignatureVerifier

    class Fixed:
        def now(self) -> float:
            return float(ts)

    verifier = SignatureVerifier(SECRET, clock=Fixed())  # type: ignore[arg-type]
    assert verifier.is_valid(body.encode(), str(ts), sign(SECRET, body, ts))
