"""What servers cost: billed hours at the marked-up hourly price, capped at the
monthly price per calendar month (UTC), as both providers bill.

Pure functions on plain data, so the numbers can be checked by hand and by
property tests. A started hour is billed in full. Each server's charge for a
month is rounded to the cent (half up) before it is summed, as an invoice line.

``month_to_date`` counts the hours up to now; ``projected`` counts them to the
end of the month for a server still running (to its deletion for one gone).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "CENT",
    "Spend",
    "Usage",
    "billed_hours",
    "charge",
    "month_bounds",
    "month_to_date",
    "projected",
    "spend_by",
    "total",
]

CENT = Decimal("0.01")
_HOUR = 3600


@dataclass(frozen=True)
class Usage:
    """One server's life and price, as far as billing cares."""

    created_at: datetime
    deleted_at: datetime | None
    hourly: Decimal
    monthly: Decimal
    user_id: str = ""
    provider: str = ""


@dataclass(frozen=True)
class Spend:
    """Month-to-date and projected (to month end) spend, in dollars."""

    month_to_date: Decimal = Decimal("0.00")
    projected: Decimal = Decimal("0.00")

    def __add__(self, other: Spend) -> Spend:
        return Spend(self.month_to_date + other.month_to_date, self.projected + other.projected)


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of ``now``'s calendar month in UTC."""
    now = now.astimezone(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def billed_hours(start: datetime, end: datetime) -> int:
    """Hours billed for running from ``start`` to ``end``: each started hour counts."""
    seconds = (end - start).total_seconds()
    return max(0, math.ceil(seconds / _HOUR))


def charge(hourly: Decimal, monthly: Decimal, hours: int) -> Decimal:
    """``hours`` at ``hourly``, never more than ``monthly``, rounded to the cent."""
    return min(hourly * hours, monthly).quantize(CENT, rounding=ROUND_HALF_UP)


def _window(usage: Usage, now: datetime, until: datetime) -> Decimal:
    start_of_month, end_of_month = month_bounds(now)
    start = max(usage.created_at, start_of_month)
    end = min(until, end_of_month)
    if usage.deleted_at is not None:
        end = min(end, usage.deleted_at)
    return charge(usage.hourly, usage.monthly, billed_hours(start, end))


def month_to_date(usage: Usage, now: datetime) -> Decimal:
    """What ``usage`` has cost so far in ``now``'s month."""
    return _window(usage, now, now)


def projected(usage: Usage, now: datetime) -> Decimal:
    """What ``usage`` will have cost by the end of ``now``'s month, if it keeps running."""
    return _window(usage, now, month_bounds(now)[1])


def total(usages: Iterable[Usage], now: datetime) -> Spend:
    """The month's spend of all ``usages``."""
    out = Spend()
    for usage in usages:
        out += Spend(month_to_date(usage, now), projected(usage, now))
    return out


def spend_by(
    usages: Iterable[Usage], now: datetime, key: Callable[[Usage], str]
) -> dict[str, Spend]:
    """The month's spend grouped by ``key`` (member, provider), largest projection first."""
    groups: dict[str, Spend] = defaultdict(Spend)
    for usage in usages:
        groups[key(usage)] += Spend(month_to_date(usage, now), projected(usage, now))
    return dict(sorted(groups.items(), key=lambda kv: (-kv[1].projected, kv[0])))
