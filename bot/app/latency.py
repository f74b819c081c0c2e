"""How long Slack requests take: to their answer, and to the end of their work.

Two histograms follow each Slack request, over HTTP and Socket Mode alike:
``vpsbot_slack_ack_seconds`` until Slack has its answer (the listener's ack;
Slack gives up after 3 s) and ``vpsbot_slack_request_seconds`` until every task
the request started has finished (the work after the ack: a modal, provider
calls). The loop's task factory (:func:`counting_task_factory`) counts the tasks
started while a request's :class:`Span` is current.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Generator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from prometheus_client import Histogram

__all__ = [
    "SLACK_ACK_SECONDS",
    "SLACK_REQUEST_SECONDS",
    "Span",
    "counting_task_factory",
    "kind_of",
]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)
SLACK_ACK_SECONDS = Histogram(
    "vpsbot_slack_ack_seconds",
    "Time from receiving a Slack request to answering it (the ack; Slack waits 3 s).",
    ["kind"],
    buckets=_BUCKETS,
)
SLACK_REQUEST_SECONDS = Histogram(
    "vpsbot_slack_request_seconds",
    "Time from receiving a Slack request until all the work it started has finished.",
    ["kind"],
    buckets=_BUCKETS,
)


class Span:
    """One Slack request's tasks: observed in ``vpsbot_slack_request_seconds`` when
    the HTTP answer is out and the last task started under the request is done."""

    __slots__ = ("answered", "kind", "pending", "started")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.started = time.perf_counter()
        self.pending = 0
        self.answered = False

    def task_done(self, _: object = None) -> None:
        self.pending -= 1
        self._maybe_finish()

    def answer(self) -> None:
        self.answered = True
        self._maybe_finish()

    @contextmanager
    def current(self) -> Iterator[None]:
        """The request's handling: the tasks started meanwhile count towards it."""
        token = _CURRENT.set(self)
        try:
            yield
        finally:
            _CURRENT.reset(token)

    def acked(self, started: float) -> None:
        """Slack has its answer: observe the ack (the request came at ``started``,
        a ``perf_counter`` reading); the span ends with its last task."""
        SLACK_ACK_SECONDS.labels(self.kind).observe(time.perf_counter() - started)
        self.answer()

    def _maybe_finish(self) -> None:
        if self.answered and self.pending == 0:
            self.pending = -1  # observed once
            SLACK_REQUEST_SECONDS.labels(self.kind).observe(time.perf_counter() - self.started)


_CURRENT: ContextVar[Span | None] = ContextVar("vpsbot_slack_span", default=None)


def counting_task_factory(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
    **kwargs: Any,
) -> asyncio.Future[Any]:
    """The loop's task factory: a task created while a Slack request is handled
    counts towards that request's span (the listener's work after its ack)."""
    task = asyncio.Task(coro, loop=loop, **kwargs)
    span = _CURRENT.get()
    if span is not None and span.pending >= 0:
        span.pending += 1
        task.add_done_callback(span.task_done)
    return task


def kind_of(body: dict[str, Any]) -> str:
    """The Slack payload kind, a bounded label: command, block_actions, view_submission…"""
    if "command" in body:
        return "command"
    kind = body.get("type")
    if isinstance(kind, str) and kind.replace("_", "").isalpha() and len(kind) <= 40:
        return kind
    return "other"
