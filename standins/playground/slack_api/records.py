"""The Slack stand-in's records: what a test reads back (calls, response_url posts, waits,
faults) and the error a Web API method raises to answer ``{"ok": false}``.

Kept apart from the stand-in's behaviour so every concern module shares one vocabulary.
"""

from __future__ import annotations

import copy
import json
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
    "json_copy",
]

JSON = dict[str, Any]

#: the epoch second every made-up ts, trigger_id and view hash counts from
BASE_TS = 1_700_000_000


#: the JSON values :func:`json_copy` keeps as they are: a copy could not differ
_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON tree (what a Web API call carries), several times quicker than
    :func:`copy.deepcopy`: dicts and lists are rebuilt, strings, numbers, booleans and
    None are kept (immutable), anything else goes through :func:`copy.deepcopy`."""
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


class WaitTimeout(AssertionError):
    """Raised when an awaited call or response did not arrive in time."""


@dataclass
class Call:
    """One Web API request as the stand-in received it, and its answer.

    The answer is kept as the JSON text the app got (:attr:`response_text`) and decoded
    into :attr:`response` when first read: most calls are never read back, and a decoded
    answer (a whole view, for views.*) kept for every call would cost the stand-in's
    garbage collector a walk over it on each full collection.
    """

    method: str
    args: JSON
    token: str | None = None
    http_method: str = "POST"
    content_type: str = ""
    status: int = 200
    #: the answer's JSON text as sent; None for an HTML 5xx page or no answer yet
    response_text: str | None = None
    _response: JSON | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def response(self) -> JSON:
        """The answer as JSON: :attr:`response_text` decoded (once), or as set."""
        if self._response is None:
            text = self.response_text
            self._response = json.loads(text) if text is not None else {}
        return self._response

    @response.setter
    def response(self, value: JSON) -> None:
        self._response = value

    def answer(self, status: int, text: str | None, response: JSON) -> None:
        """Record the answer: its JSON ``text`` as sent, or for an HTML page (``text``
        None) the error ``response`` itself."""
        self.status = status
        self.response_text = text
        self._response = response if text is None else None

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
