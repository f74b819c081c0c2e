"""A fair share of one provider account's rate budget among the workspaces sharing it.

Why: an operator-level provider shared with several workspaces is one account at
the provider, hence one budget (DigitalOcean: 250 requests a minute). Without
shares, one workspace's burst of lists, refreshes or creates fills the client-side
limiter's queue and every other workspace waits behind it for minutes. With them,
each workspace may start at most its share of the budget per minute: half of it
while it is alone (the other half stays free for whoever comes next), an equal
part when several are active. A call beyond the share is refused at once, before
it queues, with how long until the workspace's oldest call of the window ages out.

Which workspace a call is for comes from :data:`WORKSPACE` (the bot sets it per
Slack request); calls without one (background work) are not counted here, only
by the account's limiter.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from providers.errors import RateLimitedError

__all__ = ["WORKSPACE", "FairShare", "ShareUsedError", "acting_for"]

#: The workspace the current provider calls are made for (None: vpsbot's own work).
WORKSPACE: ContextVar[str | None] = ContextVar("vpsbot_workspace", default=None)


@contextmanager
def acting_for(team_id: str | None) -> Iterator[None]:
    """Provider calls made inside count against ``team_id``'s share."""
    token = WORKSPACE.set(team_id)
    try:
        yield
    finally:
        WORKSPACE.reset(token)


class ShareUsedError(RateLimitedError):
    """This workspace used its share of a shared account's budget for now."""

    code = "share_used"

    def __init__(self, *, provider: str, share: int, limit: int, others: int, wait: float) -> None:
        super().__init__(
            f"this workspace used its share ({share} of {limit} requests a minute) of a "
            f"{provider} account shared with other workspaces",
            provider=provider,
            retry_after=wait,
        )
        self.share = share
        self.limit = limit
        self.others = others

    def user_message(self) -> str:
        wait = max(1, int(self.retry_after or 0) + 1)
        others = (
            f"{self.others} other workspace{'s' if self.others != 1 else ''}"
            if self.others
            else "other workspaces"
        )
        return (
            f"Your workspace has used its share of the {self.provider} account it shares "
            f"with {others} ({self.share} of its {self.limit} requests a minute). "
            f"Please retry in about {wait} s, when your earliest requests of the last "
            "minute no longer count."
        )


class FairShare:
    """Calls per workspace over a sliding window, against one account's ``limit``."""

    def __init__(self, limit: int, *, window: float = 60.0, floor: int = 10) -> None:
        self.limit = limit
        self.window = window
        self.floor = floor
        self._calls: dict[str, deque[float]] = {}

    def _prune(self, now: float) -> None:
        horizon = now - self.window
        for team in list(self._calls):
            calls = self._calls[team]
            while calls and calls[0] <= horizon:
                calls.popleft()
            if not calls:
                del self._calls[team]

    def share(self, team: str) -> int:
        """``team``'s share now: the budget over the active workspaces (itself
        included), never more than half of it, never less than ``floor``."""
        active = len(self._calls.keys() | {team})
        return max(self.floor, self.limit // max(active, 2))

    def used(self, team: str) -> int:
        """How many of ``team``'s calls the window holds (as of the last call counted)."""
        return len(self._calls.get(team, ()))

    def admit(self, team: str, now: float, *, provider: str) -> None:
        """Count one call for ``team`` at ``now``, or raise :class:`ShareUsedError`."""
        self._prune(now)
        share = self.share(team)
        calls = self._calls.get(team)
        if calls is not None and len(calls) >= share:
            raise ShareUsedError(
                provider=provider,
                share=share,
                limit=self.limit,
                others=len(self._calls) - 1,
                wait=calls[0] + self.window - now,
            )
        self._calls.setdefault(team, deque()).append(now)
