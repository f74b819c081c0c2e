"""Block actions, view submissions, closed views and options loads, mutated."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given

from tests.fuzz import payloads
from tests.fuzz.profiles import fuzz_settings
from tests.fuzz.stack import Stack

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
