"""When a Slack Web API call is tried again: slack_sdk's retry handlers, bounded.

* HTTP 429 is retried for every method (Slack did nothing with the request),
  after the ``Retry-After`` Slack asks for when that is at most
  :data:`MAX_RATE_LIMIT_WAIT` seconds; a longer wait is the caller's to handle.
* 5xx answers and dropped connections are retried only for methods that are
  safe to repeat (:data:`IDEMPOTENT`): a ``chat.postMessage`` that timed out may
  have posted, and posting it again would show the message twice.

The handlers are slack_sdk's own (``AsyncRetryHandler``), so Bolt's per-request
clients inherit them from the app's client.
"""

from __future__ import annotations

import asyncio
import random

from aiohttp import ClientOSError, ServerConnectionError, ServerDisconnectedError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

__all__ = [
    "IDEMPOTENT",
    "MAX_RATE_LIMIT_WAIT",
    "IdempotentRetry",
    "RateLimitRetry",
    "retry_handlers",
]

#: Seconds vpsbot waits out a 429 before trying once more.
MAX_RATE_LIMIT_WAIT = 20.0

#: Methods whose repetition changes nothing a person sees twice.
IDEMPOTENT = frozenset(
    {
        "auth.test",
        "chat.update",
        "conversations.info",
        "users.info",
        "views.publish",
        "views.update",
    }
)


def _method(request: HttpRequest) -> str:
    return request.url.rstrip("/").rsplit("/", 1)[-1]


def _retry_after(response: HttpResponse) -> float | None:
    """Seconds Slack asked to wait (1 when it did not say); None when unreadable."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            raw = values[0] if isinstance(values, list) and values else values
            try:
                return max(float(str(raw)), 0.0)
            except ValueError:
                return None
    return 1.0


class RateLimitRetry(AsyncRetryHandler):
    """Retries a 429 after Slack's ``Retry-After`` (bounded, read leniently)."""

    def __init__(self, max_retry_count: int = 2, max_wait: float = MAX_RATE_LIMIT_WAIT) -> None:
        super().__init__(max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response)
        return wait is not None and wait <= self.max_wait

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = (_retry_after(response) if response is not None else None) or 1.0
        state.next_attempt_requested = True
        await asyncio.sleep(wait + random.random() / 4)
        state.increment_current_attempt()


class IdempotentRetry(AsyncRetryHandler):
    """Retries 500/502/503/504 answers and dropped connections, for :data:`IDEMPOTENT`
    methods only."""

    _ERRORS = (ServerConnectionError, ServerDisconnectedError, ClientOSError)

    def __init__(self, max_retry_count: int = 2) -> None:
        super().__init__(max_retry_count)

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if _method(request) not in IDEMPOTENT:
            return False
        if response is not None:
            return response.status_code in (500, 502, 503, 504)
        return isinstance(error, self._ERRORS)


def retry_handlers() -> list[AsyncRetryHandler]:
    """The handlers vpsbot's Slack client uses."""
    return [RateLimitRetry(), IdempotentRetry()]
