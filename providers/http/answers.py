"""Reading a provider's answer in its own dialect: a result, or the error it stands for.

Why its own module: the two APIs spell the same things differently — error bodies,
field names, rate-limit and request-id headers, what "busy" looks like — and
:class:`AnswerReader` is where a client says how its API spells them (the hooks its
subclasses override) and where an answer is turned into an :class:`ApiResponse` or
a :mod:`providers.errors` error (by the rules of :mod:`providers.http.normalise`).
An unknown host's error body is never quoted, nor its request id repeated.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from providers.errors import OutcomeUnknownError, ProviderError, UnreadableAnswerError
from providers.http.normalise import (
    excerpt,
    not_json_error,
    redirect_error,
    retry_after_seconds,
    status_error,
    status_text,
)
from providers.http.ratelimits import AccountState, RateBudget, int_header
from providers.http.telemetry import report_remaining

__all__ = ["AnswerReader", "ApiResponse", "Exchange"]

logger = logging.getLogger("providers.http")


@dataclass(frozen=True)
class ApiResponse:
    """A decoded successful response."""

    status: int
    body: Any
    headers: Mapping[str, str]
    request_id: str | None


@dataclass
class Exchange:
    """What one send came to: the status seen (if any), and a result or an error."""

    status: int | None = None
    request_id: str | None = None
    result: ApiResponse | None = None
    error: ProviderError | None = None


class AnswerReader:
    """How one provider's API spells its answers, and the reading of them.

    Subclasses (through :class:`~providers.http.client.JsonApi`) set the class
    attributes and implement :meth:`parse_error`; the client sets the instance
    attributes below.
    """

    provider_type: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    limit_header: ClassVar[str] = "ratelimit-limit"
    remaining_header: ClassVar[str] = "ratelimit-remaining"
    reset_header: ClassVar[str] = "ratelimit-reset"
    request_id_header: ClassVar[str] = "x-request-id"
    #: Provider request field → :class:`~providers.models.CreateRequest` field.
    field_names: ClassVar[Mapping[str, str]] = {}

    account: AccountState
    #: whose answers may be quoted (see :class:`~providers.http.client.JsonApi`)
    known_host: bool
    _token: str
    _clock: Callable[[], float]

    def parse_error(self, body: Any) -> tuple[str, str | None]:
        """``(message, provider field or None)`` from an error body."""
        raise NotImplementedError

    def parse_fields(self, body: Any) -> dict[str, str]:
        """Every ``provider field → reason`` an error body names (several at once
        for Linode); empty when the body names none."""
        return {}

    def normalise_field(self, name: str | None) -> str | None:
        """A provider's field name (``tags.0``) as vpsbot's (``tag``); unknown ones as is."""
        if not name:
            return None
        head = name.split(".", 1)[0]
        return self.field_names.get(name) or self.field_names.get(head) or name

    def is_busy(self, status: int, message: str) -> bool:
        """Whether a 4xx answer says "busy right now, same request later" (Linode)."""
        return False

    def odd_answer(self, what: str, *, write: bool = False) -> ProviderError:
        """The error for a 2xx answer that lacks what it should carry (an empty
        body, an object without its id): never a raw ``KeyError`` for users."""
        cls = OutcomeUnknownError if write else UnreadableAnswerError
        return cls(
            f"{self.display_name} sent {what} that vpsbot could not read",
            provider=self.display_name,
        )

    def _read(
        self, method: str, status: int, raw: bytes, headers: Mapping[str, str], done: Exchange
    ) -> None:
        """Fill ``done`` from an answer: its result, or the error it stands for."""
        self._track(headers)
        text = raw.decode("utf-8", "replace")
        body: Any = None
        decoded = True
        if raw.strip():
            try:
                body = json.loads(text)
            except ValueError:
                decoded = False
        done.request_id = request_id = self._request_id(headers, body)
        if status >= 300:
            done.error = self._answer_error(method, status, body, text, headers, request_id)
        elif not decoded:
            logger.warning(
                "%s answered HTTP %s with a body that is not JSON: %s",
                self.display_name,
                status,
                excerpt(text, self._token),
                extra={"provider": self.provider_type, "status": status},
            )
            done.error = not_json_error(method, status, self.display_name, request_id)
        else:
            done.result = ApiResponse(status, body, headers, request_id)
            self.account.last_success = time.time()

    def _track(self, headers: Mapping[str, str]) -> None:
        """Keep what the answer's rate-limit headers say about the account's window."""
        limit = int_header(headers, self.limit_header)
        remaining = int_header(headers, self.remaining_header)
        reset = int_header(headers, self.reset_header)
        if limit is None and remaining is None and reset is None:
            return
        self.account.budget = RateBudget(
            limit=limit, remaining=remaining, reset_at=float(reset) if reset is not None else None
        )
        if remaining is not None:
            report_remaining(self.provider_type, self.account.short, remaining)

    def _request_id(self, headers: Mapping[str, str], body: Any) -> str | None:
        """The provider's id for this call (header, else body), to quote to support."""
        if not self.known_host:  # an unknown host's words are never repeated
            return None
        rid = headers.get(self.request_id_header)
        if rid:
            return rid
        if isinstance(body, dict):
            value = body.get("request_id")
            if isinstance(value, str) and value:
                return value
        return None

    def _map_error(
        self,
        method: str,
        status: int,
        body: Any,
        text: str,
        headers: Mapping[str, str],
        request_id: str | None,
    ) -> ProviderError:
        message, raw_field = ("", None)
        raw_fields: dict[str, str] = {}
        with contextlib.suppress(TypeError, KeyError, ValueError, AttributeError):
            message, raw_field = self.parse_error(body)
            raw_fields = self.parse_fields(body)
        if not message:
            # not the API's own error shape (a proxy's HTML page, an empty body):
            # users get a clean sentence; the body goes to the log only
            message = status_text(status)
            if text.strip():
                logger.warning(
                    "%s answered HTTP %s with a body that is not its error format: %s",
                    self.display_name,
                    status,
                    excerpt(text, self._token),
                    extra={"provider": self.provider_type, "status": status},
                )
        fields: dict[str, str] = {}
        for name, reason in raw_fields.items():
            key = self.normalise_field(name) or name
            fields[key] = f"{fields[key]}; {reason}" if key in fields else reason
        return status_error(
            method,
            status,
            message,
            provider=self.display_name,
            field=self.normalise_field(raw_field),
            fields=fields,
            retry_after=self._retry_after(headers) if status == 429 else None,
            request_id=request_id,
            busy=self.is_busy,
        )

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        """Seconds a 429 asks for: its ``Retry-After``, else until the window resets."""
        retry_after = retry_after_seconds(headers.get("retry-after"), self._clock())
        if retry_after is None:
            reset = int_header(headers, self.reset_header)
            if reset is not None:
                retry_after = max(0.0, reset - self._clock())
        return retry_after

    def _answer_error(
        self,
        method: str,
        status: int,
        body: Any,
        text: str,
        headers: Mapping[str, str],
        request_id: str | None,
    ) -> ProviderError:
        """The error for a non-2xx answer. A redirect is never followed (it could
        lead anywhere, a private address included); an unknown host's error is
        mapped from its status alone, its body never quoted."""
        if status < 400:
            return redirect_error(method, status, self.display_name)
        if not self.known_host:
            return self._map_error(method, status, None, "", headers, None)
        return self._map_error(method, status, body, text, headers, request_id)
