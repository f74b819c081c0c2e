"""Waiting for Slack to have a request's answer (bot.core.answered)."""

from __future__ import annotations

import asyncio

import pytest

from bot.core import answered
from bot.core.answered import answer_sent, answering


async def test_outside_a_request_there_is_nothing_to_wait_for() -> None:
    await asyncio.wait_for(answer_sent(), 0.1)


async def test_a_listener_task_waits_for_its_requests_answer() -> None:
    went_on = asyncio.Event()

    async def listener() -> None:
        await answer_sent()
        went_on.set()

    with answering() as sent:
        task = asyncio.create_task(listener())  # copies the request's context
        await asyncio.sleep(0.02)
        assert not went_on.is_set()
        sent.set()
        await asyncio.wait_for(task, 1)
    assert went_on.is_set()


async def test_a_request_that_fails_still_releases_its_listeners() -> None:
    task: asyncio.Task[None] | None = None
    with pytest.raises(RuntimeError), answering():
        task = asyncio.create_task(answer_sent())
        raise RuntimeError("the dispatch failed")
    assert task is not None
    await asyncio.wait_for(task, 1)


async def test_an_answer_that_never_goes_out_is_waited_for_a_bounded_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(answered, "ANSWER_WAIT_SECONDS", 0.05)
    with answering():
        await asyncio.wait_for(answer_sent(), 1)
