"""Every id field of every payload kind that reaches a column, set to an id too long
for it (the tables hold Slack ids in ``varchar(32)``): never a 500, never a logged
error, never a write that fails. Deterministic: each (payload, field, value) once."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.home.views import HOME_DETAILS
from bot.spend.requests import APPROVE_ACTION
from bot.status.leases import EXTEND_ACTION
from tests.fuzz.payloads import OVERSIZED_IDS
from tests.fuzz.stack import ADMIN, TEAM, USER, Stack

JSON = dict[str, Any]
#: Just over 32, well over, and over every text column a value reaches.
_TOO_LONG = [v for v in OVERSIZED_IDS if len(v) in (33, 41, 101)]


def _base(kind: str, user: str = USER) -> JSON:
    return {
        "type": kind,
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
    }


def _create_action(stack: Stack) -> JSON:
    """Step 1 of a create modal nobody acted in yet: the first action makes its draft."""
    payload = _base("block_actions")
    payload["actions"] = [
        {
            "action_id": "create_provider",
            "block_id": "provider",
            "type": "static_select",
            "selected_option": {"value": stack.bot.provider_id("linode")},
        }
    ]
    payload["view"] = {
        "id": "V0FRESH9",
        "type": "modal",
        "callback_id": "vps_create:plan",
        "hash": "1.a",
        "private_metadata": json.dumps({"channel": "C0001"}),
        "blocks": [],
        "state": {"values": {}},
    }
    payload["container"] = {"type": "view", "view_id": "V0FRESH9"}
    payload["trigger_id"] = stack.api.new_trigger_id()
    return payload


def _message_action(stack: Stack, action_id: str, user: str = USER) -> JSON:
    ts = f"{int(time.time())}.000100"
    payload = _base("block_actions", user)
    payload["actions"] = [{"action_id": action_id, "block_id": "b", "type": "button", "value": "x"}]
    payload["container"] = {"type": "message", "message_ts": ts, "channel_id": "C0001"}
    payload["channel"] = {"id": "C0001", "name": "general"}
    payload["message"] = {"type": "message", "ts": ts, "text": "", "bot_id": "B0BOT"}
    payload["response_url"] = stack.api.response_url(channel="C0001", message_ts=ts)
    payload["trigger_id"] = stack.api.new_trigger_id()
    return payload


def _add_admin(stack: Stack) -> JSON:
    payload = _base("block_actions", ADMIN)
    payload["actions"] = [
        {"action_id": "admin_add_admin", "block_id": "b", "type": "users_select",
         "selected_user": "U0002"}
    ]  # fmt: skip
    payload["view"] = copy.deepcopy(stack.seeded_views[stack.admin_view_id])
    payload["container"] = {"type": "view", "view_id": stack.admin_view_id}
    payload["trigger_id"] = stack.api.new_trigger_id(stack.admin_view_id)
    return payload


def _home_opened(stack: Stack) -> JSON:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": "Ev0000000001",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": USER, "channel": "D0001", "tab": "home"},
        "authorizations": [{"team_id": TEAM, "user_id": "U0BOT", "is_bot": True}],
    }


def _uninstalled(stack: Stack) -> JSON:
    envelope = _home_opened(stack)
    envelope["team_id"] = "T0002"
    envelope["authorizations"] = [{"team_id": "T0002", "user_id": "U0BOT", "is_bot": True}]
    envelope["event"] = {"type": "app_uninstalled"}
    return envelope


#: (name, payload builder, the id fields to overflow as key paths, sent as JSON?)
_CASES: list[tuple[str, Callable[[Stack], JSON], list[tuple[Any, ...]], bool]] = [
    (
        "create's first action",
        _create_action,
        [
            ("view", "id"),
            ("container", "view_id"),
            ("user", "id"),
            ("team", "id"),
            ("view", "private_metadata", "channel"),
        ],
        False,
    ),
    *(
        (
            f"{action} in a message",
            lambda s, a=action: _message_action(s, a),
            [
                ("actions", 0, "value"),
                ("channel", "id"),
                ("container", "channel_id"),
                ("container", "message_ts"),
                ("message", "ts"),
                ("user", "id"),
            ],
            False,
        )
        for action in (APPROVE_ACTION, EXTEND_ACTION, HOME_DETAILS)
    ),
    ("add admin", _add_admin, [("actions", 0, "selected_user"), ("team", "id")], False),
    ("home opened", _home_opened, [("event", "user"), ("event", "channel"), ("team_id",)], True),
    ("uninstalled", _uninstalled, [("team_id",), ("authorizations", 0, "team_id")], True),
]


def _set(payload: JSON, path: tuple[Any, ...], value: str) -> None:
    if path[-1] == "channel" and path[:2] == ("view", "private_metadata"):
        payload["view"]["private_metadata"] = json.dumps({"channel": value})
        return
    parent: Any = payload
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value


@pytest.mark.parametrize("name,build,paths,as_json", _CASES, ids=[c[0] for c in _CASES])
async def test_ids_too_long_for_their_columns(
    stack: Stack,
    counted: None,
    name: str,
    build: Callable[[Stack], JSON],
    paths: list[tuple[Any, ...]],
    as_json: bool,
) -> None:
    for path in paths:
        for value in _TOO_LONG:
            payload = build(stack)
            _set(payload, path, value)
            send = stack.slack.send_json if as_json else stack.slack.send_payload
            what = f"{name} with {'.'.join(map(str, path))} = {value[:12]}… ({len(value)})"
            response = await stack.exchange(
                lambda p=payload, s=send: s(p), what, tolerate_known=False
            )
            assert response.status < 500
