"""Sliding-window request budgets, per token, on the sandbox's virtual clock.

Each request counts against the budget for ``window`` seconds after it is made
(DigitalOcean's documented model); advancing the clock frees the budget.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from standins.sandbox.clock import Clock

__all__ = ["Budget", "Verdict"]


@dataclass(frozen=True)
class Verdict:
    """Outcome of one request against a budget."""

    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int  # when the oldest counted request expires (Unix seconds)
    retry_after: int  # seconds to wait before retrying (0 when allowed)


class Budget:
    """``limit`` requests per ``window`` seconds for each key (token)."""

    def __init__(self, clock: Clock, limit: int, window: float) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> Verdict:
        """Count one request for ``key`` if the budget allows it."""
        now = self.clock.now()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        allowed = len(hits) < self.limit
        if allowed:
            hits.append(now)
        oldest = hits[0] if hits else now
        expires = oldest + self.window
        return Verdict(
            allowed=allowed,
            limit=self.limit,
            remaining=max(0, self.limit - len(hits)),
            reset_epoch=math.ceil(self.clock.epoch(expires)),
            retry_after=0 if allowed else max(1, math.ceil(expires - now)),
        )

    def clear(self) -> None:
        self._hits.clear()
