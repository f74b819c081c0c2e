"""The Bolt app answers Slack the moment a listener acks, and the work goes on,
kept until it is done so shutdown can wait for it.

Driven over HTTP with signed requests against an AsyncApp set up as
:func:`bot.app.bolt.build_bolt_app` sets it up (Bolt's early answer, the listener
tasks kept, our error handler), holding one small ``/vps`` listener.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import bolt as slack_app
from bot.app.bolt import FirstAnswer, KeepListeners, answer_early
from bot.app.errors import on_listener_error
from standins.playground.slack_api import SlackStandIn
from standins.playground.slack_client import SlackSender

SECRET = "test-signing-secret"


class Served:
    """An AsyncApp on loopback and a sender that signs like Slack."""

    def __init__(self, app: AsyncApp, sender: SlackSender) -> None:
        self.app = app
        self.sender = sender


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    async with SlackStandIn(bot_token="xoxb-test") as api:
        app = AsyncApp(
            client=AsyncWebClient(token="xoxb-test", base_url=api.base_url),
            signing_secret=SECRET,
            process_before_response=False,
        )
        answer_early(app)

        async def events(request: web.Request) -> web.Response:
            response = await app.async_dispatch(await to_bolt_request(request))
            return await to_aiohttp_response(response)

        web_app = web.Application()
        web_app.router.add_post("/slack/events", events)
        runner = web.AppRunner(web_app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET, api=api)
        try:
            yield Served(app, sender)
        finally:
            await runner.cleanup()


async def test_the_answer_leaves_on_ack_while_the_work_goes_on(served: Served) -> None:
    release = asyncio.Event()
    finished = asyncio.Event()

    @served.app.command("/vps")
    async def vps(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack(text=f"working on {command['text']}")
        await release.wait()
        finished.set()

    response = await served.sender.command("/vps", "create web-1")
    assert response.status == 200
    assert "working on create web-1" in response.body
    assert not finished.is_set()  # answered before the listener's own work ended
    release.set()
    await asyncio.wait_for(finished.wait(), 2)


async def test_an_error_before_the_ack_is_answered_with_an_apology(served: Served) -> None:
    served.app.error(on_listener_error)

    @served.app.command("/vps")
    async def vps(ack: AsyncAck) -> None:
        raise RuntimeError("broken before ack")

    response = await served.sender.command("/vps", "create")
    assert response.status == 200
    assert "Sorry, something went wrong" in json.loads(response.body)["text"]
    assert "broken" not in response.body


async def test_an_error_after_the_ack_is_logged_with_a_reference(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    served.app.error(on_listener_error)
    failed = asyncio.Event()

    @served.app.command("/vps")
    async def vps(ack: AsyncAck) -> None:
        await ack()
        await asyncio.sleep(0)
        failed.set()
        raise RuntimeError("broken after ack")

    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        response = await served.sender.command("/vps", "create")
        assert response.status == 200
        await asyncio.wait_for(failed.wait(), 2)
        assert await slack_app.settle_listeners(2) == 0
    record = next(r for r in caplog.records if "after it answered Slack" in r.getMessage())
    assert "reference" in record.getMessage()
    assert record.exc_info is not None and "broken after ack" in str(record.exc_info[1])


async def test_shutdown_waits_for_work_after_the_ack_within_its_time(served: Served) -> None:
    release = asyncio.Event()
    finished: list[str] = []

    @served.app.command("/vps")
    async def vps(ack: AsyncAck) -> None:
        await ack()
        await release.wait()  # e.g. the provider call after the modal answered
        finished.append("done")

    response = await served.sender.command("/vps", "create")
    assert response.status == 200  # answered; the work goes on
    assert finished == []
    assert await slack_app.settle_listeners(0.05) == 1  # gave up: still running
    asyncio.get_running_loop().call_later(0.05, release.set)
    assert await slack_app.settle_listeners(5) == 0
    assert finished == ["done"]
    assert not slack_app._running  # nothing kept once done


def test_the_app_answers_on_the_ack_and_keeps_its_listeners() -> None:
    """build_bolt_app sets the app up as the tests above do."""
    from bot.app.bolt import build_bolt_app
    from bot.core.config import Settings
    from bot.core.services import Services

    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        database_url="postgresql://nobody@127.0.0.1:1/none",
        vpsbot_encryption_keys="x" * 43 + "=",
        _env_file=None,  # type: ignore[call-arg]
    )
    app = build_bolt_app(Services.build(settings, database_url=settings.database_url))
    assert app.process_before_response is False
    assert isinstance(app.listener_runner.listener_start_handler, KeepListeners)


async def test_a_failure_right_after_the_ack_keeps_the_answer(served: Served) -> None:
    """Bolt alone would lose this answer: the failure comes before it looks for it."""
    served.app.error(on_listener_error)

    @served.app.command("/vps")
    async def vps(ack: AsyncAck) -> None:
        await ack(text="on it")
        raise RuntimeError("broken at once")

    response = await asyncio.wait_for(served.sender.command("/vps", "create"), 2)
    assert response.status == 200
    assert "on it" in response.body


def test_the_first_answer_stays() -> None:
    from slack_bolt.response import BoltResponse

    ack = FirstAnswer()
    assert ack.response is None
    given = BoltResponse(status=200, body="first")
    ack.response = given
    ack.response = None  # Bolt's "already answered" after a failure
    assert ack.response is given
