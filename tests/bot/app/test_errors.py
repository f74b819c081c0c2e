"""A listener that fails answers the person with a reference, never an HTTP 500;
payload NULs never reach a listener. Driven over signed HTTP like Slack would."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from slack_bolt.async_app import AsyncAck

from bot.app.bolt import storable_text
from bot.app.errors import on_listener_error
from tests.bot.app.test_bolt import Served, served

__all__ = ["served"]


async def test_a_command_that_raises_gets_an_apology_with_the_logged_reference(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    served.app.error(on_listener_error)

    @served.app.command("/vps")
    async def vps(ack: AsyncAck) -> None:
        raise RuntimeError("database exploded: password=hunter2")

    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        response = await served.sender.command("/vps", "list")
    assert response.status == 200
    answer = json.loads(response.body)
    assert answer["response_type"] == "ephemeral"
    ref = re.search(r"reference ([0-9a-f]{8})", answer["text"])
    assert ref is not None
    assert "hunter2" not in response.body and "exploded" not in response.body
    assert any(ref.group(1) in r.getMessage() for r in caplog.records)


async def test_a_submission_that_raises_gets_the_apology_in_the_modal(served: Served) -> None:
    served.app.error(on_listener_error)

    @served.app.view("some_form")
    async def form(ack: AsyncAck) -> None:
        raise KeyError("view")

    response = await served.sender.send_payload(
        {
            "type": "view_submission",
            "team": {"id": "T1"},
            "user": {"id": "U1", "team_id": "T1"},
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": "some_form",
                "state": {"values": {}},
            },
        }
    )
    assert response.status == 200
    answer = json.loads(response.body)
    assert answer["response_action"] == "update"
    assert "reference" in json.dumps(answer["view"])


async def test_nul_characters_never_reach_a_listener(served: Served) -> None:
    seen: list[str] = []
    served.app.use(storable_text)

    @served.app.command("/vps")
    async def vps(ack: AsyncAck, command: dict[str, Any]) -> None:
        seen.append(command["text"])
        await ack()

    response = await served.sender.command("/vps", "show web\x00-1\x00")
    assert response.status == 200
    assert seen == ["show web-1"]


async def test_lone_surrogates_become_replacement_characters_and_pairs_stay(
    served: Served,
) -> None:
    seen: list[Any] = []
    served.app.use(storable_text)

    @served.app.action("pick")
    async def pick(ack: AsyncAck, body: dict[str, Any], context: Any) -> None:
        seen.append((body["actions"][0]["value"], body["view"]["id"], context["user_id"]))
        await ack()

    # spelled as JSON escapes, the way a payload can carry them
    payload = (
        '{"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U\\udc00X"},'
        ' "view": {"id": "V\\ud800", "type": "modal", "callback_id": "c"},'
        ' "actions": [{"action_id": "pick", "block_id": "b",'
        ' "value": "ok \\ud83d\\ude00 \\udfff"}]}'
    )
    response = await served.sender.send_form({"payload": payload})
    assert response.status == 200
    assert seen == [("ok \U0001f600 \ufffd", "V\ufffd", "U\ufffdX")]


async def test_nul_characters_in_ids_never_reach_a_listener(served: Served) -> None:
    seen: list[Any] = []
    served.app.use(storable_text)

    @served.app.command("/vps")
    async def vps(ack: AsyncAck, context: Any) -> None:
        seen.append((context["team_id"], context["user_id"]))
        await ack()

    response = await served.sender.send_form(
        {
            "command": "/vps",
            "text": "list",
            "team_id": "T0\x0001",
            "user_id": "U\x00001",
            "channel_id": "C1",
            "trigger_id": "1.2.t",
        }
    )
    assert response.status == 200
    assert seen == [("T001", "U001")]
