"""SlackSender against a tiny real Bolt AsyncApp served by aiohttp, talking to the stand-in."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from standins.playground.slack_api import SlackStandIn
from standins.playground.slack_client import AckTimeout, Response, SlackSender, sign, state_value
from standins.playground.view_acks import SlackRefusedAck

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"

CREATE_VIEW: dict[str, Any] = {
    "type": "modal",
    "callback_id": "create_vps",
    "title": {"type": "plain_text", "text": "Create a server"},
    "submit": {"type": "plain_text", "text": "Create"},
    "notify_on_close": True,
    "private_metadata": "channel=C0001",
    "blocks": [
        {
            "type": "input",
            "block_id": "label",
            "label": {"type": "plain_text", "text": "Label"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "region",
            "label": {"type": "plain_text", "text": "Region"},
            "element": {"type": "external_select", "action_id": "pick", "min_query_length": 0},
        },
    ],
}


@dataclass
class Seen:
    """What the Bolt app's listeners received, in order."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    headers: list[dict[str, Any]] = field(default_factory=list)

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]

    def last(self, kind: str) -> dict[str, Any]:
        return next(body for k, body in reversed(self.events) if k == kind)


def build_app(api: SlackStandIn, seen: Seen) -> AsyncApp:
    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token=TOKEN, base_url=api.base_url),
    )

    @app.command("/vps")
    async def vps(
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        request: AsyncBoltRequest,
    ) -> None:
        seen.events.append(("command", body))
        seen.headers.append(dict(request.headers))
        await ack()
        if body["text"] == "create":
            await client.views_open(trigger_id=body["trigger_id"], view=CREATE_VIEW)
        else:
            await respond(f"you said {body['text']}")

    @app.action("approve")
    async def approve(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        seen.events.append(("approve", body))
        await ack()
        if "message" in body and body["container"]["type"] == "message":
            await client.chat_update(
                channel=body["channel"]["id"], ts=body["message"]["ts"], text="approved"
            )

    @app.action("size")
    async def size(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen.events.append(("size", body))
        await ack()

    @app.options("pick")
    async def regions(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen.events.append(("options", body))
        options = [
            {"text": {"type": "plain_text", "text": r}, "value": r}
            for r in ("eu-central", "us-east")
            if body["value"] in r
        ]
        await ack(options=options)

    @app.view("create_vps")
    async def create(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        seen.events.append(("submission", body))
        label = view["state"]["values"]["label"]["value"]["value"]
        if not label:
            await ack(response_action="errors", errors={"label": "A label is required"})
        elif label == "errors-off-input":
            # keyed to a block that is not an input of the view: Slack refuses it
            await ack(response_action="errors", errors={"summary": "Over budget"})
        else:
            await ack()

    @app.view_closed("create_vps")
    async def closed(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen.events.append(("closed", body))
        await ack()

    @app.event("app_home_opened")
    async def home(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        seen.events.append(("home", body))
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Servers"}}],
            },
        )

    return app


@dataclass
class Harness:
    api: SlackStandIn
    slack: SlackSender
    seen: Seen


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with SlackStandIn(bot_token=TOKEN) as api:
        seen = Seen()
        app = build_app(api, seen)

        async def endpoint(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await app.async_dispatch(await to_bolt_request(request))
            )

        web_app = web.Application()
        web_app.router.add_post("/slack/events", endpoint)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET, api=api)
            yield Harness(api, slack, seen)
        finally:
            await runner.cleanup()


async def test_signed_command_is_acked_and_listener_runs(harness: Harness) -> None:
    api, slack, seen = harness.api, harness.slack, harness.seen
    resp = await slack.command("/vps", "hello there")
    assert resp.status == 200 and resp.body == "" and resp.data == {}
    body = seen.last("command")
    assert body["command"] == "/vps" and body["text"] == "hello there"
    assert (body["user_id"], body["team_id"], body["channel_id"]) == ("U0001", "T0001", "C0001")
    assert body["response_url"].startswith(api.root_url + "/response/")
    assert body["trigger_id"] and body["api_app_id"] == "A0001"
    assert api.calls_to("auth.test")  # Bolt authorized the request against the stand-in
    post = await api.wait_for_response()
    assert post.payload["text"] == "you said hello there"
    assert "x-slack-retry-num" not in seen.headers[-1]


async def test_command_opens_a_modal_with_its_trigger(harness: Harness) -> None:
    api, slack = harness.api, harness.slack
    resp = await slack.command("/vps", "create")
    assert resp.status == 200
    call = await api.wait_for_call("views.open")
    assert call.ok and call.args["trigger_id"] == harness.seen.last("command")["trigger_id"]
    assert api.views[call.response["view"]["id"]]["callback_id"] == "create_vps"


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "missing_headers", "old_timestamp", "changed_body", "no_signature"],
)
async def test_badly_signed_requests_are_rejected(harness: Harness, tamper: str) -> None:
    slack = harness.slack
    body = urlencode({"command": "/vps", "text": "x", "user_id": "U0001", "team_id": "T0001"})
    headers = slack.signed_headers(body)
    if tamper == "wrong_secret":
        ts = headers["X-Slack-Request-Timestamp"]
        headers["X-Slack-Signature"] = sign("not-the-secret", body, ts)
    elif tamper == "missing_headers":
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    elif tamper == "old_timestamp":
        headers = slack.signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    elif tamper == "changed_body":
        body = body.replace("text=x", "text=y")
    else:
        del headers["X-Slack-Signature"]
    resp = await slack.raw(body, headers)
    assert resp.status == 401
    assert harness.seen.events == []


async def test_raw_with_signed_headers_is_accepted(harness: Harness) -> None:
    """The control for the rejections above: the same route with good headers works."""
    slack = harness.slack
    body = urlencode(
        {
            "command": "/vps",
            "text": "x",
            "user_id": "U0001",
            "team_id": "T0001",
            "channel_id": "C0001",
            "response_url": harness.api.response_url(channel="C0001"),
        }
    )
    assert (await slack.raw(body, slack.signed_headers(body))).status == 200
    assert harness.seen.kinds() == ["command"]


async def test_retry_headers_reach_the_app(harness: Harness) -> None:
    await harness.slack.retrying(2, "http_timeout").command("/vps", "again")
    headers = harness.seen.headers[-1]
    assert headers["x-slack-retry-num"] == ["2"]
    assert headers["x-slack-retry-reason"] == ["http_timeout"]


async def test_block_action_on_a_message(harness: Harness) -> None:
    api, slack, seen = harness.api, harness.slack, harness.seen
    client = AsyncWebClient(token=TOKEN, base_url=api.base_url)
    ts = (await client.chat_postMessage(channel="C0001", text="Approve srv-1?"))["ts"]

    async with api.wait_for("chat.update") as got:
        resp = await slack.block_action("approve", "srv-1", block_id="decide", message=ts)
    assert resp.status == 200
    body = seen.last("approve")
    assert body["type"] == "block_actions"
    (action,) = body["actions"]
    assert (action["action_id"], action["block_id"], action["value"], action["type"]) == (
        "approve",
        "decide",
        "srv-1",
        "button",
    )
    assert body["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C0001",
        "is_ephemeral": False,
    }
    assert body["message"]["text"] == "Approve srv-1?"
    assert body["user"]["id"] == "U0001" and body["user"]["team_id"] == "T0001"
    assert body["user"]["username"] == "user-u0001"
    assert body["team"] == {"id": "T0001", "domain": "vpsbot-test"}
    assert body["response_url"].startswith(api.root_url)
    assert got.call.args["ts"] == ts
    assert api.messages[("C0001", ts)]["text"] == "approved"


async def test_block_action_in_a_view_uses_the_stand_ins_view(harness: Harness) -> None:
    api, slack, seen = harness.api, harness.slack, harness.seen
    await slack.command("/vps", "create")
    view_id = (await api.wait_for_call("views.open")).response["view"]["id"]

    resp = await slack.as_user("U0002").block_action(
        "size", view=view_id, block_id="size", selected_option="g6-nanode-1"
    )
    assert resp.status == 200
    body = seen.last("size")
    assert body["user"]["id"] == "U0002"
    assert body["view"]["id"] == view_id and body["view"]["hash"] == api.views[view_id]["hash"]
    assert body["container"] == {"type": "view", "view_id": view_id}
    assert "response_url" not in body
    (action,) = body["actions"]
    assert action["type"] == "static_select"
    assert action["selected_option"]["value"] == "g6-nanode-1"


async def test_errors_keyed_off_an_input_block_fail_loudly(harness: Harness) -> None:
    api, slack = harness.api, harness.slack
    await slack.command("/vps", "create")
    view_id = (await api.wait_for_call("views.open")).response["view"]["id"]
    values = {
        "label": {"value": state_value.plain_text("errors-off-input")},
        "region": {"pick": state_value.external_select("eu-central")},
    }
    with pytest.raises(
        SlackRefusedAck, match=r"\['summary'\].*input blocks: \['label', 'region'\]"
    ):
        await slack.view_submission(view_id, values)
    with pytest.raises(SlackRefusedAck):  # not applying the ack does not hide it
        await slack.view_submission(view_id, values, apply_to_api=False)
    with pytest.raises(SlackRefusedAck):  # nor does applying it by hand
        api.apply_view_submission_ack(
            view_id, {"response_action": "errors", "errors": {"summary": "x"}}
        )
    assert api.is_open(view_id)


async def test_view_submission_round_trip(harness: Harness) -> None:
    api, slack, seen = harness.api, harness.slack, harness.seen
    await slack.command("/vps", "create")
    view_id = (await api.wait_for_call("views.open")).response["view"]["id"]

    missing = await slack.view_submission(
        view_id,
        {
            "label": {"value": state_value.plain_text(None)},
            "region": {"pick": state_value.external_select("eu-central")},
        },
    )
    assert missing.status == 200
    assert missing.json() == {
        "response_action": "errors",
        "errors": {"label": "A label is required"},
    }
    assert api.is_open(view_id)

    ok = await slack.view_submission(
        view_id,
        {
            "label": {"value": state_value.plain_text("my-label")},
            "region": {"pick": state_value.external_select("eu-central")},
        },
    )
    assert ok.status == 200 and ok.body == ""
    body = seen.last("submission")
    assert body["type"] == "view_submission"
    view = body["view"]
    assert view["id"] == view_id and view["callback_id"] == "create_vps"
    assert view["private_metadata"] == "channel=C0001"
    assert view["state"]["values"]["label"]["value"] == {
        "type": "plain_text_input",
        "value": "my-label",
    }
    region = view["state"]["values"]["region"]["pick"]["selected_option"]
    assert region["value"] == "eu-central"
    assert not api.is_open(view_id)  # an empty ack closes the modal, as in Slack


async def test_block_suggestion_and_view_closed(harness: Harness) -> None:
    slack, seen = harness.slack, harness.seen
    resp = await slack.block_suggestion("pick", "eu", block_id="region", view=CREATE_VIEW)
    assert resp.status == 200
    assert [o["value"] for o in resp.json()["options"]] == ["eu-central"]
    assert seen.last("options")["value"] == "eu"
    assert seen.last("options")["view"]["callback_id"] == "create_vps"

    resp = await slack.view_closed(CREATE_VIEW)
    assert resp.status == 200
    assert seen.last("closed")["type"] == "view_closed"
    assert seen.last("closed")["is_cleared"] is False


async def test_app_home_opened_event(harness: Harness) -> None:
    api, slack = harness.api, harness.slack
    resp = await slack.event("app_home_opened", tab="home")
    assert resp.status == 200
    call = await api.wait_for_call("views.publish")
    assert call.args["user_id"] == "U0001"
    assert api.home_views["U0001"] in api.views
    assert harness.seen.last("home")["type"] == "event_callback"


async def test_slow_ack_fails_like_slack_gives_up() -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="")

    web_app = web.Application()
    web_app.router.add_post("/slack/events", slow)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        with pytest.raises(AckTimeout):
            await SlackSender(url, SECRET, ack_timeout=0.05).command("/vps", "slow")
    finally:
        release.set()
        await runner.cleanup()


def test_response_helpers() -> None:
    resp = Response(status=200, headers={}, body='{"response_action": "clear"}')
    assert resp.is_json and resp.data == {"response_action": "clear"}
    assert Response(status=200, headers={}, body="").data == {}
    assert state_value.multi_static_select(["a", "b"]) == {
        "type": "multi_static_select",
        "selected_options": [
            {"text": {"type": "plain_text", "text": "a", "emoji": True}, "value": "a"},
            {"text": {"type": "plain_text", "text": "b", "emoji": True}, "value": "b"},
        ],
    }
    assert state_value.checkboxes([])["selected_options"] == []
    assert state_value.radio("x")["selected_option"]["value"] == "x"
    assert state_value.static_select(None) == {"type": "static_select", "selected_option": None}
    # The example from Slack's "Verifying requests from Slack" guide.
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        "channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        "command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert sign("8f742231b10e8888abcd99yyyzzz85a5", body, 1531420618) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )
    assert json.loads(json.dumps(state_value.plain_text("x"))) == state_value.plain_text("x")
