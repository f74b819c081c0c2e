"""The Bolt app answers Slack the moment a listener acks, and the work goes on.

Driven over HTTP with signed requests against a :class:`VpsbotApp` holding one
small ``/vps`` listener, so the behaviour is Bolt's own, not a re-implementation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import bolt as slack_app
from bot.app.bolt import VpsbotApp, answer_on_ack
from standins.playground.slack_api import SlackStandIn
from standins.playground.slack_client import SlackSender

SECRET = "test-signing-secret"


class Served:
    """A VpsbotApp on loopback and a sender that signs like Slack."""

    def __init__(self, app: VpsbotApp, sender: SlackSender) -> None:
        self.app = app
        self.sender = sender


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    async with SlackStandIn(bot_token="xoxb-test") as api:
        app = VpsbotApp(
            client=AsyncWebClient(token="xoxb-test", base_url=api.base_url),
            signing_secret=SECRET,
            process_before_response=True,
        )

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


async def test_an_error_before_the_ack_reaches_bolt(served: Served) -> None:
    @served.app.command("/vps")
    async def vps(ack: AsyncAck) -> None:
        raise RuntimeError("broken before ack")

    response = await served.sender.command("/vps", "create")
    assert response.status == 500  # Bolt's own error handling answered


async def test_an_error_after_the_ack_is_logged(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    failed = asyncio.Event()

    @served.app.command("/vps")
    async def vps(ack: AsyncAck) -> None:
        await ack()
        await asyncio.sleep(0)
        failed.set()
        raise RuntimeError("broken after ack")

    with caplog.at_level(logging.ERROR, logger="bot.bolt"):
        response = await served.sender.command("/vps", "create")
        assert response.status == 200
        await asyncio.wait_for(failed.wait(), 2)
        for _ in range(50):
            if any("after it answered Slack" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.01)
    record = next(r for r in caplog.records if "after it answered Slack" in r.getMessage())
    assert record.exc_info is not None and "broken after ack" in str(record.exc_info[1])


async def test_a_listener_that_never_acks_is_not_waited_on_forever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(slack_app, "ACK_TIMEOUT", 0.05)
    stuck = asyncio.Event()

    async def listener(ack: Any) -> None:
        await stuck.wait()

    wrapped = answer_on_ack(listener)
    acks: list[Any] = []

    async def ack(*args: Any, **kwargs: Any) -> None:
        acks.append((args, kwargs))

    await asyncio.wait_for(wrapped(ack=ack), 1)  # returned after the timeout
    assert acks == []
    stuck.set()


async def test_shutdown_waits_for_work_after_the_ack_within_its_time() -> None:
    release = asyncio.Event()
    finished: list[str] = []

    async def listener(ack: Any) -> None:
        await ack()
        await release.wait()  # e.g. the provider call after the modal answered
        finished.append("done")

    async def ack(*args: Any, **kwargs: Any) -> None:
        return None

    await answer_on_ack(listener)(ack=ack)  # answered; the work goes on
    assert finished == []
    assert await slack_app.settle_listeners(0.05) == 1  # gave up: still running
    asyncio.get_running_loop().call_later(0.05, release.set)
    assert await slack_app.settle_listeners(5) == 0
    assert finished == ["done"]


def test_bolt_sees_the_listeners_own_parameters() -> None:
    async def listener(ack: Any, body: dict[str, Any], client: Any) -> None:
        return None

    from slack_bolt.util.utils import get_arg_names_of_callable

    assert get_arg_names_of_callable(answer_on_ack(listener)) == ["ack", "body", "client"]
