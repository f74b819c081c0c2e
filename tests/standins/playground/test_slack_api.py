"""The Slack Web API stand-in, exercised through slack_sdk's real AsyncWebClient."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from standins.playground.slack_api import SlackStandIn, WaitTimeout

TOKEN = "xoxb-test-token"


def modal(n_blocks: int = 1, **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "create_vps",
        "title": {"type": "plain_text", "text": "Create a server"},
        "submit": {"type": "plain_text", "text": "Create"},
        "private_metadata": '{"channel": "C0001"}',
        "blocks": [
            {"type": "section", "block_id": f"s{i}", "text": {"type": "mrkdwn", "text": f"#{i}"}}
            for i in range(n_blocks)
        ],
    }
    view.update(extra)
    return view


def section_blocks(n: int) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": str(i)}} for i in range(n)]


@pytest.fixture
async def api() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn(bot_token=TOKEN, team_id="T0001", bot_user_id="U0BOT") as stand_in:
        yield stand_in


@pytest.fixture
def client(api: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=api.base_url)


async def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as excinfo:
        await call
    return str(excinfo.value.response["error"])


async def test_base_url_is_loopback_and_auth_test_answers(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    assert api.base_url == f"http://127.0.0.1:{api.port}/api/"
    resp = await client.auth_test()
    assert resp["ok"] is True
    assert (resp["user_id"], resp["team_id"], resp["bot_id"]) == ("U0BOT", "T0001", "B0BOT")
    assert resp["url"].startswith("https://")
    assert "chat:write" in resp.headers["X-OAuth-Scopes"]
    assert [c.method for c in api.calls] == ["auth.test"]
    assert api.calls[0].token == TOKEN


async def test_views_open_returns_id_and_hash_and_records(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    resp = await client.views_open(trigger_id="123.456.abc", view=modal())
    view = resp["view"]
    assert view["id"].startswith("V") and view["hash"]
    assert view["callback_id"] == "create_vps"
    assert view["private_metadata"] == '{"channel": "C0001"}'
    assert view["state"] == {"values": {}}
    assert view["root_view_id"] == view["id"] and view["previous_view_id"] is None
    assert api.views[view["id"]] == view
    (call,) = api.calls_to("views.open")
    assert call.ok and call.args["trigger_id"] == "123.456.abc"
    assert call.args["view"]["callback_id"] == "create_vps"
    assert call.content_type == "application/json"


async def test_a_recorded_answer_is_the_answer_as_sent_not_the_state_since(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    # a views.* answer is the view the stand-in keeps: the call records it as answered
    api.delays["views.open"] = 0.05
    opening = asyncio.ensure_future(client.views_open(trigger_id="t1", view=modal()))
    call = await api.wait_for_call("views.open")
    view_id = call.response["view"]["id"]
    api.views[view_id]["state"]["values"]["s0"] = {"a": {"type": "plain_text_input"}}
    sent = (await opening)["view"]
    assert sent["state"] == {"values": {}}  # encoded at the call, not after the delay
    await client.views_update(view_id=view_id, view=modal(2))
    assert call.response == {"ok": True, "view": sent}
    assert call.response["view"] is not api.views[view_id]
    # 5xx: no JSON was sent; the recorded response is the error
    api.fail("views.open", status=503)
    with pytest.raises(SlackApiError):
        await client.views_open(trigger_id="t2", view=modal())
    failed = api.calls[-1]
    assert (failed.status, failed.response, failed.response_text) == (
        503,
        {"ok": False, "error": "http_503"},
        None,
    )


async def test_views_open_checks_trigger_id_like_slack(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    assert await error_of(client.api_call("views.open", json={"view": modal()})) == (
        "invalid_arguments"
    )
    trigger = api.new_trigger_id()
    await client.views_open(trigger_id=trigger, view=modal())
    assert await error_of(client.views_open(trigger_id=trigger, view=modal())) == (
        "exchanged_trigger_id"
    )
    assert [c.ok for c in api.calls_to("views.open")] == [False, True, False]
    assert len(api.views) == 1


async def test_views_update_hash_conflict_and_success(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    opened = (await client.views_open(trigger_id="t1", view=modal(external_id="ext-1")))["view"]
    first = await client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal(2))
    assert first["view"]["id"] == opened["id"]
    assert first["view"]["hash"] != opened["hash"]
    assert len(api.views[opened["id"]]["blocks"]) == 2

    # The hash from views.open is stale now.
    err = await error_of(
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal(3))
    )
    assert err == "hash_conflict"
    assert len(api.views[opened["id"]]["blocks"]) == 2
    assert api.calls[-1].method == "views.update" and api.calls[-1].error == "hash_conflict"

    by_external = await client.views_update(external_id="ext-1", view=modal(4))
    assert by_external["view"]["id"] == opened["id"]
    assert api.views[opened["id"]]["hash"] == by_external["view"]["hash"]
    assert await error_of(client.views_update(view_id="VNOPE", view=modal())) == "not_found"
    api.close_view(opened["id"])
    assert await error_of(client.views_update(view_id=opened["id"], view=modal())) == "not_found"


async def test_views_push_stacks_on_the_view_the_trigger_came_from(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    root = (await client.views_open(trigger_id="t1", view=modal()))["view"]
    second = (await client.views_push(trigger_id=api.new_trigger_id(root["id"]), view=modal()))[
        "view"
    ]
    assert second["previous_view_id"] == root["id"]
    assert second["root_view_id"] == root["id"]
    third = (await client.views_push(trigger_id=api.new_trigger_id(second["id"]), view=modal()))[
        "view"
    ]
    assert third["previous_view_id"] == second["id"]
    err = await error_of(
        client.views_push(trigger_id=api.new_trigger_id(third["id"]), view=modal())
    )
    assert err == "push_limit_reached"


async def test_views_publish_keeps_one_home_view_per_user(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    home = {"type": "home", "blocks": section_blocks(2)}
    first = (await client.views_publish(user_id="U0001", view=home))["view"]
    second = (await client.views_publish(user_id="U0001", view=home))["view"]
    assert first["id"] == second["id"] and first["hash"] != second["hash"]
    assert api.home_views == {"U0001": first["id"]}
    assert api.views[first["id"]]["type"] == "home"
    err = await error_of(client.views_publish(user_id="U0001", view=home, hash=first["hash"]))
    assert err == "hash_conflict"
    assert await error_of(client.views_publish(user_id="U0001", view=modal())) == (
        "invalid_arguments"
    )


async def test_post_message_then_update_keeps_messages_current(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    blocks = section_blocks(2)
    posted = await client.chat_postMessage(channel="C0001", text="creating…", blocks=blocks)
    assert posted["channel"] == "C0001"
    ts = posted["ts"]
    assert api.messages[("C0001", ts)]["text"] == "creating…"
    assert api.messages[("C0001", ts)]["blocks"] == blocks
    assert api.messages[("C0001", ts)]["user"] == "U0BOT"

    reply = await client.chat_postMessage(channel="C0001", text="log", thread_ts=ts)
    assert float(reply["ts"]) > float(ts)
    assert api.messages[("C0001", reply["ts"])]["thread_ts"] == ts
    assert api.messages[("C0001", ts)]["reply_count"] == 1

    updated = await client.chat_update(channel="C0001", ts=ts, text="ready", blocks=[])
    assert updated["ts"] == ts and updated["message"]["text"] == "ready"
    assert api.messages[("C0001", ts)]["text"] == "ready"
    assert api.messages[("C0001", ts)]["blocks"] == []
    assert await error_of(client.chat_update(channel="C0001", ts="1.2", text="x")) == (
        "message_not_found"
    )
    assert [c.method for c in api.calls] == [
        "chat.postMessage",
        "chat.postMessage",
        "chat.update",
        "chat.update",
    ]


async def test_message_rules(api: SlackStandIn, client: AsyncWebClient) -> None:
    no_text = client.api_call("chat.postMessage", json={"channel": "C0001"})
    assert await error_of(no_text) == "no_text"
    dm = await client.chat_postMessage(channel="U0042", text="hi")
    assert dm["channel"] == "D0042" and ("D0042", dm["ts"]) in api.messages
    theirs = api.seed_message("C0001", "a person's message")
    assert await error_of(client.chat_update(channel="C0001", ts=theirs, text="x")) == (
        "cant_update_message"
    )


async def test_form_encoded_calls_are_decoded(api: SlackStandIn, client: AsyncWebClient) -> None:
    blocks = section_blocks(1)
    await client.api_call(
        "chat.postMessage", data={"channel": "C0001", "text": "t", "blocks": json.dumps(blocks)}
    )
    (call,) = api.calls_to("chat.postMessage")
    assert call.args == {"channel": "C0001", "text": "t", "blocks": blocks}
    assert call.content_type == "application/x-www-form-urlencoded"
    api.users["U0001"] = {"name": "ann", "is_admin": True, "tz": "Europe/Berlin"}
    user = (await client.users_info(user="U0001"))["user"]  # GET with query string
    assert api.calls[-1].http_method == "GET"
    assert (user["id"], user["name"], user["is_admin"], user["is_owner"]) == (
        "U0001",
        "ann",
        True,
        False,
    )
    assert user["tz"] == "Europe/Berlin" and user["team_id"] == "T0001"
    assert await error_of(client.users_info(user="U0404")) == "user_not_found"


async def test_users_info_answers_in_the_callers_workspace(api: SlackStandIn) -> None:
    code = api.issue_code("T0TWO", "U0ANN")
    async with aiohttp.ClientSession() as http:
        raw = await AsyncWebClient(base_url=api.base_url, session=http).oauth_v2_access(
            client_id=api.client_id, client_secret=api.client_secret, code=code
        )
        two = AsyncWebClient(token=str(raw["access_token"]), base_url=api.base_url, session=http)
        api.users["U0CAROL"] = {"name": "carol"}
        api.users["U0HOOK"] = {"name": "hook", "is_bot": True}
        api.users["U0GONE"] = {"name": "gone", "deleted": True, "team_id": "T0001"}
        carol = (await two.users_info(user="U0CAROL"))["user"]
        assert carol["team_id"] == "T0TWO"  # asked with T0TWO's token: one of its members
        assert (carol["is_bot"], carol["deleted"]) == (False, False)
        assert (await two.users_info(user="U0HOOK"))["user"]["is_bot"] is True
        gone = (await two.users_info(user="U0GONE"))["user"]
        assert (gone["deleted"], gone["team_id"]) == (True, "T0001")  # what was stored wins


async def test_post_ephemeral_is_recorded(api: SlackStandIn, client: AsyncWebClient) -> None:
    resp = await client.chat_postEphemeral(channel="C0001", user="U0001", text="only you")
    assert resp["message_ts"]
    assert api.ephemerals == [{"channel": "C0001", "user": "U0001", "text": "only you"}]
    assert api.messages == {}


async def test_conversations_info(api: SlackStandIn, client: AsyncWebClient) -> None:
    api.channels["C0001"] = {"name": "ops", "is_private": True}
    channel = (await client.conversations_info(channel="C0001"))["channel"]
    assert (channel["id"], channel["name"], channel["is_private"]) == ("C0001", "ops", True)
    assert await error_of(client.conversations_info(channel="C404")) == "channel_not_found"


async def test_fail_next(api: SlackStandIn, client: AsyncWebClient) -> None:
    api.fail_next("chat.postMessage", count=2)
    api.fail_next("chat.postMessage", error="channel_not_found")
    for expected in ("not_in_channel", "not_in_channel", "channel_not_found"):
        assert await error_of(client.chat_postMessage(channel="C0001", text="x")) == expected
    assert (await client.chat_postMessage(channel="C0001", text="x"))["ok"]
    assert len(api.messages) == 1  # failed calls changed nothing
    assert [c.error for c in api.calls_to("chat.postMessage")] == [
        "not_in_channel",
        "not_in_channel",
        "channel_not_found",
        None,
    ]

    api.fail_next("views.open", error="ratelimited")
    with pytest.raises(SlackApiError) as excinfo:
        await client.views_open(trigger_id="t", view=modal())
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "1"


async def post_raw(api: SlackStandIn, method: str, **args: Any) -> tuple[int, Any, str]:
    """POST a Web API call with plain aiohttp: status, headers and the body as text."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{api.base_url}{method}",
            json=args,
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as resp,
    ):
        return resp.status, resp.headers, await resp.text()


