"""The JSON API client both HTTP providers build on: one call, sent and read.

Why its own module: this is the path every DigitalOcean and Linode call takes —
throttle (:mod:`providers.http.ratelimits`), send over the transport's session
(:mod:`providers.http.transport`), read the answer in the provider's dialect or map
the failure (:mod:`providers.http.answers`, :mod:`providers.http.normalise`), retry
if the policy says so (:mod:`providers.http.retries`), then one log line and
Prometheus samples (:mod:`providers.http.telemetry`). Each provider's subclass only
says how its API spells errors, headers and limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import aiohttp
from aiolimiter import AsyncLimiter

from providers.errors import BusyError, OutageError
from providers.fairshare import WORKSPACE, FairShare
from providers.http.answers import AnswerReader, ApiResponse, Exchange
from providers.http.normalise import blocked_error, connection_error
from providers.http.ratelimits import (
    AccountState,
    RateBudget,
    account_key,
    await_budget,
    path_template,
)
from providers.http.retries import BUSY_BACKOFF, READ_BACKOFF, retry_delay, retrying
from providers.http.telemetry import report_call
from providers.http.transport import Transport
from providers.netguard import same_origin

__all__ = ["JsonApi"]


class JsonApi(AnswerReader):
    """Base of the DigitalOcean and Linode HTTP clients.

    Subclasses set the class attributes (here and in :class:`AnswerReader`) and
    implement :meth:`parse_error`. Calls go
    through ``transport`` (its session, and its state for this client's account).
    ``request()`` retries GETs (``stamina``, at most ``max_attempts``) on
    :class:`OutageError` and :class:`RateLimitedError` — honouring ``Retry-After``
    unless it exceeds ``retry_after_cap`` — and never retries anything else.
    """

    default_base_url: ClassVar[str] = ""
    #: Client-side ceiling per account, requests per minute.
    requests_per_minute: ClassVar[int] = 60
    #: Least wait before retrying a 429, whatever its Retry-After or reset says.
    rate_limit_floor: ClassVar[float] = 1.0
    #: Extra per-endpoint limits: (METHOD, path template) → (max requests, seconds).
    special_limits: ClassVar[Mapping[tuple[str, str], tuple[float, float]]] = {}
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
        return (
            await retrying(
                lambda: self.request("POST", path, json_body=json_body),
                on=BusyError,
                attempts=self.busy_attempts,
                backoff=BUSY_BACKOFF,
            )
        ).body

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
        return await retrying(
            lambda: self._send(method, path, params, json_body, headers),
            on=self._retry_hook,
            attempts=self.max_attempts,
            backoff=READ_BACKOFF,
        )

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
        """Whether (or after how long) a read is sent again: :func:`retry_delay`."""
        return retry_delay(
            exc,
            closed=self.transport.closed,
            cap=self.retry_after_cap,
            floor=self.rate_limit_floor,
        )

    # ---- internals

    async def _throttle(self, method: str, endpoint: str) -> None:
        """Wait for this endpoint's and this account's client-side limits, then for
        the provider's window if it said none is left."""
        special = self.account.special.get((method, endpoint))
        if special is not None:
            await special.acquire()
        await self.account.limiter.acquire()
        # After the limiter's wait, not before: the budget may have run out while
        # this call was queued, and a call sent anyway would only earn a 429.
        await await_budget(
            self.account,
            clock=self._clock,
            cap=self.retry_after_cap,
            provider=self.display_name,
            provider_type=self.provider_type,
        )
        if self.transport.closed:
            # its owner shut down while this call waited: nothing was sent
            raise OutageError(
                f"{self.display_name} calls stopped: vpsbot is shutting down",
                provider=self.display_name,
            )

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        extra_headers: Mapping[str, str] | None,
    ) -> ApiResponse:
        endpoint = path_template(path)
        await self._throttle(method, endpoint)
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if extra_headers:
            headers.update(extra_headers)
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        started = time.perf_counter()
        done = await self._exchange(method, path, query, json_body, headers)
        self._report(method, endpoint, done, time.perf_counter() - started)
        if done.error is not None:
            raise done.error
        assert done.result is not None
        return done.result

    async def _exchange(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        json_body: Any,
        headers: dict[str, str],
    ) -> Exchange:
        """Send the call and read its answer; a failure is returned, not raised."""
        done = Exchange()
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
                status = done.status = resp.status
                raw = await resp.read()
                resp_headers: Mapping[str, str] = resp.headers
        except (TimeoutError, aiohttp.ClientError) as exc:
            done.error = blocked_error(
                exc,
                provider=self.display_name,
                provider_type=self.provider_type,
                base_url=self.base_url,
                account=self.account.short,
            ) or connection_error(method, exc, self.display_name)
        else:
            self._read(method, status, raw, resp_headers, done)
        return done

    def _report(self, method: str, endpoint: str, done: Exchange, elapsed: float) -> None:
        """One log line and the Prometheus samples for a call, whatever it came to."""
        if done.error is not None and done.error.request_id is None:
            done.error.request_id = done.request_id
        report_call(
            provider=self.display_name,
            provider_type=self.provider_type,
            account=self.account.short,
            method=method,
            endpoint=endpoint,
            status=done.status,
            request_id=done.request_id,
            error=done.error,
            elapsed=elapsed,
        )
