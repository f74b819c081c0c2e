"""What a server costs: the price of plan P in region R with options O, in one place.

Every screen that shows, sums or checks money for a new server — step 1, the
backups checkbox, the review, the approval request, the budget check and the
price the claim stores on the instance row (which `/vps cost` and Home sum) —
asks :func:`plan_price`, so they cannot disagree. Prices are the marked-up ones
of :class:`~bot.core.blocks.PlanChoice`; the only priced option is backups.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.core.blocks import PlanChoice
from bot.core.errors import InputError

__all__ = ["NO_BACKUPS", "BackupsUnpriced", "Price", "backups_note", "plan_price"]

#: Why backups cannot be ticked for a plan whose provider publishes no price for them.
NO_BACKUPS = "Backups are not offered with this plan in this region; untick Backups."


class BackupsUnpriced(InputError):
    """Backups asked for on a plan (in a region) without a backups price."""


@dataclass(frozen=True)
class Price:
    """A server's price per month and hour, options included, and the backups share."""

    monthly: Decimal
    hourly: Decimal
    backups_monthly: Decimal = Decimal("0.00")
    backups_hourly: Decimal = Decimal("0.0000")

    def text(self) -> str:
        """``$7.20/mo ($0.0107/h)``."""
        return f"${self.monthly:.2f}/mo (${self.hourly:.4f}/h)"


def plan_price(plan: PlanChoice, region: str | None, *, backups: bool = False) -> Price:
    """What ``plan`` costs in ``region`` with backups on or off (marked up).

    Raises :class:`BackupsUnpriced` (at the ``options`` field) for backups on a
    plan whose provider publishes no backups price: vpsbot never charges $0 for
    something the provider bills.
    """
    monthly, hourly = plan.monthly_in(region), plan.hourly_in(region)
    if not backups:
        return Price(monthly, hourly)
    extra = plan.backups_in(region)
    if extra is None:
        raise BackupsUnpriced(NO_BACKUPS, field="options")
    return Price(monthly + extra[0], hourly + extra[1], extra[0], extra[1])


def backups_note(plan: PlanChoice | None, region: str | None) -> str:
    """The surcharge shown next to the Backups checkbox."""
    extra = plan.backups_in(region) if plan is not None else None
    if extra is None:
        return "not offered with this plan"
    return f"automatic provider backups: +${extra[0]:.2f}/mo (+${extra[1]:.4f}/h)"
