"""The OAuth states of installs nobody finished, swept (OAuth mode).

Every visit to ``/slack/install`` writes a state row through slack_sdk's
``AsyncSQLAlchemyOAuthStateStore``; the store deletes a row only when an install
comes back with it. An install abandoned on Slack's approval page — or anyone
opening the public install URL over and over — would leave its row for ever, so
a background job deletes the rows past their expiry every :data:`STATE_SECONDS`.
Deleting is idempotent: every replica may sweep, no claim is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from bot.core.services import Services
from db.repo import workspaces

__all__ = ["STATE_SECONDS", "sweep_states", "sweep_states_forever"]

log = logging.getLogger(__name__)

#: Seconds an install's state is valid (the store's ``expiration_seconds``), and
#: how often the expired ones are swept.
STATE_SECONDS = 600


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
