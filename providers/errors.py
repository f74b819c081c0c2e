"""Normalised provider errors.

Every failure a cloud API can hand back is mapped to one of these, so the Slack
surface can answer a user without knowing which provider spoke::

    ProviderError                 code            what the user is told
    ├── CredentialsError          credentials     "contact an administrator" (401/403)
    ├── ValidationError           validation      the offending field (400/422)
    ├── NotFoundError             not_found       the thing is gone (404)
    ├── RateLimitedError          rate_limited    when to retry (429, retry_after)
    ├── QuotaError                quota           provider limits/insufficient resources
    └── OutageError               outage          provider unavailable (5xx, network, timeout)
        └── OutcomeUnknownError   outcome_unknown a write whose result we could not see

Each error carries keyword context: ``code``, ``message``, ``field``, ``provider``,
``status`` (HTTP status or None) and ``retry_after`` (seconds or None).
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "CredentialsError",
    "NotFoundError",
    "OutageError",
    "OutcomeUnknownError",
    "ProviderError",
    "QuotaError",
    "RateLimitedError",
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
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.field = field
        self.status = status
        self.retry_after = retry_after
        self.request_id = request_id

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "field": self.field,
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
        if self.field:
            return f"{self.provider} rejected {self.field}: {self.message}"
        return f"{self.provider} rejected the request: {self.message}"


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
