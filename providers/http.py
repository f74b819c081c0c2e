"""Shared HTTP plumbing for the provider clients.

Why one module: both clients need the same things done the same way — one pooled
``aiohttp`` session per :class:`Transport`, an explicit timeout on every call, bearer
auth, JSON in/out, error bodies mapped onto :mod:`providers.errors`, bounded retries
for idempotent reads only (``stamina``), per-account rate-limit tracking and
client-side throttling (``aiolimiter``), one structured log line and Prometheus
samples per call.

Who owns what (no module-level state: whoever builds a :class:`Transport` closes it)::

    Transport                     one per registry (the bot: one per Services)
    ├── session()                 pooled ClientSession, opened lazily on the running loop
    └── account(key, factory)     AccountState per provider account (endpoint + token)
        ├── limiter, special      client-side ceilings, shared by every client of the token
        └── budget, last_success  what the provider last said about the account
    JsonApi(transport=…)          one per client; sends through the transport's session

Secrets never leave this module: the token is only placed in the ``Authorization``
header, accounts are keyed by a SHA-256 of the token, and the log line carries the
path *template* (ids replaced by ``{id}``), never a query string or a body.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar

import aiohttp
import stamina
from aiolimiter import AsyncLimiter

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
from providers.fairshare import WORKSPACE, FairShare
from providers.metrics import (
    PROVIDER_ERRORS,
    PROVIDER_RATELIMIT_REMAINING,
    PROVIDER_REQUEST_SECONDS,
)
from providers.netguard import BLOCKED, origin, public_socket, same_origin

if TYPE_CHECKING:
    from providers.base import Provider
    from providers.models import Instance

__all__ = [
    "AccountState",
    "ApiResponse",
    "JsonApi",
    "RateBudget",
    "Transport",
    "account_key",
    "path_template",
    "resolve_lost_create",
    "unique_by",
]

logger = logging.getLogger("providers.http")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_PHRASES = {s.value: s.phrase for s in HTTPStatus}

# ---------------------------------------------------------------------- rate limits


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
    within one :class:`Transport`."""

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


# ------------------------------------------------------------------------ transport


