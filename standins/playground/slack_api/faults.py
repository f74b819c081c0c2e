"""Faults on demand: the next N calls to a method fail as Slack fails.

``api.fail(...)`` queues :class:`~.records.Fault` s per method: ``{"ok": false, "error": X}``
(``not_in_channel``, ``hash_conflict``, ``expired_trigger_id``...), HTTP 429 ``ratelimited``
with ``Retry-After``, or a 5xx with an HTML page (what Slack's edge sends when it is
down). ``delays`` slows a method's answers down.
"""

from __future__ import annotations

from collections import deque
from http import HTTPStatus

from aiohttp import web

from .base import StandInCore
from .records import ApiError, Fault

__all__ = ["FaultInjection"]

_HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>{status} {reason}</title></head>"
    "<body><h1>{status} {reason}</h1><p>Slack is having trouble. Please try again.</p>"
    "</body></html>"
)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Server Error"


class FaultInjection(StandInCore):
    """Injected failures and delays, queued per Web API method."""

    def _init_faults(self) -> None:
        """No faults queued, no delays."""
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering
        self._failures: dict[str, deque[Fault]] = {}

    def fail(
        self,
        method: str,
        error: str | None = None,
        *,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail; later calls are served again.

        - ``api.fail("chat.update", "not_in_channel")``: ``{"ok": false, "error": ...}``, 200;
        - ``api.fail("chat.update", status=429, retry_after=2)``: ``ratelimited`` with
          ``Retry-After: 2`` (1 when not given);
        - ``api.fail("views.open", status=503)``: an HTML error page, no JSON.

        Faults queue up per method in the order they were added.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if status == 429:
            fault = Fault(error or "ratelimited", 429, 1 if retry_after is None else retry_after)
        elif status >= 500:
            fault = Fault(error or f"http_{status}", status, retry_after)
        elif status == 200:
            if not error:
                raise ValueError("an ok=false fault needs its error, e.g. 'not_in_channel'")
            fault = Fault(error, 200, retry_after)
        else:
            raise ValueError(f"status must be 200, 429 or 5xx, not {status}")
        self._failures.setdefault(method, deque()).extend([fault] * times)

    def fail_next(self, method: str, error: str = "not_in_channel", count: int = 1) -> None:
        """Make the next ``count`` calls to ``method`` answer ``{"ok": false, "error": error}``.

        ``error="ratelimited"`` answers HTTP 429 with ``Retry-After: 1``, like Slack.
        """
        self.fail(method, error, status=429 if error == "ratelimited" else 200, times=count)

    def pending_faults(self, method: str) -> int:
        """How many injected faults ``method`` has still to answer."""
        return len(self._failures.get(method, ()))

    def clear_faults(self) -> None:
        """Drop every fault not yet answered."""
        self._failures.clear()

    def _raise_fault(self, method: str) -> None:
        """Answer this call to ``method`` with its next queued fault, if any."""
        queue = self._failures.get(method)
        if queue:
            fault = queue.popleft()
            raise ApiError(fault.error, status=fault.status, retry_after=fault.retry_after)

    @staticmethod
    def _html_error(status: int, headers: dict[str, str]) -> web.Response:
        """A 5xx as Slack's load balancers send it: an HTML page, no JSON."""
        reason = _reason(status)
        page = _HTML_PAGE.format(status=status, reason=reason)
        return web.Response(text=page, status=status, content_type="text/html", headers=headers)
