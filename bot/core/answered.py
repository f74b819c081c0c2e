"""When Slack has a request's answer: the order of a submission's two answers.

A view_submission answered with ``response_action: update`` (a loading view, or
"Creating…") is often followed by a ``views.update`` from the same listener
once the work is done. Bolt sends the HTTP answer from its own polling loop
(every 10 ms) while the listener goes on, so work that finishes quickly (a
provider refusing at once) could call ``views.update`` before Slack had the
answer, and the answer, arriving second, would put the loading view back for
good. The transport marks the request answered once its answer is written
(:func:`answering`); a listener awaits :func:`answer_sent` before it replaces
the view it answered with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar

__all__ = ["ANSWER_WAIT_SECONDS", "answer_sent", "answering"]

#: Longest wait for the answer: Slack itself gives up on a request after 3 s.
ANSWER_WAIT_SECONDS = 3.5

_SENT: ContextVar[asyncio.Event | None] = ContextVar("vpsbot_answer_sent", default=None)


@contextmanager
def answering() -> Iterator[asyncio.Event]:
    """The request being handled in this block: set the event once its answer is out.

    Listener tasks started inside the block share the event (they copy the
    context); it is set on the way out whatever happened, so nobody waits on an
    answer that will never be written."""
    sent = asyncio.Event()
    token = _SENT.set(sent)
    try:
        yield sent
    finally:
        sent.set()
        _SENT.reset(token)


async def answer_sent() -> None:
    """Return once Slack has this request's answer (at once outside a request)."""
    sent = _SENT.get()
    if sent is None or sent.is_set():
        return
    # past the wait the transport is stuck: the update still beats a modal left behind
    with suppress(TimeoutError):
        await asyncio.wait_for(sent.wait(), ANSWER_WAIT_SECONDS)