class Transport:
    """One pooled HTTP session and the rate-limit accounts of the clients using it.

    Why an object, not module globals: its owner (a provider registry, hence the
    bot's services container) decides its lifetime, and each test gets a fresh one
    instead of resetting shared state. Clients of the same token on the same
    endpoint share one :class:`AccountState` only within one transport.

    The session is opened on first use on the running loop (and again if used from
    another loop). :meth:`aclose` closes it for good and is safe to call twice: a call
    still queued then (a background load behind the limiter at shutdown) fails as an
    :class:`OutageError` instead of opening a session nobody would close.
    """

    def __init__(
        self,
        *,
        limit: int = 100,
        limit_per_host: int = 30,
        trusted_origins: Iterable[str] = (),
        resolver: aiohttp.abc.AbstractResolver | None = None,
    ) -> None:
        self._limit = limit
        self._limit_per_host = limit_per_host
        #: origins (scheme, host, port) the operator allowed onto private addresses
        self.trusted_origins = frozenset(o for o in map(origin, trusted_origins) if o)
        self._resolver = resolver
        self._sessions: dict[bool, aiohttp.ClientSession] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._accounts: dict[str, AccountState] = {}
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._sessions else "idle"
        return f"<Transport {state} accounts={len(self._accounts)}>"

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called (no session will be opened any more)."""
        return self._closed

    def trusts(self, url: str) -> bool:
        """Whether ``url``'s origin is on the operator's allowlist."""
        found = origin(url)
        return found is not None and found in self.trusted_origins

    def session(self, *, private_ok: bool = False) -> aiohttp.ClientSession:
        """The pooled session, opened lazily on the running loop.

        Two pools: the default one connects to public addresses only
        (:func:`~providers.netguard.public_socket` checks every connection); the
        ``private_ok`` one, for endpoints the operator vouched for, anywhere.
        Raises :class:`RuntimeError` once the transport is closed.
        """
        if self._closed:
            raise RuntimeError("the provider transport is closed")
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._sessions, self._loop = {}, loop
        session = self._sessions.get(private_ok)
        if session is None or session.closed:
            session = self._sessions[private_ok] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._limit,
                    limit_per_host=self._limit_per_host,
                    ttl_dns_cache=300,
                    resolver=self._resolver,
                    socket_factory=None if private_ok else public_socket,
                ),
                headers={"User-Agent": "vpsbot/0.1 (+providers)"},
            )
        return session

    def account(self, key: str, factory: Callable[[], AccountState]) -> AccountState:
        """The state of account ``key``, made by ``factory`` the first time it is asked for."""
        state = self._accounts.get(key)
        if state is None:
            state = self._accounts[key] = factory()
        return state

    async def aclose(self) -> None:
        """Close the session (if one was opened) for good; safe to call twice."""
        self._closed = True
        sessions, self._sessions, self._loop = list(self._sessions.values()), {}, None
        for session in sessions:
            if not session.closed:
                await session.close()


# ------------------------------------------------------------------------- helpers

_ID_SEGMENT = re.compile(
    r"^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)

_QUOTA = re.compile(
    r"quota|insufficient|out of capacity|not enough (?:resources|capacity)"
    r"|limit (?:has been )?reached|reached (?:the|your)\b.*\blimit"
    r"|exceed(?:s|ed)? (?:your|the account'?s?)\b.*\blimit|account limit",
    re.IGNORECASE,
)


def unique_by(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """``items`` without repeats of the same ``key`` (first one kept).

    Paginated catalogues can repeat an item across a page boundary when the list
    changes between two page reads; items without the key are dropped.
    """
    seen: set[str] = set()
    out = []
    for item in items:
        value = item.get(key)
        if value is None or str(value) in seen:
            continue
        seen.add(str(value))
        out.append(item)
    return out


_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


def _excerpt(text: str, secret: str, limit: int = 300) -> str:
    """A body for the log only: markup stripped, the token removed, cut short."""
    flat = _SPACES.sub(" ", _TAGS.sub(" ", text)).strip()
    if secret:
        flat = flat.replace(secret, "[redacted]")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def path_template(path: str) -> str:
    """``/v2/droplets/123/actions/9`` → ``/v2/droplets/{id}/actions/{id}``."""
    path = path.split("?", 1)[0]
    return "/".join("{id}" if _ID_SEGMENT.match(seg) else seg for seg in path.split("/"))


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


def _retry_after_seconds(value: str | None, now: float) -> float | None:
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


@dataclass(frozen=True)
class ApiResponse:
    """A decoded successful response."""

    status: int
    body: Any
    headers: Mapping[str, str]
    request_id: str | None


# ---------------------------------------------------------------------------- API


class JsonApi:
    """Base of the DigitalOcean and Linode HTTP clients.

    Subclasses set the class attributes and implement :meth:`parse_error`. Calls go
    through ``transport`` (its session, and its state for this client's account).
    ``request()`` retries GETs (``stamina``, at most ``max_attempts``) on
    :class:`OutageError` and :class:`RateLimitedError` — honouring ``Retry-After``
    unless it exceeds ``retry_after_cap`` — and never retries anything else.
    """

    provider_type: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    #: Client-side ceiling per account, requests per minute.
    requests_per_minute: ClassVar[int] = 60
    #: Least wait before retrying a 429, whatever its Retry-After or reset says.
    rate_limit_floor: ClassVar[float] = 1.0
    #: Extra per-endpoint limits: (METHOD, path template) → (max requests, seconds).
    special_limits: ClassVar[Mapping[tuple[str, str], tuple[float, float]]] = {}
    limit_header: ClassVar[str] = "ratelimit-limit"
    remaining_header: ClassVar[str] = "ratelimit-remaining"
    reset_header: ClassVar[str] = "ratelimit-reset"
    request_id_header: ClassVar[str] = "x-request-id"
    #: Provider request field → :class:`~providers.models.CreateRequest` field.
    field_names: ClassVar[Mapping[str, str]] = {}
    #: Sends of a write refused as "busy" before giving up (about 15 s of backoff).
    busy_attempts: ClassVar[int] = 5

    def __init__(
        self,
        *,
        token: str,
        transport: Transport,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_attempts: int = 3,
        retry_after_cap: float = 30.0,
        clock: Callable[[], float] = time.time,
        trusted: bool = False,
        shared: bool = False,
    ) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        #: several workspaces share this account: each gets a fair share of its budget
        self.shared = shared
        #: the operator vouched for this endpoint (``trusted``, or its origin is on the
        #: transport's allowlist): it may be on a private address
        self.vouched = trusted or transport.trusts(self.base_url)
        #: whose answers may be quoted: the type's official API or a vouched endpoint;
        #: anything else's errors are reported by status in vpsbot's own words
        self.known_host = self.vouched or same_origin(self.base_url, self.default_base_url)
        self._token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10.0))
        self.max_attempts = max_attempts
        self.retry_after_cap = retry_after_cap
        self._clock = clock
        self.transport = transport
        key = account_key(self.provider_type, token, self.base_url)
        self.account = transport.account(
            key,
            lambda: AccountState(
                key=key,
                short=key.split(":", 1)[1][:12],
                limiter=AsyncLimiter(self.requests_per_minute, 60),
                special={k: AsyncLimiter(*v) for k, v in self.special_limits.items()},
            ),
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url} account={self.account.short}>"

    @property
    def rate_budget(self) -> RateBudget | None:
        return self.account.budget

    @property
    def last_success(self) -> float | None:
        """Unix time of this account's latest successful call from this process."""
        return self.account.last_success

    # ---- hooks

    def parse_error(self, body: Any) -> tuple[str, str | None]:
        """``(message, provider field or None)`` from an error body."""
        raise NotImplementedError

    def parse_fields(self, body: Any) -> dict[str, str]:
        """Every ``provider field → reason`` an error body names (several at once
        for Linode); empty when the body names none."""
        return {}

    def normalise_field(self, name: str | None) -> str | None:
        if not name:
            return None
        head = name.split(".", 1)[0]
        return self.field_names.get(name) or self.field_names.get(head) or name

    # ---- public calls

    async def get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return (await self.request("GET", path, params=params, headers=headers)).body

    async def post(self, path: str, json_body: Any = None) -> Any:
        return (await self.request("POST", path, json_body=json_body)).body

    async def post_when_free(self, path: str, json_body: Any = None) -> Any:
        """POST, sent again with backoff while the API answers "busy".

        Safe to resend: a busy answer means the request was refused, not done.
        After ``busy_attempts`` refusals the :class:`BusyError` is raised.
        """
        async for attempt in stamina.retry_context(
            on=BusyError,
            attempts=self.busy_attempts,
            timeout=None,
            wait_initial=1.0,
            wait_max=8.0,
            wait_jitter=0.5,
        ):
            with attempt:
                return (await self.request("POST", path, json_body=json_body)).body
        raise AssertionError("unreachable")  # pragma: no cover

    async def put(self, path: str, json_body: Any = None) -> Any:
        return (await self.request("PUT", path, json_body=json_body)).body

    async def delete(self, path: str) -> Any:
        return (await self.request("DELETE", path)).body

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        retry: bool | None = None,
    ) -> ApiResponse:
        """Send one call; ``retry`` defaults to True for GET only."""
        method = method.upper()
        if self.shared:
            self._take_share()
        if retry is None:
            retry = method == "GET"
        if not retry:
            return await self._send(method, path, params, json_body, headers)
        async for attempt in stamina.retry_context(
            on=self._retry_hook,
            attempts=self.max_attempts,
            timeout=None,
            wait_initial=0.5,
            wait_max=10.0,
            wait_jitter=0.5,
        ):
            with attempt:
                return await self._send(method, path, params, json_body, headers)
        raise AssertionError("unreachable")  # pragma: no cover

    def _take_share(self) -> None:
        """Count this call against its workspace's share of a shared account
        (:mod:`providers.fairshare`); raises :class:`ShareUsedError` beyond it."""
        team = WORKSPACE.get()
        if team is None:
            return
        if self.account.fair is None:
            self.account.fair = FairShare(self.requests_per_minute)
        self.account.fair.admit(team, self._clock(), provider=self.display_name)

    def _retry_hook(self, exc: Exception) -> bool | float:
        if self.transport.closed:
            return False
        if isinstance(exc, RateLimitedError):
            if exc.retry_after is None:
                return True
            if exc.retry_after > self.retry_after_cap:
                return False
            # a reset already past (clock skew, a window that just turned) says "now":
            # three retries would then land within milliseconds and earn three 429s
            return float(max(exc.retry_after, self.rate_limit_floor))
        return isinstance(exc, OutageError) and not isinstance(exc, OutcomeUnknownError)

    # ---- internals

    async def _await_budget(self) -> None:
        budget = self.account.budget
        if budget is None or budget.remaining is None or budget.remaining > 0:
            return
        if budget.reset_at is not None:
            wait = budget.reset_at - self._clock()
            if wait > self.retry_after_cap:
                raise RateLimitedError(
                    f"the {self.display_name} rate limit is used up; it resets in {wait:.0f} s",
                    provider=self.display_name,
                    retry_after=wait,
                )
            if wait > 0:
                logger.info(
                    "%s rate budget exhausted; waiting %.1f s for reset",
                    self.display_name,
                    wait,
                    extra={"provider": self.provider_type, "account": self.account.short},
                )
                await asyncio.sleep(wait)
        self.account.budget = replace(budget, remaining=None)

    def _track(self, headers: Mapping[str, str]) -> None:
        limit = _int_header(headers, self.limit_header)
        remaining = _int_header(headers, self.remaining_header)
        reset = _int_header(headers, self.reset_header)
        if limit is None and remaining is None and reset is None:
            return
        self.account.budget = RateBudget(
            limit=limit, remaining=remaining, reset_at=float(reset) if reset is not None else None
        )
        if remaining is not None:
            PROVIDER_RATELIMIT_REMAINING.labels(self.provider_type, self.account.short).set(
                remaining
            )

    def _request_id(self, headers: Mapping[str, str], body: Any) -> str | None:
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
            phrase = _PHRASES.get(status, "")
            message = f"HTTP {status}" + (f" {phrase}" if phrase else "")
            if text.strip():
                logger.warning(
                    "%s answered HTTP %s with a body that is not its error format: %s",
                    self.display_name,
                    status,
                    _excerpt(text, self._token),
                    extra={"provider": self.provider_type, "status": status},
                )
        fld = self.normalise_field(raw_field)
        fields: dict[str, str] = {}
        for name, reason in raw_fields.items():
            key = self.normalise_field(name) or name
            fields[key] = f"{fields[key]}; {reason}" if key in fields else reason
        provider = self.display_name
        if status == 429:
            retry_after = _retry_after_seconds(headers.get("retry-after"), self._clock())
            if retry_after is None:
                reset = _int_header(headers, self.reset_header)
                if reset is not None:
                    retry_after = max(0.0, reset - self._clock())
            return RateLimitedError(
                message,
                provider=provider,
                status=status,
                retry_after=retry_after,
                request_id=request_id,
            )
        if status == 401:
            return CredentialsError(
                message, provider=provider, status=status, request_id=request_id
            )
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
                message, provider=provider, field=fld, status=status, request_id=request_id
            )
        if status == 403:
            return CredentialsError(
                message, provider=provider, status=status, request_id=request_id
            )
        if status == 404:
            return NotFoundError(message, provider=provider, status=status, request_id=request_id)
        if self.is_busy(status, message):
            return BusyError(message, provider=provider, status=status, request_id=request_id)
        return ValidationError(
            message,
            provider=provider,
            field=fld,
            status=status,
            request_id=request_id,
            fields=fields,
        )

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
            cls = OutcomeUnknownError if method in WRITE_METHODS else OutageError
            return cls(
                f"{self.display_name} answered with a redirect (HTTP {status}), "
                "which vpsbot does not follow; check the provider's API URL",
                provider=self.display_name,
                status=status,
            )
        if not self.known_host:
            return self._map_error(method, status, None, "", headers, None)
        return self._map_error(method, status, body, text, headers, request_id)

    def _blocked_error(self, exc: BaseException) -> ProviderError | None:
        """The error for a connection :mod:`providers.netguard` refused, else None."""
        if not isinstance(exc, aiohttp.ClientConnectorError) or BLOCKED not in str(exc.os_error):
            return None
        logger.warning(
            "%s call to %s refused: the address is not public and the operator did not "
            "allow this endpoint",
            self.display_name,
            origin(self.base_url),
            extra={"provider": self.provider_type, "account": self.account.short},
        )
        return OutageError(
            f"vpsbot does not connect to {self.display_name} at this API URL: it leads to "
            "a private or local network address the operator has not allowed",
            provider=self.display_name,
        )

    def _transport_error(self, method: str, exc: BaseException) -> ProviderError:
        provider = self.display_name
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

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        extra_headers: Mapping[str, str] | None,
    ) -> ApiResponse:
        endpoint = path_template(path)
        special = self.account.special.get((method, endpoint))
        if special is not None:
            await special.acquire()
        await self.account.limiter.acquire()
        # After the limiter's wait, not before: the budget may have run out while
        # this call was queued, and a call sent anyway would only earn a 429.
        await self._await_budget()

        if self.transport.closed:
            # its owner shut down while this call waited: nothing was sent
            raise OutageError(
                f"{self.display_name} calls stopped: vpsbot is shutting down",
                provider=self.display_name,
            )

        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if extra_headers:
            headers.update(extra_headers)
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}

        status: int | None = None
        request_id: str | None = None
        error: ProviderError | None = None
        result: ApiResponse | None = None
        started = time.perf_counter()
        try:
            session = self.transport.session(private_ok=self.vouched)
            async with session.request(
                method,
                self.base_url + path,
                params=query or None,
                json=json_body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            ) as resp:
                status = resp.status
                raw = await resp.read()
                resp_headers: Mapping[str, str] = resp.headers
        except (TimeoutError, aiohttp.ClientError) as exc:
            error = self._blocked_error(exc) or self._transport_error(method, exc)
        else:
            self._track(resp_headers)
            text = raw.decode("utf-8", "replace")
            body: Any = None
            decoded = True
            if raw.strip():
                try:
                    body = json.loads(text)
                except ValueError:
                    decoded = False
            request_id = self._request_id(resp_headers, body)
            if status >= 300:
                error = self._answer_error(method, status, body, text, resp_headers, request_id)
            elif not decoded:
                cls = OutcomeUnknownError if method in WRITE_METHODS else UnreadableAnswerError
                logger.warning(
                    "%s answered HTTP %s with a body that is not JSON: %s",
                    self.display_name,
                    status,
                    _excerpt(text, self._token),
                    extra={"provider": self.provider_type, "status": status},
                )
                error = cls(
                    f"{self.display_name} sent a response that is not JSON (HTTP {status})",
                    provider=self.display_name,
                    status=status,
                    request_id=request_id,
                )
            else:
                result = ApiResponse(status, body, resp_headers, request_id)
                self.account.last_success = time.time()
        elapsed = time.perf_counter() - started

        PROVIDER_REQUEST_SECONDS.labels(self.provider_type, endpoint, method).observe(elapsed)
        if error is not None:
            if error.request_id is None:
                error.request_id = request_id
            PROVIDER_ERRORS.labels(self.provider_type, endpoint, error.code).inc()
        logger.log(
            logging.WARNING if error is not None else logging.INFO,
            "%s %s %s -> %s in %.0f ms (request_id=%s)",
            self.display_name,
            method,
            endpoint,
            status if status is not None else error.code if error else "-",
            elapsed * 1000,
            request_id or "-",
            extra={
                "provider": self.provider_type,
                "account": self.account.short,
                "method": method,
                "path": endpoint,
                "status": status,
                "latency_ms": round(elapsed * 1000, 1),
                "provider_request_id": request_id,
                "error": error.code if error is not None else None,
            },
        )
        if error is not None:
            raise error
        assert result is not None
        return result


