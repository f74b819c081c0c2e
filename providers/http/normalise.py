"""What an HTTP answer (or a call that got none) means, as a :mod:`providers.errors` error.

Why its own module: the mapping from status, message and failure kind onto the
normalised hierarchy is the same for both clients and is where "may the user be
told to retry?" is decided, so it reads best as one set of rules. Its main line:
401/403 → credentials, 404 → not found, 429 → rate limited, 5xx → outage (or, for
a write, outcome unknown), quota wording → quota, a provider's "busy" → busy, any
other 4xx → validation. A failure before the server saw the call is an outage even
for a write; after it, a write's outcome is unknown.
"""

from __future__ import annotations

import email.utils
import logging
import re
from collections.abc import Callable
from http import HTTPStatus

import aiohttp

from providers.errors import (
    BusyError,
    CredentialsError,
    NotFoundError,
    OutageError,
    OutcomeUnknownError,
    ProviderError,
    QuotaError,
    RateLimitedError,
    UnreadableAnswerError,
    ValidationError,
)
from providers.netguard import BLOCKED, origin

__all__ = [
    "WRITE_METHODS",
    "blocked_error",
    "connection_error",
    "excerpt",
    "not_json_error",
    "redirect_error",
    "retry_after_seconds",
    "status_error",
    "status_text",
]

logger = logging.getLogger("providers.http")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_PHRASES = {s.value: s.phrase for s in HTTPStatus}

_QUOTA = re.compile(
    r"quota|insufficient|out of capacity|not enough (?:resources|capacity)"
    r"|limit (?:has been )?reached|reached (?:the|your)\b.*\blimit"
    r"|exceed(?:s|ed)? (?:your|the account'?s?)\b.*\blimit|account limit",
    re.IGNORECASE,
)

_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


def excerpt(text: str, secret: str, limit: int = 300) -> str:
    """A body for the log only: markup stripped, the token removed, cut short."""
    flat = _SPACES.sub(" ", _TAGS.sub(" ", text)).strip()
    if secret:
        flat = flat.replace(secret, "[redacted]")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def status_text(status: int) -> str:
    """``HTTP 502 Bad Gateway``: vpsbot's own words for an answer it cannot quote."""
    phrase = _PHRASES.get(status, "")
    return f"HTTP {status}" + (f" {phrase}" if phrase else "")


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds from ``now``."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def status_error(
    method: str,
    status: int,
    message: str,
    *,
    provider: str,
    field: str | None,
    fields: dict[str, str],
    retry_after: float | None,
    request_id: str | None,
    busy: Callable[[int, str], bool],
) -> ProviderError:
    """The error for a 4xx/5xx answer whose ``message`` (the provider's or
    :func:`status_text`) and normalised ``field``/``fields`` are known; ``busy`` is
    the client's rule for "refused now, same request later"."""
    if status == 429:
        return RateLimitedError(
            message,
            provider=provider,
            status=status,
            retry_after=retry_after,
            request_id=request_id,
        )
    if status == 401:
        return CredentialsError(message, provider=provider, status=status, request_id=request_id)
    if status >= 500:
        cls = OutcomeUnknownError if method in WRITE_METHODS else OutageError
        return cls(
            message if message.startswith(f"HTTP {status}") else f"HTTP {status}: {message}",
            provider=provider,
            status=status,
            request_id=request_id,
        )
    if _QUOTA.search(message):
        return QuotaError(
            message, provider=provider, field=field, status=status, request_id=request_id
        )
    if status == 403:
        return CredentialsError(message, provider=provider, status=status, request_id=request_id)
    if status == 404:
        return NotFoundError(message, provider=provider, status=status, request_id=request_id)
    if busy(status, message):
        return BusyError(message, provider=provider, status=status, request_id=request_id)
    return ValidationError(
        message,
        provider=provider,
        field=field,
        status=status,
        request_id=request_id,
        fields=fields,
    )


def redirect_error(method: str, status: int, provider: str) -> ProviderError:
    """A 3xx answer: never followed (it could lead anywhere, a private address included)."""
    cls = OutcomeUnknownError if method in WRITE_METHODS else OutageError
    return cls(
        f"{provider} answered with a redirect (HTTP {status}), "
        "which vpsbot does not follow; check the provider's API URL",
        provider=provider,
        status=status,
    )


def not_json_error(
    method: str, status: int, provider: str, request_id: str | None
) -> ProviderError:
    """A 2xx answer whose body is not JSON: a write's outcome is then unknown."""
    cls = OutcomeUnknownError if method in WRITE_METHODS else UnreadableAnswerError
    return cls(
        f"{provider} sent a response that is not JSON (HTTP {status})",
        provider=provider,
        status=status,
        request_id=request_id,
    )


def blocked_error(
    exc: BaseException, *, provider: str, provider_type: str, base_url: str, account: str
) -> ProviderError | None:
    """The error for a connection :mod:`providers.netguard` refused, else None."""
    if not isinstance(exc, aiohttp.ClientConnectorError) or BLOCKED not in str(exc.os_error):
        return None
    logger.warning(
        "%s call to %s refused: the address is not public and the operator did not "
        "allow this endpoint",
        provider,
        origin(base_url),
        extra={"provider": provider_type, "account": account},
    )
    return OutageError(
        f"vpsbot does not connect to {provider} at this API URL: it leads to "
        "a private or local network address the operator has not allowed",
        provider=provider,
    )


def connection_error(method: str, exc: BaseException, provider: str) -> ProviderError:
    """The error for a call that got no answer (no connection, a timeout, a reset)."""
    kind = type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        # Never reached the server: even a write is known not to have happened.
        return OutageError(f"could not connect to {provider} ({kind})", provider=provider)
    timed_out = isinstance(exc, TimeoutError)
    what = "did not answer in time" if timed_out else f"connection failed ({kind})"
    if method in WRITE_METHODS:
        return OutcomeUnknownError(
            f"{provider} {what} after the request was sent", provider=provider
        )
    return OutageError(f"{provider} {what}", provider=provider)
