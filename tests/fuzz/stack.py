"""The whole vpsbot the fuzz suite hits, and what it watches while doing so.

Everything the fuzz suite takes from other test code is imported here, in one
place: the Slack stand-in and the signed sender (due to move to
``standins/playground/``: change the two imports below) and the e2e stack builder.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import re
import time
import uuid
from typing import Any

import aiohttp

from standins.playground.slack_api import SlackStandIn as SlackStandIn
from standins.playground.slack_client import AckTimeout as AckTimeout
from standins.playground.slack_client import Response, SlackSender
from standins.playground.slack_client import state_value as state_value
from tests.e2e.conftest import ADMIN, SIGNING_SECRET, TEAM, USER, Bot
from tests.e2e.conftest import start_bot as start_bot
from tests.e2e.session import CreateSession as CreateSession
from tests.e2e.test_servers_actions import create_server as create_server

__all__ = [
    "ADMIN",
    "SIGNING_SECRET",
    "TEAM",
    "USER",
    "AckTimeout",
    "Bot",
    "CreateSession",
    "LogRecords",
    "Response",
    "SlackSender",
    "SlackStandIn",
    "Stack",
    "create_server",
    "sign_bytes",
    "signature",
    "start_bot",
    "state_value",
]

JSON = dict[str, Any]

#: Record failures instead of failing, to list every distinct one in one run.
SURVEY = os.environ.get("VPSBOT_FUZZ_SURVEY") == "1"


def sign_bytes(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """``X-Slack-Signature`` for raw bytes (the sender only signs text)."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class LogRecords(logging.Handler):
    """Every record the process logs, from every logger (installed on the root)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def mark(self) -> int:
        return len(self.records)

    def problems(self, since: int = 0) -> list[str]:
        """Records at ERROR or above, or carrying a traceback, as printable text."""
        found = []
        for record in self.records[since:]:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            elif record.exc_text:
                text += "\n" + record.exc_text
            if record.levelno >= logging.ERROR or "Traceback" in text:
                found.append(f"{record.levelname} {record.name}: {text}")
        return found


_FRAME = re.compile(r'File "[^"]*/((?:bot|db|providers)/[^"]+)", line \d+, in (\w+)')


def signature(problem: str) -> str:
    """A failure's fingerprint: the innermost vpsbot frame and the exception's last line."""
    frames = _FRAME.findall(problem)
    lines = [line for line in problem.strip().splitlines() if line and not line.startswith(" ")]
    last = lines[-1] if lines else problem
    where = f"{frames[-1][0]}:{frames[-1][1]}" if frames else problem.split(":", 1)[0]
    return f"{where} -> {last[:160]}"


def _pending() -> set[asyncio.Future[Any]]:
    """Work still running after an ack (``bot.app.bolt.KeepListeners``, catalogue warming,
    the Home's spend chart drawn after its event was answered)."""
    from bot.app import bolt
    from bot.create import catalog
    from bot.home import charts

    return set(bolt._running) | set(catalog._background) | set(charts._background)


class Stack:
    """A running bot plus the real things a fuzzer can aim at."""

    def __init__(self, bot: Bot, logs: LogRecords) -> None:
        self.bot = bot
        self.logs = logs
        self.servers: dict[str, uuid.UUID] = {}
        self.create_view_id = ""
        self.admin_view_id = ""
        #: the seeded views as they were when seeding ended
        self.seeded_views: dict[str, JSON] = {}
        self.cases = 0
        #: cases that failed only in ways ``tests/fuzz/known.py`` lists, by issue
        self.known: dict[str, int] = {}
        #: VPSBOT_FUZZ_SURVEY=1: distinct failures -> [count, first case, first problem]
        self.survey: dict[str, list[Any]] = {}
        self.send_seconds = 0.0
        self.settle_seconds = 0.0

    def __repr__(self) -> str:  # hypothesis prints it with every failing case
        return f"<Stack {self.bot.url}>"

    @property
    def api(self) -> SlackStandIn:
        return self.bot.api

    @property
    def slack(self) -> SlackSender:
        return self.bot.slack

    @property
    def events_url(self) -> str:
        return f"{self.bot.url}/slack/events"

    def sender(self, user_id: str, team_id: str) -> SlackSender:
        return self.slack.as_user(user_id, team_id)

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait for the work listeners do after their ack, so its log lands in this case."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await asyncio.sleep(0)
        while (tasks := _pending()) and loop.time() < deadline:
            await asyncio.wait(tasks, timeout=deadline - loop.time())

    async def raw(self, body: bytes, headers: dict[str, str]) -> Response:
        """POST exact bytes with exact headers."""
        started = time.monotonic()
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
            http.post(self.events_url, data=body, headers=headers) as resp,
        ):
            return Response(
                resp.status,
                dict(resp.headers),
                await resp.text(errors="replace"),
                time.monotonic() - started,
            )

    async def exchange(self, send: Any, what: str, *, tolerate_known: bool = True) -> Any:
        """Send one case (``send()`` returns the response), let its work finish, and
        fail unless the answer is below 500 and the log holds no error or traceback.

        A case whose every problem is a known issue (``tests/fuzz/known.py``) is
        counted under that issue instead of failing; None is returned for it.
        """
        from tests.fuzz.known import known_issue

        self.cases += 1
        mark = self.logs.mark()
        started = time.monotonic()
        try:
            response: Response = await send()
        except AckTimeout:
            await self.settle()
            raise AssertionError(f"no answer within 10 s to {what}") from None
        sent = time.monotonic()
        await self.settle()
        self.send_seconds += sent - started
        self.settle_seconds += time.monotonic() - sent
        problems = self.logs.problems(mark)
        if tolerate_known and problems and "Traceback" not in response.body:
            issues = {known_issue(p) for p in problems}
            if None not in issues:
                for issue in issues:
                    self.known[str(issue)] = self.known.get(str(issue), 0) + 1
                return None
        if SURVEY and (problems or response.status >= 500):
            for p in problems or [f"HTTP {response.status}"]:
                seen = self.survey.setdefault(signature(p), [0, what, p[:4000]])
                seen[0] += 1
            return response
        shown = "\n".join(f"[{signature(p)}]\n{p[:3000]}" for p in problems)
        assert response.status < 500, f"HTTP {response.status} for {what}:\n{shown}"
        assert "Traceback" not in response.body, f"a traceback answered {what}"
        assert not problems, f"{what} logged:\n{shown}"
        return response
