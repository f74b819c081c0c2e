"""Normalised provider errors.

Every failure a cloud API can hand back is mapped to one of these, so the Slack
surface can answer a user without knowing which provider spoke::

    ProviderError                 code            what the user is told
    ├── CredentialsError          credentials     "contact an administrator" (401/403)
    ├── ValidationError           validation      each offending field (400/422)
    ├── BusyError                 busy            the server is busy; try again shortly
    ├── NotFoundError             not_found       the thing is gone (404)
    ├── RateLimitedError          rate_limited    when to retry (429, retry_after)
    ├── QuotaError                quota           provider limits/insufficient resources
    ├── OutageError               outage          provider unavailable (5xx, network, timeout)
    │   ├── OutcomeUnknownError   outcome_unknown a write whose result we could not see
    │   └── UnreadableAnswerError outage          a 2xx read answer vpsbot could not read
    └── UnsupportedProviderError  unsupported     a provider type this vpsbot cannot drive

Each error carries keyword context: ``code``, ``message``, ``field``, ``provider``,
``status`` (HTTP status or None) and ``retry_after`` (seconds or None). An API
that names several fields at once fills ``fields`` (normalised field → message);
``field`` is then the first of them.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BusyError",
    "CredentialsError",
    "NotFoundError",
    "OutageError",
    "OutcomeUnknownError",
    "ProviderError",
    "QuotaError",
    "RateLimitedError",
    "UnreadableAnswerError",
    "UnsupportedProviderError",
    "ValidationError",
]


class ProviderError(Exception):
    """Base of all provider failures; ``as_dict()`` is the normalised shape."""

    code: ClassVar[str] = "provider_error"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        field: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.fields: dict[str, str] = dict(fields or {})
        if field is None and self.fields:
            field = next(iter(self.fields))
        self.field = field
        self.status = status
        self.retry_after = retry_after
        self.request_id = request_id

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "field": self.field,
            "fields": dict(self.fields),
            "provider": self.provider,
            "status": self.status,
            "retry_after": self.retry_after,
        }

    def user_message(self) -> str:
        """One line a Slack user can act on; never includes secrets."""
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, provider={self.provider!r}, "
            f"field={self.field!r}, status={self.status!r})"
        )


class CredentialsError(ProviderError):
    code = "credentials"

    def user_message(self) -> str:
        return (
            f"vpsbot could not authenticate with {self.provider}; please contact an administrator."
        )


class ValidationError(ProviderError):
    code = "validation"

    def user_message(self) -> str:
        if len(self.fields) > 1:
            each = "; ".join(f"{name}: {reason}" for name, reason in self.fields.items())
            return f"{self.provider} rejected {each}"
        if self.field:
            return f"{self.provider} rejected {self.field}: {self.message}"
        return f"{self.provider} rejected the request: {self.message}"


class BusyError(ProviderError):
    """The server is running another job (Linode's "Linode busy."); the same
    request succeeds moments later, so it is retried before this is raised."""

    code = "busy"

    def user_message(self) -> str:
        return (
            f"{self.provider} is still busy with another job on this server; "
            "please try again in a minute."
        )


class NotFoundError(ProviderError):
    code = "not_found"


class RateLimitedError(ProviderError):
    code = "rate_limited"

    def user_message(self) -> str:
        wait = int(self.retry_after) if self.retry_after else 60
        return f"{self.provider} is rate limiting vpsbot; please retry in about {wait} s."


class QuotaError(ProviderError):
    code = "quota"


class OutageError(ProviderError):
    code = "outage"

    def user_message(self) -> str:
        return (
            f"{self.provider} is unavailable right now ({self.message}); "
            f"check the {self.provider} status page and try again shortly."
        )


class OutcomeUnknownError(OutageError):
    """A write was sent but its answer was lost; the caller must look it up."""

    code = "outcome_unknown"


class UnreadableAnswerError(OutageError):
    """A read answered 2xx with something vpsbot could not read (not JSON, an empty
    body, an object without what it must carry): the API was reached, so this is
    never "cannot reach"; retried like an outage."""

    def user_message(self) -> str:
        return (
            f"{self.provider} answered something vpsbot could not read ({self.message}); "
            "try again shortly."
        )


class UnsupportedProviderError(ProviderError):
    """The provider type is unknown, or known but not implemented yet (``provider``
    is the type asked for)."""

    code = "unsupported"
