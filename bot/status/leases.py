"""Server leases: a reminder before expiry, and the policy's action at expiry.

One :class:`LeaseSweeper` per process. Each pass claims the reminders and the
expiries due (:mod:`db.repo.leases`: conditional UPDATEs, SKIP LOCKED), so with
any number of replicas each reminder is sent once and each expiry is claimed by
one sweeper. The lease-end action is effectively exactly once: the claim is
committed (and audited) before the action runs, and the lease end is marked
done together with the audit row of its outcome. A claim not done ``grace``
after it was made (the process died between the claim and the outcome) is
claimed again by exactly one sweeper and the action runs again; the action is
idempotent (a server already off or gone is said to be so, nothing is sent), so
it takes effect once. The outcome is told in the server's thread before the done
mark: a crash in between may repeat the message ("already powered off"), never
lose it.

The clock is injected (``clock``), so tests move time instead of sleeping. The
action itself is injected too (``end``): it is the servers feature's, which this
layer does not import; the process wires it (``bot/app``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock

from bot.core.blocks import date, esc, md
from bot.core.services import Services
from bot.core.slack import slack_error
from bot.status import service as status
from db.models import VpsInstance
from db.repo import activity, leases
from db.repo.leases import Due

__all__ = [
    "DEFAULT_GRACE",
    "DELETE_NOW_ACTION",
    "EXTEND_ACTION",
    "EndLease",
    "LeaseSweeper",
    "reminder_blocks",
]

log = logging.getLogger(__name__)

#: The reminder's buttons. "Delete now" opens the servers feature's delete
#: confirmation (its ``vps_delete`` action), so deleting asks the same way everywhere.
EXTEND_ACTION = "vps_lease_extend"
DELETE_NOW_ACTION = "vps_delete"

#: Runs the lease-end ``action`` ("power_off" or "delete") on a server; returns
#: one line saying what happened (for the thread and the audit log). It may run
#: again for the same lease end (a re-claim), so it must be idempotent.
EndLease = Callable[[Services, VpsInstance, str], Awaitable[str]]

_WORDS = {"power_off": "powered off", "delete": "deleted"}

#: How long a claimed lease end may go without its done mark before another
#: sweeper takes it over: far longer than any action takes (a provider call gives
#: up within a few minutes: 30 s timeouts, a handful of retries on "busy").
DEFAULT_GRACE = timedelta(minutes=15)


def _now() -> datetime:
    return datetime.now(UTC)


def reminder_blocks(row: VpsInstance, action: str) -> list[Block]:
    """The reminder: when the lease ends, what happens then, Extend and Delete now."""
    return [
        SectionBlock(
            text=md(
                f":alarm_clock: The lease of *{esc(row.label)}* ends {date(row.expires_at)}; "
                f"it will then be {_WORDS.get(action, action)}. Extend it, or delete it now if "
                "it is no longer needed."
            )
        ),
        ActionsBlock(
            block_id="lease",
            elements=[
                ButtonElement(
                    action_id=EXTEND_ACTION, text="Extend", style="primary", value=str(row.id)
                ),
                ButtonElement(
                    action_id=DELETE_NOW_ACTION,
                    text="Delete now",
                    style="danger",
                    value=str(row.id),
                ),
            ],
        ),
    ]


class LeaseSweeper:
    """Sends lease reminders and ends expired leases; one instance per process.

    ``grace``: how long a claimed lease end may stay without its done mark before
    this sweeper claims it again (its claimer is taken to have died).
    """

    def __init__(
        self,
        services: Services,
        *,
        end: EndLease,
        clock: Callable[[], datetime] = _now,
        interval: float = 60.0,
        batch: int = 200,
        grace: timedelta = DEFAULT_GRACE,
    ) -> None:
        self.services = services
        self.end = end
        self.clock = clock
        self.interval = interval
        self.batch = batch
        self.grace = grace

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep until ``stop`` is set; a failing pass is logged, never fatal."""
        while not stop.is_set():
            try:
                await self.cycle()
            except Exception:
                log.exception("lease sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    async def cycle(self) -> tuple[int, int]:
        """One pass: (reminders sent, lease-end actions run, first or again)."""
        now = self.clock()
        async with self.services.db.session() as session, session.begin():
            longest = await leases.longest_reminder(session)
            reminders = await leases.claim_reminders(
                session, now, longest=longest, limit=self.batch
            )
        for due in reminders:
            await self._remind(due)
        async with self.services.db.session() as session, session.begin():
            ended = await leases.claim_expired(session, now, limit=self.batch)
            again = await leases.reclaim_unfinished(
                session, now, claimed_before=now - self.grace, limit=self.batch
            )
            for due, stage in [(d, "claimed") for d in ended] + [(d, "reclaimed") for d in again]:
                await activity.record(
                    session,
                    event_type="vps.lease_end",
                    status="info",
                    team_id=due.instance.team_id,
                    user_id=None,
                    entity_type="vps",
                    entity_id=str(due.instance.id),
                    metadata={
                        "label": due.instance.label,
                        "action": due.action,
                        "stage": stage,
                    },
                )
        for due in ended + again:
            await self._expire(due)
        return len(reminders), len(ended) + len(again)

    async def _post(self, row: VpsInstance, text: str, blocks: list[Block] | None) -> None:
        """In the server's thread (when it has a card) and to its owner directly."""
        targets: list[dict[str, Any]] = []
        if row.channel_id and status.is_posted(row):
            targets.append({"channel": row.channel_id, "thread_ts": row.message_ts})
        if row.created_by:
            targets.append({"channel": row.created_by})
        client = await status.client_for(self.services, row) if targets else None
        if client is None:
            return
        for target in targets:
            try:
                await client.chat_postMessage(text=text, blocks=blocks, **target)
            except Exception as exc:  # one refusal must not stop the other target
                reason = slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
                log.warning("lease message for %s not posted: %s", row.id, reason)

    async def _remind(self, due: Due) -> None:
        row = due.instance
        text = f"The lease of {esc(row.label)} ends soon."
        await self._post(row, text, reminder_blocks(row, due.action))

    async def _expire(self, due: Due) -> None:
        row = due.instance
        if row.status in ("deleted", "deleting"):
            outcome, result = f"*{esc(row.label)}* was already gone when its lease ended.", "info"
        else:
            try:
                outcome = await self.end(self.services, row, due.action)
                result = "success"
            except Exception as exc:
                log.exception("lease end of %s failed", row.id)
                message = getattr(exc, "message", None)
                outcome = (
                    f"The lease of *{esc(row.label)}* ended but it could not be "
                    f"{_WORDS.get(due.action, due.action)}: "
                    f"{esc(message) if isinstance(message, str) else 'something went wrong'}."
                )
                result = "error"
        # told first: a crash before the done mark repeats the message, never loses it
        await self._post(row, outcome, None)
        async with self.services.db.session() as session, session.begin():
            if not await leases.finish(session, row.id, self.clock()):
                log.warning("lease end of %s was finished by another sweeper too", row.id)
            await activity.record(
                session,
                event_type="vps.lease_end",
                status=result,
                team_id=row.team_id,
                user_id=None,
                entity_type="vps",
                entity_id=str(row.id),
                metadata={"label": row.label, "action": due.action, "outcome": outcome[:500]},
            )
