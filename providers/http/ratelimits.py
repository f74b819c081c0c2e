"""Rate-limit bookkeeping for one provider account: what the provider said, what we allow.

Why its own module: the two sides of throttling — the provider's own window, read
from its ``ratelimit-*`` headers (:class:`RateBudget`), and the client-side
ceilings vpsbot keeps per account (:class:`AccountState`) — are plain data with a
few rules; the client only asks them "may I send now?". Accounts are named by a
SHA-256 of endpoint and token (:func:`account_key`), never by the token, and
endpoints by their path template (:func:`path_template`), never by their ids.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from aiolimiter import AsyncLimiter

from providers.errors import RateLimitedError
from providers.fairshare import FairShare

__all__ = [
    "AccountState",
    "RateBudget",
    "account_key",
    "await_budget",
    "int_header",
    "path_template",
]

logger = logging.getLogger("providers.http")

_ID_SEGMENT = re.compile(
    r"^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)


@dataclass(frozen=True)
class RateBudget:
    """What the provider last told us about an account's rate-limit window.

    ``reset_at`` is Unix epoch seconds (as sent by both providers).
    """

    limit: int | None
    remaining: int | None
    reset_at: float | None

    def low(self, now: float, *, share: float = 0.2, floor: int = 10) -> bool:
        """Whether less than ``share`` of the window (at least ``floor`` calls) is
        left and the window has not reset yet: background work should wait then,
        leaving the rest to what users asked for."""
        if self.remaining is None or self.limit is None:
            return False
        if self.reset_at is not None and self.reset_at <= now:
            return False
        return self.remaining < max(floor, int(self.limit * share))


@dataclass
class AccountState:
    """Per provider-account throttling state, shared by every client of one token
    within one :class:`~providers.http.transport.Transport`."""

    key: str
    short: str
    limiter: AsyncLimiter
    budget: RateBudget | None = None
    special: dict[tuple[str, str], AsyncLimiter] = field(default_factory=dict)
    #: Unix time of the latest call this process made that the provider answered
    #: with success (what "last successful call" shows admins).
    last_success: float | None = None
    #: each workspace's share of the budget, when the account is shared (made lazily)
    fair: FairShare | None = None


def account_key(provider_type: str, token: str, base_url: str = "") -> str:
    """``<type>:<sha256(endpoint, token)>`` — identifies an account without its token.

    The API endpoint is part of the identity: the same token against another
    endpoint (a sandbox, a proxy) has its own budget.
    """
    digest = hashlib.sha256(f"{base_url}\n{token}".encode()).hexdigest()
    return f"{provider_type}:{digest}"


def path_template(path: str) -> str:
    """``/v2/droplets/123/actions/9`` → ``/v2/droplets/{id}/actions/{id}``."""
    path = path.split("?", 1)[0]
    return "/".join("{id}" if _ID_SEGMENT.match(seg) else seg for seg in path.split("/"))


def int_header(headers: Mapping[str, str], name: str) -> int | None:
    """Header ``name`` as a whole number; None when absent or not a number."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


async def await_budget(
    account: AccountState,
    *,
    clock: Callable[[], float],
    cap: float,
    provider: str,
    provider_type: str,
) -> None:
    """Wait for the window to reset when the provider said none is left.

    A reset further away than ``cap`` seconds is a :class:`RateLimitedError` at
    once (a call sent anyway would only earn a 429); afterwards the remaining
    count is forgotten until the next answer says it again.
    """
    budget = account.budget
    if budget is None or budget.remaining is None or budget.remaining > 0:
        return
    if budget.reset_at is not None:
        wait = budget.reset_at - clock()
        if wait > cap:
            raise RateLimitedError(
                f"the {provider} rate limit is used up; it resets in {wait:.0f} s",
                provider=provider,
                retry_after=wait,
            )
        if wait > 0:
            logger.info(
                "%s rate budget exhausted; waiting %.1f s for reset",
                provider,
                wait,
                extra={"provider": provider_type, "account": account.short},
            )
            await asyncio.sleep(wait)
    account.budget = replace(budget, remaining=None)
