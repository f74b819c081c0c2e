"""OAuth states (OAuth mode): signed, so a visit to ``/slack/install`` writes nothing.

A state is ``nonce.expiry.signature`` (HMAC-SHA256 under a key derived from the
app's client secret): the public install URL can be opened any number of times
without a row each (it used to write one per visit). The callback checks the
signature and the expiry, then records the state in ``slack_oauth_states`` once
(under an advisory lock), so it cannot complete two installs. A background job
deletes the rows past their expiry every :data:`STATE_SECONDS` (by then the
signature check refuses them anyway). Deleting is idempotent: every replica may
sweep, no claim is needed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.core.services import Services
from db.engine import Database
from db.repo import workspaces

__all__ = ["STATE_SECONDS", "SignedStateStore", "sweep_states", "sweep_states_forever"]

log = logging.getLogger(__name__)

#: Seconds an install's state is valid (the store's ``expiration_seconds``), and
#: how often the expired ones are swept.
STATE_SECONDS = 600


class SignedStateStore(AsyncOAuthStateStore):
    """Bolt's state store without a row per visit: see the module's docstring."""

    def __init__(
        self,
        *,
        secret: str,
        db: Database,
        logger: logging.Logger,
        expiration_seconds: int = STATE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("signed OAuth states need the app's client secret")
        self._key = hashlib.sha256(b"vpsbot oauth state\0" + secret.encode()).digest()
        self._db = db
        self._logger = logger
        self._seconds = expiration_seconds
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        body = f"{secrets.token_urlsafe(16)}.{int(self._clock()) + self._seconds}"
        return f"{body}.{self._sign(body)}"

    async def async_consume(self, state: str) -> bool:
        """True once for a state this app issued that has not expired."""
        nonce, _, rest = state.partition(".")
        expires, _, signature = rest.partition(".")
        if not (nonce and expires.isdigit() and len(expires) <= 12 and signature):
            return False
        if not hmac.compare_digest(signature.encode(), self._sign(f"{nonce}.{expires}").encode()):
            self._logger.info("an OAuth callback came back with a state vpsbot did not sign")
            return False
        if int(expires) <= self._clock():
            return False
        until = datetime.fromtimestamp(int(expires), UTC)
        async with self._db.session() as session, session.begin():
            return await workspaces.use_state(session, state, until)


async def sweep_states(services: Services, *, now: datetime | None = None) -> int:
    """Delete the states expired by ``now`` (default: the clock); how many went."""
    async with services.db.session() as session, session.begin():
        dropped = await workspaces.drop_expired_states(session, now or datetime.now(UTC))
    if dropped:
        log.info("swept %d expired OAuth state(s)", dropped)
    return dropped


async def sweep_states_forever(
    services: Services, stop: asyncio.Event, interval: float = STATE_SECONDS
) -> None:
    """Sweep at once, then every ``interval`` seconds until ``stop``."""
    while True:
        try:
            await sweep_states(services)
        except Exception:
            log.exception("sweeping OAuth states failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
        if stop.is_set():
            return
