"""The playground's JSON API against a small real Bolt app: what the page's clicks become."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from standins.playground import launch
from standins.playground.web import (
    CHANNEL_ID,
    HOME_ID,
    USERS,
    Playground,
    PlaygroundError,
    is_loopback,
)

ADA, BEN = USERS[0].id, USERS[1].id

FORM: dict[str, Any] = {
    "type": "modal",
    "callback_id": "form",
    "title": {"type": "plain_text", "text": "Form"},
    "submit": {"type": "plain_text", "text": "Next"},
    "blocks": [
        {
            "type": "input",
            "block_id": "label",
            "label": {"type": "plain_text", "text": "Label"},
            "element": {"type": "plain_text_input", "action_id": "label"},
        },
        {
            "type": "actions",
            "block_id": "nav",
            "elements": [
                {
                    "type": "button",
                    "action_id": "push",
                    "text": {"type": "plain_text", "text": "More"},
                }
            ],
        },
    ],
}


@dataclass
class Seen:
    bodies: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def last(self, kind: str) -> dict[str, Any]:
        return next(body for k, body in reversed(self.bodies) if k == kind)


def build_bolt(playground: Playground, seen: Seen) -> AsyncApp:
    app = AsyncApp(
        signing_secret=playground.signing_secret,
        client=AsyncWebClient(token=playground.bot_token, base_url=playground.api_url),
    )

    @app.command("/vps")
    async def vps(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        seen.bodies.append(("command", body))
        text = body["text"]
        if text == "form":
            await ack()
            await client.views_open(trigger_id=body["trigger_id"], view=FORM)
        elif text == "shout":
            await ack(response_type="in_channel", text="everyone sees this")
        elif text == "boom":
            raise RuntimeError("a listener bug")
        elif text == "list":
            await ack(
                response_type="ephemeral",
                text="your list",
                blocks=[
                    {
                        "type": "actions",
                        "block_id": "b",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "refresh",
                                "value": "v1",
                                "text": {"type": "plain_text", "text": "Refresh"},
                            }
                        ],
                    }
                ],
            )
        else:
            await ack(response_type="ephemeral", text=f"hi <@{body['user_id']}>")

    @app.action("refresh")
    async def refresh(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        seen.bodies.append(("refresh", body))
        await ack()
        await respond(text="refreshed", replace_original=True)

    @app.action("push")
    async def push(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        seen.bodies.append(("push", body))
        await ack()
        pushed = dict(FORM, callback_id="pushed", title={"type": "plain_text", "text": "More"})
        await client.views_push(trigger_id=body["trigger_id"], view=pushed)

    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        seen.bodies.append(("home_opened", event))
        opened = sum(1 for kind, _ in seen.bodies if kind == "home_opened")
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {
                        "type": "section",
                        "block_id": "hello",
                        "text": {"type": "mrkdwn", "text": f"Opened {opened} times"},
                        "accessory": {
                            "type": "button",
                            "action_id": "home_button",
                            "value": "h",
                            "text": {"type": "plain_text", "text": "Create"},
                        },
                    }
                ],
            },
        )

    @app.action("home_button")
    async def home_button(ack: AsyncAck, body: dict[str, Any]) -> None:
        seen.bodies.append(("home_button", body))
        await ack()

    @app.view("form")
    async def form(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        seen.bodies.append(("submission", body))
        label = view["state"]["values"]["label"]["label"]["value"]
        if not label:
            await ack(response_action="errors", errors={"label": "A label is required"})
        elif label == "off-input":  # errors keyed to no input block: Slack refuses it
            await ack(response_action="errors", errors={"summary": "Over budget"})
        else:
            await ack()

    return app


@dataclass
class Harness:
    playground: Playground
    seen: Seen
    http: aiohttp.ClientSession

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with self.http.post(f"{self.playground.url}_playground/{path}", json=body) as r:
            return r.status, await r.json()

    async def state(
        self, user: str = ADA, after: int = -1, channel: str = CHANNEL_ID
    ) -> dict[str, Any]:
        url = f"{self.playground.url}_playground/state?user={user}&after={after}&channel={channel}"
        async with self.http.get(url) as response:
            assert response.status == 200
            data: dict[str, Any] = await response.json()
            return data


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    playground = Playground("")
    await playground.start()
    seen = Seen()
    bolt = build_bolt(playground, seen)

    async def endpoint(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", endpoint)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    playground.events_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    try:
        async with aiohttp.ClientSession() as http:
            yield Harness(playground, seen, http)
    finally:
        await runner.cleanup()
        await playground.stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_binds_loopback_only(host: str) -> None:
    with pytest.raises(PlaygroundError, match="loopback only"):
        Playground("http://127.0.0.1:3000/slack/events", host=host)
    assert [is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "localhost")] == [True] * 4


def test_standalone_refuses_a_real_slack() -> None:
    with pytest.raises(PlaygroundError, match="real Slack"):
        launch.standalone_port("https://slack.com/api/")
    assert launch.standalone_port("http://127.0.0.1:3999/api/") == 3999


def test_serve_plan_makes_up_fresh_secrets_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(launch.PORT_ENV, "3998")
    first, second = launch.for_serve("0.0.0.0", 3000), launch.for_serve("127.0.0.1", 3000)
    assert first.api_url == "http://127.0.0.1:3998/api/"
    assert first.playground.events_url == "http://127.0.0.1:3000/slack/events"
    assert first.signing_secret != second.signing_secret
    assert first.bot_token != second.bot_token and first.bot_token.startswith("xoxb-")
    assert "http://127.0.0.1:3998/" in first.banner() and "not Slack" in first.banner()
    monkeypatch.setenv(launch.PORT_ENV, "seventy")
    with pytest.raises(PlaygroundError, match=launch.PORT_ENV):
        launch.for_serve("127.0.0.1", 3000)


async def test_the_page_and_its_script_are_served(harness: Harness) -> None:
    async with harness.http.get(harness.playground.url) as response:
        page = await response.text()
    assert "Local playground" in page and "/static/app.js" in page
    async with harness.http.get(f"{harness.playground.url}static/app.js") as response:
        assert response.status == 200
        assert "renderBlocks" in await response.text()


async def test_users_info_makes_only_ada_an_admin(harness: Harness) -> None:
    client = AsyncWebClient(token=harness.playground.bot_token, base_url=harness.playground.api_url)
    ada = (await client.users_info(user=ADA))["user"]
    ben = (await client.users_info(user=BEN))["user"]
    assert (ada["real_name"], ada["is_admin"]) == ("Ada", True)
    assert (ben["real_name"], ben["is_admin"]) == ("Ben", False)


async def test_a_command_is_signed_and_its_ack_shown_only_to_its_user(harness: Harness) -> None:
    status, result = await harness.post(
        "command", {"user": BEN, "channel": CHANNEL_ID, "text": "/vps hello there"}
    )
    assert (status, result["ok"]) == (200, True)
    body = harness.seen.last("command")
    assert (body["command"], body["text"], body["user_id"]) == ("/vps", "hello there", BEN)
    assert body["channel_id"] == CHANNEL_ID and body["trigger_id"]
    assert body["response_url"].startswith(harness.playground.url)
    ben = await harness.state(BEN)
    assert [m["text"] for m in ben["ephemerals"]] == [f"hi <@{BEN}>"]
    assert (await harness.state(ADA))["ephemerals"] == []

    await harness.post("command", {"user": ADA, "text": "/vps shout"})
    await harness.post("command", {"user": ADA, "text": "just chatting"})
    ada = await harness.state(ADA)
    assert [(m["user"], m["text"]) for m in ada["messages"]] == [
        (harness.playground.api.bot_user_id, "everyone sees this"),
        (ADA, "just chatting"),
    ]


async def test_failures_read_like_slack(harness: Harness) -> None:
    _, result = await harness.post("command", {"user": ADA, "text": "/vps boom"})
    assert result == {"ok": False, "status": 500, "error": "dispatch_failed"}
    await harness.post("command", {"user": ADA, "text": "/deploy now"})
    said = [m["text"] for m in (await harness.state(ADA))["ephemerals"]]
    assert said == [
        '/vps failed with the error "dispatch_failed"',
        "`/deploy` is not a valid command.",
    ]
    status, result = await harness.post("command", {"user": "U0NOBODY", "text": "/vps hi"})
    assert status == 400 and "playground's people" in result["error"]


async def test_a_button_in_an_ephemeral_message_replaces_it(harness: Harness) -> None:
    await harness.post("command", {"user": ADA, "text": "/vps list"})
    (listing,) = (await harness.state(ADA))["ephemerals"]
    _, result = await harness.post(
        "action",
        {
            "user": ADA,
            "message_ts": listing["ts"],
            "ephemeral": True,
            "action": {"action_id": "refresh", "block_id": "b", "type": "button", "value": "v1"},
        },
    )
    assert result["ok"] is True
    body = harness.seen.last("refresh")
    assert body["container"]["is_ephemeral"] is True and "message" not in body
    assert body["actions"][0]["value"] == "v1"
    for _ in range(50):
        shown = (await harness.state(ADA))["ephemerals"]
        if shown and shown[0]["text"] == "refreshed":
            break
        await asyncio.sleep(0.05)
    assert [(m["ts"], m["text"]) for m in shown] == [(listing["ts"], "refreshed")]


async def test_modal_errors_push_and_back(harness: Harness) -> None:
    await harness.post("command", {"user": ADA, "text": "/vps form"})
    modal = (await harness.state(ADA))["modal"]
    view_id = modal["view"]["id"]
    assert modal["view"]["callback_id"] == "form" and modal["can_go_back"] is False
    assert (await harness.state(BEN))["modal"] is None  # a modal is its user's alone

    empty = {"label": {"label": {"type": "plain_text_input", "value": None}}}
    _, result = await harness.post("submit", {"user": ADA, "view_id": view_id, "state": empty})
    assert result["response_action"] == "errors"
    modal = (await harness.state(ADA))["modal"]
    assert modal["errors"] == {"label": "A label is required"}

    typed = {"label": {"label": {"type": "plain_text_input", "value": "web-1"}}}
    await harness.post(
        "action",
        {
            "user": ADA,
            "view_id": view_id,
            "action": {"action_id": "push", "block_id": "nav", "type": "button"},
            "state": typed,
        },
    )
    assert harness.seen.last("push")["view"]["state"]["values"] == typed
    for _ in range(50):
        modal = (await harness.state(ADA))["modal"]
        if modal["view"]["callback_id"] == "pushed":
            break
        await asyncio.sleep(0.05)
    assert modal["view"]["callback_id"] == "pushed" and modal["can_go_back"] is True

    await harness.post("close", {"user": ADA, "view_id": modal["view"]["id"], "back": True})
    modal = (await harness.state(ADA))["modal"]
    assert modal["view"]["id"] == view_id
    assert modal["view"]["state"]["values"] == typed  # what was typed is still there
    assert modal["errors"] == {"label": "A label is required"}  # until the next submit

    _, result = await harness.post("submit", {"user": ADA, "view_id": view_id, "state": typed})
    assert result == {"ok": True, "status": 200, "response_action": None}
    assert (await harness.state(ADA))["modal"] is None


async def test_errors_slack_would_refuse_read_like_slack(harness: Harness) -> None:
    await harness.post("command", {"user": ADA, "text": "/vps form"})
    view_id = (await harness.state(ADA))["modal"]["view"]["id"]
    off = {"label": {"label": {"type": "plain_text_input", "value": "off-input"}}}
    _, result = await harness.post("submit", {"user": ADA, "view_id": view_id, "state": off})
    assert result == {"ok": False, "status": 200, "error": "invalid_response"}
    modal = (await harness.state(ADA))["modal"]
    assert modal["view"]["id"] == view_id and modal["errors"] == {}  # nothing shown at a field
    assert modal["notice"] == "We had some trouble connecting. Try again?"


async def test_state_waits_for_a_change(harness: Harness) -> None:
    now = (await harness.state(ADA))["version"]

    async def later() -> None:
        await asyncio.sleep(0.2)
        harness.playground.api.seed_message(CHANNEL_ID, "news", user=BEN)
        harness.playground.api.touch()

    task = asyncio.create_task(later())
    loop = asyncio.get_running_loop()
    started = loop.time()
    state = await harness.state(ADA, after=now)
    await task
    assert state["version"] > now
    assert [m["text"] for m in state["messages"]] == ["news"]
    assert loop.time() - started >= 0.15  # it waited for the change, not the poll timeout


async def test_other_pages_and_hosts_are_refused(harness: Harness) -> None:
    """Another web page in the same browser may not drive or read the playground."""
    url = f"{harness.playground.url}_playground/command"
    body = json.dumps({"user": ADA, "text": "/vps hello"})
    async with harness.http.post(
        url, data=body, headers={"Content-Type": "text/plain"}
    ) as response:  # a "simple" cross-site request: no CORS preflight
        assert response.status == 415
    async with harness.http.post(
        url,
        data=body,
        headers={"Content-Type": "application/json", "Origin": "https://evil.example"},
    ) as response:
        assert response.status == 403
    state = f"{harness.playground.url}_playground/state?user={ADA}"
    async with harness.http.get(state, headers={"Host": "evil.example:3002"}) as response:
        assert response.status == 403  # DNS rebinding
    assert harness.seen.bodies == []
    async with harness.http.post(
        url,
        data=body,
        headers={"Content-Type": "application/json", "Origin": harness.playground.url[:-1]},
    ) as response:
        assert (await response.json())["ok"] is True  # the page itself


def test_the_page_draws_every_block_and_element_vpsbot_builds() -> None:
    """Each slack_sdk block or element class vpsbot's views use has its case in app.js, so
    a new one in vpsbot fails here until the page can draw it (else it shows a notice)."""
    import ast
    from pathlib import Path

    from slack_sdk.models import blocks as kit

    root = Path(__file__).resolve().parents[3]
    used: set[str] = set()
    for path in (root / "bot").rglob("*.py"):
        if "playground" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "slack_sdk.models.blocks":
                used |= {a.name for a in node.names if a.name.endswith(("Block", "Element"))}
    types = {t for name in used if (t := getattr(getattr(kit, name), "type", None))}
    assert {"section", "input", "actions", "external_select", "overflow"} <= types
    script = (root / "standins" / "playground" / "static" / "app.js").read_text()
    assert {t for t in types if f'case "{t}":' not in script} == set()


async def test_the_home_tab_sends_app_home_opened_and_shows_what_the_app_publishes(
    harness: Harness,
) -> None:
    before = await harness.state(channel=HOME_ID)
    assert before["home"] is None and before["messages"] == []
    assert {"id": HOME_ID, "name": "vpsbot", "kind": "home"} in before["channels"]
    for times in (1, 2):  # every opening of the tab is an event, as in Slack
        status, answer = await harness.post("home", {"user": ADA, "channel": HOME_ID})
        assert (status, answer["ok"]) == (200, True)
        event = harness.seen.last("home_opened")
        assert event["user"] == ADA and event["tab"] == "home"
        home = (await harness.state(channel=HOME_ID))["home"]
        assert home["type"] == "home"
        assert home["blocks"][0]["text"]["text"] == f"Opened {times} times"
    assert (await harness.state(BEN, channel=HOME_ID))["home"] is None  # Ada's alone
    status, answer = await harness.post(
        "action",
        {
            "user": ADA,
            "channel": HOME_ID,
            "view_id": home["id"],
            "action": {"action_id": "home_button", "block_id": "hello", "value": "h"},
            "state": {},
        },
    )
    assert (status, answer["ok"]) == (200, True)
    body = harness.seen.last("home_button")
    assert body["container"] == {"type": "view", "view_id": home["id"]}
    assert body["view"]["type"] == "home" and body["user"]["id"] == ADA
    status, _ = await harness.post(  # Ben cannot press Ada's Home
        "action",
        {
            "user": BEN,
            "channel": HOME_ID,
            "view_id": home["id"],
            "action": {"action_id": "home_button", "block_id": "hello", "value": "h"},
            "state": {},
        },
    )
    assert status == 400


def test_the_page_draws_every_emoji_shortcode_vpsbot_writes() -> None:
    """Every ``:shortcode:`` in a string vpsbot sends (docstrings aside) has its Unicode in
    app.js: the page never shows a raw ``:alarm_clock:`` or an empty box."""
    import ast
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    written: set[str] = set()
    for path in (root / "bot").rglob("*.py"):
        tree = ast.parse(path.read_text())
        docstrings: set[int] = set()  # ids, so only while this tree lives
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                docstrings.add(id(body[0].value))
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and id(node) not in docstrings:
                written |= set(re.findall(r":([a-z][a-z0-9_+-]*):", text))
    assert {"alarm_clock", "warning", "white_check_mark"} <= written
    script = (root / "standins" / "playground" / "static" / "app.js").read_text()
    table = script[
        script.index("const EMOJI = {") : script.index("};", script.index("const EMOJI"))
    ]
    known = set(re.findall(r'"?([a-z0-9_+-]+)"?: "', table))
    assert written - known == set()


async def test_a_port_in_use_is_one_clear_line(harness: Harness) -> None:
    taken = Playground("", port=harness.playground.port)
    with pytest.raises(PlaygroundError, match="VPSBOT_PLAYGROUND_PORT to a free port"):
        await taken.start()
