"""A virtual clock: real monotonic time plus an offset that tests can advance.

Lifecycles (provisioning, actions, events) are computed from this clock when
read, so ``advance()`` moves every server forward without background tasks.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["Clock"]


class Clock:
    """Monotonic virtual time with a matching wall-clock view for timestamps."""

    def __init__(self) -> None:
        self._mono0 = time.monotonic()
        self._epoch0 = time.time()
        self._offset = 0.0

    def now(self) -> float:
        """Virtual monotonic seconds; never goes backwards."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Move virtual time forward by ``seconds`` (negative values are ignored)."""
        if seconds > 0:
            self._offset += seconds

    def epoch(self, at: float | None = None) -> float:
        """Unix time corresponding to virtual instant ``at`` (default: now)."""
        at = self.now() if at is None else at
        return self._epoch0 + (at - self._mono0)

    def datetime(self, at: float | None = None) -> datetime:
        return datetime.fromtimestamp(self.epoch(at), UTC)

    def iso_do(self, at: float | None = None) -> str:
        """DigitalOcean timestamp style: ``2020-07-21T18:37:44Z``."""
        return self.datetime(at).strftime("%Y-%m-%dT%H:%M:%SZ")

    def iso_linode(self, at: float | None = None) -> str:
        """Linode timestamp style: ``2018-01-01T00:01:01`` (UTC, no zone)."""
        return self.datetime(at).strftime("%Y-%m-%dT%H:%M:%S")