async def resolve_lost_create(
    provider: Provider,
    tag: str,
    cause: OutcomeUnknownError,
    *,
    rechecks: int = 2,
    delay: float = 2.0,
) -> Instance:
    """After a create whose answer was lost, find the server by its unique tag.

    Found → return it (the create happened; nothing is sent again). Not found after
    ``rechecks`` lookups ``delay`` seconds apart → :class:`OutcomeUnknownError`,
    because tag listings can lag behind a create: the caller must look again
    later and must not blindly create again. A lookup that itself fails also
    raises :class:`OutcomeUnknownError`.
    """
    display = cause.provider
    for attempt in range(max(1, rechecks)):
        if attempt:
            await asyncio.sleep(delay)
        try:
            found = await provider.find_by_tag(tag)
        except ProviderError as exc:
            raise OutcomeUnknownError(
                f"the create was sent but its answer was lost ({cause.message}), and looking "
                f"the server up by tag failed ({exc.message}); look it up again later",
                provider=display,
                status=cause.status,
            ) from exc
        if found is not None:
            logger.info(
                "%s create answer lost; found the server by tag",
                display,
                extra={"provider": provider.type, "instance_id": found.id},
            )
            return found
    raise OutcomeUnknownError(
        f"the create was sent but its answer was lost ({cause.message}) and no server with "
        "its tag exists yet; look it up again later before creating another",
        provider=display,
        status=cause.status,
    )