async def test_fail_429_with_retry_after_for_the_next_n_calls(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    api.fail("chat.update", status=429, retry_after=7, times=2)
    ts = (await client.chat_postMessage(channel="C0001", text="v1"))["ts"]
    assert api.pending_faults("chat.update") == 2
    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            await client.chat_update(channel="C0001", ts=ts, text="v2")
        assert excinfo.value.response.status_code == 429
        assert excinfo.value.response.headers["Retry-After"] == "7"
        assert excinfo.value.response["error"] == "ratelimited"
    assert api.messages[("C0001", ts)]["text"] == "v1"  # a refused update changed nothing
    assert (await client.chat_update(channel="C0001", ts=ts, text="v2"))["ok"]
    assert api.messages[("C0001", ts)]["text"] == "v2"
    assert [(c.status, c.error) for c in api.calls_to("chat.update")] == [
        (429, "ratelimited"),
        (429, "ratelimited"),
        (200, None),
    ]
    assert api.pending_faults("chat.update") == 0


async def test_fail_5xx_answers_an_html_page_not_json(api: SlackStandIn) -> None:
    api.fail("chat.postMessage", status=503)
    api.fail("chat.postMessage", status=500, retry_after=3)
    status, headers, body = await post_raw(api, "chat.postMessage", channel="C0001", text="x")
    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert body.startswith("<!DOCTYPE html>") and "503 Service Unavailable" in body
    with pytest.raises(ValueError):
        json.loads(body)
    status, headers, body = await post_raw(api, "chat.postMessage", channel="C0001", text="x")
    assert (status, headers["Retry-After"]) == (500, "3")
    assert "500 Internal Server Error" in body
    status, _, body = await post_raw(api, "chat.postMessage", channel="C0001", text="x")
    assert status == 200 and json.loads(body)["ok"] is True
    assert len(api.messages) == 1
    assert [c.status for c in api.calls_to("chat.postMessage")] == [503, 500, 200]


@pytest.mark.parametrize(
    ("method", "error"),
    [
        ("chat.postMessage", "not_in_channel"),
        ("views.update", "hash_conflict"),
        ("views.open", "expired_trigger_id"),
        ("users.info", "some_future_error"),
    ],
)
async def test_fail_any_ok_false_error(
    api: SlackStandIn, client: AsyncWebClient, method: str, error: str
) -> None:
    api.users["U1"] = {"name": "ada"}
    api.fail(method, error, times=1)
    status, _, body = await post_raw(api, method)
    assert status == 200
    assert json.loads(body) == {"ok": False, "error": error}
    assert api.calls_to(method)[-1].error == error
    # served again afterwards: the method's own validation answers now
    status, _, body = await post_raw(api, method)
    assert json.loads(body).get("error") != error


async def test_faults_queue_per_method_and_can_be_cleared(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    api.fail("chat.postMessage", "not_in_channel")
    api.fail("chat.postMessage", status=429)
    api.fail("chat.postEphemeral", "user_not_in_channel")
    assert await error_of(client.chat_postMessage(channel="C0001", text="x")) == "not_in_channel"
    with pytest.raises(SlackApiError) as excinfo:
        await client.chat_postMessage(channel="C0001", text="x")
    assert excinfo.value.response.headers["Retry-After"] == "1"
    api.clear_faults()
    assert (await client.chat_postEphemeral(channel="C0001", user="U1", text="x"))["ok"]
    assert api.pending_faults("chat.postEphemeral") == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"times": 0, "error": "x"}, "times"),
        ({"status": 200}, "needs its error"),
        ({"status": 404, "error": "x"}, "200, 429 or 5xx"),
    ],
)
def test_fail_refuses_what_slack_never_answers(
    api: SlackStandIn, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        api.fail("chat.update", **kwargs)
    assert api.pending_faults("chat.update") == 0


async def test_invalid_auth_and_unknown_method(api: SlackStandIn) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=api.base_url)
    assert await error_of(wrong.chat_postMessage(channel="C0001", text="x")) == "invalid_auth"
    anonymous = AsyncWebClient(base_url=api.base_url)
    assert await error_of(anonymous.auth_test()) == "invalid_auth"
    client = AsyncWebClient(token=TOKEN, base_url=api.base_url)
    assert await error_of(client.api_call("chat.explode", json={})) == "unknown_method"
    assert [(c.method, c.error) for c in api.calls] == [
        ("chat.postMessage", "invalid_auth"),
        ("auth.test", "invalid_auth"),
        ("chat.explode", "unknown_method"),
    ]
    assert api.messages == {}


