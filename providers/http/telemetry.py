"""What each provider call leaves behind: one structured log line and Prometheus samples.

Why its own module: what is recorded about a call is a promise to operators (the
dashboards and alerts read these names) and a secrets boundary — only the path
*template*, the account's short hash and the provider's request id are recorded,
never a token, a query string or a body — so it is kept in one place.
"""

from __future__ import annotations

import logging

from providers.errors import ProviderError
from providers.metrics import (
    PROVIDER_ERRORS,
    PROVIDER_RATELIMIT_REMAINING,
    PROVIDER_REQUEST_SECONDS,
)

__all__ = ["report_call", "report_remaining"]

logger = logging.getLogger("providers.http")


def report_remaining(provider_type: str, account: str, remaining: int) -> None:
    """The calls the provider says are left in ``account``'s window."""
    PROVIDER_RATELIMIT_REMAINING.labels(provider_type, account).set(remaining)


def report_call(
    *,
    provider: str,
    provider_type: str,
    account: str,
    method: str,
    endpoint: str,
    status: int | None,
    request_id: str | None,
    error: ProviderError | None,
    elapsed: float,
) -> None:
    """Log and count one call, whatever it came to (``status`` None: no answer)."""
    PROVIDER_REQUEST_SECONDS.labels(provider_type, endpoint, method).observe(elapsed)
    if error is not None:
        PROVIDER_ERRORS.labels(provider_type, endpoint, error.code).inc()
    logger.log(
        logging.WARNING if error is not None else logging.INFO,
        "%s %s %s -> %s in %.0f ms (request_id=%s)",
        provider,
        method,
        endpoint,
        status if status is not None else error.code if error else "-",
        elapsed * 1000,
        request_id or "-",
        extra={
            "provider": provider_type,
            "account": account,
            "method": method,
            "path": endpoint,
            "status": status,
            "latency_ms": round(elapsed * 1000, 1),
            "provider_request_id": request_id,
            "error": error.code if error is not None else None,
        },
    )
