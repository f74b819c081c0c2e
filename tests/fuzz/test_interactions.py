"""Block actions, view submissions, closed views and options loads, mutated."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given

from tests.fuzz import payloads
from tests.fuzz.profiles import fuzz_settings
from tests.fuzz.stack import TEAM, USER, Stack

JSON = dict[str, Any]


def _what(payload: JSON) -> str:
    return f"{payload.get('type')!r} payload {json.dumps(payload)[:800]}"


async def _send(stack: Stack, payload: JSON) -> None:
    await stack.exchange(lambda: stack.slack.send_payload(payload), _what(payload))


@fuzz_settings(weight=2.5)
@given(payload=payloads.BLOCK_ACTIONS)
async def test_block_actions_never_fail(stack: Stack, counted: None, payload: JSON) -> None:
    await _send(stack, payload)


@fuzz_settings(weight=2.5)
@given(payload=payloads.VIEW_SUBMISSION)
async def test_view_submissions_never_fail(stack: Stack, counted: None, payload: JSON) -> None:
    await _send(stack, payload)


@fuzz_settings(weight=0.7)
@given(payload=payloads.VIEW_CLOSED)
async def test_closed_views_never_fail(stack: Stack, counted: None, payload: JSON) -> None:
    await _send(stack, payload)


@fuzz_settings(weight=1.0)
@given(payload=payloads.BLOCK_SUGGESTION)
async def test_options_loads_never_fail(stack: Stack, counted: None, payload: JSON) -> None:
    await _send(stack, payload)


async def test_every_listener_is_reached(stack: Stack) -> None:
    """The fuzzer's ids reach every listener the app registers, and none is stale:
    a listener added (or an id renamed) in bot/ without updating payloads.py fails here."""
    from slack_bolt.request.async_request import AsyncBoltRequest
    from slack_bolt.response import BoltResponse

    from bot.app.bolt import build_bolt_app

    app = build_bolt_app(stack.bot.services)
    who = {"user": {"id": USER}, "team": {"id": TEAM}}
    bodies = {f"command {word}": {"command": "/vps", "text": word} for word in ["help"]}
    for action_id in payloads.ACTION_IDS:
        bodies[f"action {action_id}"] = {
            "type": "block_actions",
            "actions": [{"action_id": action_id, "block_id": "b"}],
            **who,
        }
    for kind in ("view_submission", "view_closed"):
        for callback_id in payloads.CALLBACK_IDS:
            view = {"id": "V1", "type": "modal", "callback_id": callback_id}
            bodies[f"{kind} {callback_id}"] = {"type": kind, "view": view, **who}
    for action_id in payloads.SUGGESTION_IDS:
        bodies[f"options {action_id}"] = {"type": "block_suggestion", "action_id": action_id, **who}
    for event_type in payloads.EVENT_TYPES:
        event = {"type": event_type}
        bodies[f"event {event_type}"] = {"type": "event_callback", "event": event, "team_id": TEAM}

    listeners = list(app._async_listeners)
    reached: set[int] = set()
    unmatched = []
    for name, body in bodies.items():
        hits = []
        for i, listener in enumerate(listeners):
            request = AsyncBoltRequest(
                body=json.dumps(body), headers={"content-type": "application/json"}
            )
            if await listener.async_matches(req=request, resp=BoltResponse(status=200)):
                hits.append(i)
        reached.update(hits)
        expected = not name.startswith("view_closed") and not any(
            name.endswith(" " + c) for c in payloads.NO_SUBMISSION
        )
        if not hits and expected:
            unmatched.append(name)
    missed = [listeners[i].ack_function.__name__ for i in range(len(listeners)) if i not in reached]
    assert missed == [], f"listeners no fuzz payload reaches: {missed}"
    assert unmatched == [], f"fuzz ids no listener answers (stale?): {unmatched}"


@fuzz_settings(weight=0.6)
@given(payload=payloads.GLOBAL_SHORTCUT)
async def test_global_shortcuts_never_fail(stack: Stack, counted: None, payload: JSON) -> None:
    await _send(stack, payload)


@fuzz_settings(weight=0.6)
@given(payload=payloads.MESSAGE_SHORTCUT)
async def test_message_shortcuts_never_fail(stack: Stack, counted: None, payload: JSON) -> None:
    await _send(stack, payload)


@fuzz_settings(weight=0.6)
@given(payload=payloads.WORKFLOW_STEP_EDIT)
async def test_legacy_workflow_step_edits_never_fail(
    stack: Stack, counted: None, payload: JSON
) -> None:
    await _send(stack, payload)


@fuzz_settings(weight=1.2)
@given(envelope=payloads.EVENTS)
async def test_events_never_fail(stack: Stack, counted: None, envelope: JSON) -> None:
    await stack.exchange(lambda: stack.slack.send_json(envelope), _what(envelope))