async def test_block_kit_limits(api: SlackStandIn, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        await client.views_open(trigger_id="t1", view=modal(n_blocks=101))
    assert excinfo.value.response["error"] == "invalid_arguments"
    assert "101" in excinfo.value.response["response_metadata"]["messages"][0]
    assert (await client.views_open(trigger_id="t2", view=modal(n_blocks=100)))["ok"]

    assert await error_of(
        client.chat_postMessage(channel="C0001", text="x", blocks=section_blocks(51))
    ) == ("invalid_blocks")
    assert (await client.chat_postMessage(channel="C0001", text="x", blocks=section_blocks(50)))[
        "ok"
    ]

    long_title = modal(title={"type": "plain_text", "text": "x" * 25})
    assert await error_of(client.views_open(trigger_id="t3", view=long_title)) == (
        "invalid_arguments"
    )
    inputs = modal(submit=None)
    inputs["blocks"] = [
        {
            "type": "input",
            "block_id": "label",
            "label": {"type": "plain_text", "text": "Label"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ]
    assert await error_of(client.views_open(trigger_id="t4", view=inputs)) == "invalid_arguments"
    duplicate = section_blocks(2)
    duplicate[0]["block_id"] = duplicate[1]["block_id"] = "same"
    assert await error_of(client.chat_postMessage(channel="C0001", text="x", blocks=duplicate)) == (
        "invalid_blocks"
    )
    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    assert await error_of(
        client.chat_postMessage(channel="C0001", text="x", blocks=long_section)
    ) == ("invalid_blocks")


async def test_wait_for_and_wait_for_call(api: SlackStandIn, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C0001", text="v1")

    async def later(text: str) -> None:
        await asyncio.sleep(0.01)
        await client.chat_update(channel="C0001", ts=posted["ts"], text=text)

    async with api.wait_for("chat.update") as got:
        task = asyncio.create_task(later("v2"))
    assert got.call.args["text"] == "v2"
    await task

    mark = api.mark()
    task = asyncio.create_task(later("v3"))
    call = await api.wait_for_call("chat.update", after=mark)
    assert call.args["text"] == "v3" and call.ok
    await task
    # Already-recorded calls count; a predicate picks one out.
    picked = await api.wait_for_call("chat.update", lambda c: c.args["text"] == "v2")
    assert picked is got.call

    with pytest.raises(WaitTimeout, match=r"views.open"):
        await api.wait_for_call("views.open", timeout=0.05)
    with pytest.raises(WaitTimeout):
        async with api.wait_for("chat.update", count=1, timeout=0.05):
            pass


async def test_response_urls(api: SlackStandIn, client: AsyncWebClient) -> None:
    ts = (await client.chat_postMessage(channel="C0001", text="Delete srv-1?"))["ts"]
    url = api.response_url(channel="C0001", message_ts=ts)
    assert url.startswith(api.root_url + "/response/")
    hook = AsyncWebhookClient(url)
    await hook.send_dict({"replace_original": True, "text": "Deleted srv-1"})
    assert api.messages[("C0001", ts)]["text"] == "Deleted srv-1"
    assert api.responses[-1].payload["text"] == "Deleted srv-1"
    assert api.responses[-1].message_ts == ts

    command_url = api.response_url(channel="C0001")
    await AsyncWebhookClient(command_url).send_dict({"response_type": "in_channel", "text": "hi"})
    assert [m["text"] for m in api.messages.values()] == ["Deleted srv-1", "hi"]
    post = await api.wait_for_response(lambda p: p.payload.get("text") == "hi")
    assert post.channel == "C0001"

    await hook.send_dict({"delete_original": True})
    assert ("C0001", ts) not in api.messages
    for _ in range(3):
        assert (await hook.send_dict({"text": "again"})).status_code == 200
    assert (await hook.send_dict({"text": "sixth"})).status_code == 404  # five uses per URL
    async with (
        aiohttp.ClientSession() as session,
        session.post(api.root_url + "/response/nope", json={"text": "x"}) as resp,
    ):
        assert resp.status == 404


async def test_view_submission_acks_change_the_stack(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    root = (await client.views_open(trigger_id="t1", view=modal()))["view"]
    api.apply_view_submission_ack(root["id"], {"response_action": "errors", "errors": {}})
    assert api.is_open(root["id"])
    api.apply_view_submission_ack(root["id"], {"response_action": "update", "view": modal(3)})
    assert len(api.views[root["id"]]["blocks"]) == 3 and api.is_open(root["id"])
    api.apply_view_submission_ack(root["id"], {"response_action": "push", "view": modal()})
    pushed = [v for v in api.views.values() if v["previous_view_id"] == root["id"]]
    assert len(pushed) == 1
    api.apply_view_submission_ack(pushed[0]["id"], None)
    assert not api.is_open(pushed[0]["id"]) and api.is_open(root["id"])
    api.apply_view_submission_ack(root["id"], {"response_action": "clear"})
    assert not api.is_open(root["id"])


async def test_ephemeral_messages_as_a_person_sees_them(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    posted = await client.chat_postEphemeral(channel="C0001", user="U1", text="only you")
    ack_ts = api.add_ephemeral("C0001", "U1", {"text": "a command's ack"})
    assert [(m["text"], m["user"], m["channel"]) for m in api.ephemeral_messages.values()] == [
        ("only you", "U1", "C0001"),
        ("a command's ack", "U1", "C0001"),
    ]
    assert posted["message_ts"] in api.ephemeral_messages

    # a button in the ack's message: its response_url belongs to that ephemeral message
    hook = AsyncWebhookClient(
        api.response_url(channel="C0001", message_ts=ack_ts, user="U1", ephemeral=True)
    )
    await hook.send_dict({"replace_original": True, "text": "replaced"})
    assert api.ephemeral_messages[ack_ts]["text"] == "replaced"
    await hook.send_dict({"text": "one more line"})  # not replacing: a new ephemeral
    assert [m["text"] for m in api.ephemeral_messages.values()][-1] == "one more line"
    await hook.send_dict({"delete_original": True})
    assert ack_ts not in api.ephemeral_messages
    assert len(api.messages) == 0  # none of it reached the channel

    api.dismiss_ephemeral(posted["message_ts"])
    assert posted["message_ts"] not in api.ephemeral_messages


async def test_modals_belong_to_the_user_of_their_trigger(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    first = (await client.views_open(trigger_id=api.new_trigger_id(user="U1"), view=modal()))[
        "view"
    ]
    other = (await client.views_open(trigger_id=api.new_trigger_id(user="U2"), view=modal()))[
        "view"
    ]
    push_trigger = api.new_trigger_id(first["id"], user="U1")
    pushed = (await client.views_push(trigger_id=push_trigger, view=modal()))["view"]
    assert [v["id"] for v in api.open_modals("U1")] == [first["id"], pushed["id"]]
    assert [v["id"] for v in api.open_modals("U2")] == [other["id"]]

    # tests may keep several of one user's sessions open; the playground, like Slack, not
    second = (await client.views_open(trigger_id=api.new_trigger_id(user="U1"), view=modal()))[
        "view"
    ]
    assert len(api.open_modals("U1")) == 3
    api.one_modal_stack_per_user = True
    third = (await client.views_open(trigger_id=api.new_trigger_id(user="U1"), view=modal()))[
        "view"
    ]
    assert [v["id"] for v in api.open_modals("U1")] == [third["id"]]
    assert not api.is_open(second["id"]) and api.is_open(other["id"])


async def test_wait_changed_wakes_on_any_change(api: SlackStandIn, client: AsyncWebClient) -> None:
    before = api.version
    assert await api.wait_changed(before, timeout=0.05) == before  # nothing happened
    waiter = asyncio.create_task(api.wait_changed(before, timeout=5))
    await client.chat_postMessage(channel="C0001", text="x")
    assert await waiter > before
    now = api.version
    api.touch()
    assert await api.wait_changed(now, timeout=5) == now + 1
