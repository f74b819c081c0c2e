"""When the status watcher polls: what each kind of change is expected to take on
each provider account (learned as it goes), and the delay to the next poll.

Pure: no database, no provider (a row is only read). :mod:`bot.status.watcher`
uses it to wait until just before a change should be over, then poll every
:data:`TICK` seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from db.models import VpsInstance

__all__ = [
    "DEFAULT_SECONDS",
    "LEAD",
    "TICK",
    "Change",
    "Durations",
    "change_of",
    "next_delay",
]


#: Seconds between polls while a change is due (the card's lag is at most this
#: plus the cycle interval and one request).
TICK = 3.0
#: Polls start this long before the expected end of a change.
LEAD = 2.0
#: What a change takes before the account has shown one (seconds).
DEFAULT_SECONDS = {
    "create": 50.0,
    "power_on": 20.0,
    "shutdown": 20.0,
    "power_off": 10.0,
    "reboot": 30.0,
    "power_cycle": 20.0,
    "rebuild": 60.0,
    "resize": 120.0,
    "delete": 10.0,
}


def _backoff(attempts: int) -> float:
    """For rows with no change to predict (a lost create looked up by tag)."""
    return float(min(2 ** max(attempts, 1), 60))


def next_delay(elapsed: float, expected: float, *, learned: bool) -> float:
    """Seconds until the next poll of a change ``elapsed`` seconds old that is
    expected to take ``expected`` seconds.

    Before the expected end (less :data:`LEAD`) nothing is asked; from then on
    every :data:`TICK` seconds until twice the expected time, then less and less
    often (at most a minute apart). Without a learned figure the window opens at
    half the default, since a default is only a guess.
    """
    start = (expected - LEAD) if learned else expected / 2
    if elapsed < start:
        return max(start - elapsed, 0.5)
    late = elapsed - (2 * expected + 30)
    if late <= 0:
        return TICK
    return min(60.0, max(TICK, late / 2))


class Durations:
    """How long each kind of change takes on each provider account, learned.

    An exponentially weighted mean of what was observed (newer changes count
    more); None until the account has shown one.
    """

    def __init__(self, weight: float = 0.3) -> None:
        self.weight = weight
        self._seen: dict[tuple[str, str], float] = {}

    def typical(self, account: str, kind: str) -> float | None:
        return self._seen.get((account, kind))

    def expected(self, account: str, kind: str) -> tuple[float, bool]:
        """(seconds, whether learned) for a change of ``kind``."""
        seen = self._seen.get((account, kind))
        if seen is not None:
            return seen, True
        return DEFAULT_SECONDS.get(kind, 30.0), False

    def observe(self, account: str, kind: str, seconds: float) -> None:
        seconds = max(1.0, seconds)
        old = self._seen.get((account, kind))
        self._seen[(account, kind)] = (
            seconds if old is None else old + self.weight * (seconds - old)
        )


@dataclass(frozen=True)
class Change:
    """What a watched row is waiting for: ``kind`` started at ``since`` (epoch)."""

    kind: str
    since: float


def change_of(row: VpsInstance) -> Change | None:
    """The change a watched row waits for (its pending action, or its create), or
    None when there is none to predict."""
    pending: dict[str, Any] | None = row.configuration.get("pending_action")
    if pending and pending.get("action"):
        at = pending.get("at")
        since = float(at) if isinstance(at, int | float) else time.time()
        return Change(str(pending["action"]), since)
    if row.status == "provisioning" and row.provider_instance_id:
        return Change("create", row.created_at.timestamp())
    return None
