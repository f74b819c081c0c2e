"""The Slack stand-in's records: what a test reads back (calls, response_url posts, waits,
faults) and the error a Web API method raises to answer ``{"ok": false}``.

Kept apart from the stand-in's behaviour so every concern module shares one vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BASE_TS",
    "JSON",
    "ApiError",
    "Call",
    "Fault",
    "ResponsePost",
    "ResponseTarget",
    "WaitResult",
    "WaitTimeout",
]

JSON = dict[str, Any]

#: the epoch second every made-up ts, trigger_id and view hash counts from
BASE_TS = 1_700_000_000


class WaitTimeout(AssertionError):
    """Raised when an awaited call or response did not arrive in time."""


@dataclass
class Call:
    """One Web API request as the stand-in received it."""

    method: str
    args: JSON
    token: str | None = None
    response: JSON = field(default_factory=dict)
    http_method: str = "POST"
    content_type: str = ""
    status: int = 200

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        err = self.response.get("error")
        return str(err) if err is not None else None


@dataclass
class ResponsePost:
    """One POST the app made to a ``response_url`` handed out by the stand-in."""

    response_id: str
    payload: JSON
    channel: str | None = None
    message_ts: str | None = None
    status: int = 200


@dataclass
class WaitResult:
    """Filled in when an ``async with api.wait_for(...)`` block exits."""

    calls: list[Call] = field(default_factory=list)

    @property
    def call(self) -> Call:
        return self.calls[0]


@dataclass
class ResponseTarget:
    """What a response_url handed out by the stand-in belongs to, and its uses so far."""

    channel: str | None
    message_ts: str | None
    user: str | None = None
    ephemeral: bool = False
    uses: int = 0


@dataclass(frozen=True)
class Fault:
    """One injected failure: how the stand-in answers a call instead of serving it.

    ``status`` 200 answers ``{"ok": false, "error": error}``; 429 adds ``Retry-After``;
    5xx answers an HTML page (no JSON at all), as Slack's load balancers do.
    """

    error: str
    status: int = 200
    retry_after: int | None = None

    @property
    def html(self) -> bool:
        return self.status >= 500


class ApiError(Exception):
    """Raised by a Web API handler: the stand-in answers ``{"ok": false, "error": ...}``."""

    def __init__(
        self,
        error: str,
        *,
        messages: Iterable[str] = (),
        status: int = 200,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)
        self.status = status
        self.retry_after = retry_after
