"""The pooled HTTP session and the per-account state its clients share.

Why its own module: the :class:`Transport` is the one thing in the HTTP plumbing
with a lifetime — its owner (a provider registry, hence the bot's services
container) opens and closes it — so it stays apart from the stateless request
logic in :mod:`providers.http.client`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

import aiohttp

from providers.http.ratelimits import AccountState
from providers.netguard import origin, public_socket

__all__ = ["Transport"]


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
