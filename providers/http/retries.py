"""When a provider call is sent again, and how long vpsbot waits before it does.

Why its own module: resending is where a client can do harm (a create sent twice
is two servers), so the whole policy sits in one place:

* reads (GET) are retried on an outage or a 429 — honouring ``Retry-After`` up to a
  cap, never sooner than a floor — and never once the transport is closed;
* a write is never retried, except a write the provider refused as "busy"
  (:class:`BusyError` means "not done"), which is resent with a longer backoff.

The waiting itself is ``stamina``'s (jittered exponential backoff; tests switch it
off with ``stamina.set_testing``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import stamina

from providers.errors import OutageError, OutcomeUnknownError, RateLimitedError

__all__ = ["BUSY_BACKOFF", "READ_BACKOFF", "Backoff", "retry_delay", "retrying"]

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Seconds of the first wait, the longest wait and the random jitter added."""

    initial: float
    longest: float
    jitter: float


#: Reads that failed for a passing reason.
READ_BACKOFF = Backoff(initial=0.5, longest=10.0, jitter=0.5)
#: Writes refused as "busy" (about 15 s in all over five sends).
BUSY_BACKOFF = Backoff(initial=1.0, longest=8.0, jitter=0.5)


def retry_delay(exc: Exception, *, closed: bool, cap: float, floor: float) -> bool | float:
    """Whether to retry a read after ``exc`` (True/False), or after how many seconds.

    ``cap``: a ``Retry-After`` longer than this is surfaced instead of waited out;
    ``floor``: the least wait after a 429, whatever the provider says.
    """
    if closed:
        return False
    if isinstance(exc, RateLimitedError):
        if exc.retry_after is None:
            return True
        if exc.retry_after > cap:
            return False
        # a reset already past (clock skew, a window that just turned) says "now":
        # three retries would then land within milliseconds and earn three 429s
        return float(max(exc.retry_after, floor))
    return isinstance(exc, OutageError) and not isinstance(exc, OutcomeUnknownError)


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    on: type[Exception] | Callable[[Exception], bool | float],
    attempts: int,
    backoff: Backoff,
) -> T:
    """``await call()``, again after a backoff while it raises what ``on`` accepts,
    at most ``attempts`` times; the last failure is raised."""
    async for attempt in stamina.retry_context(
        on=on,
        attempts=attempts,
        timeout=None,
        wait_initial=backoff.initial,
        wait_max=backoff.longest,
        wait_jitter=backoff.jitter,
    ):
        with attempt:
            return await call()
    raise AssertionError("unreachable")  # pragma: no cover
