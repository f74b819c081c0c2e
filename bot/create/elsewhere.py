"""The same size elsewhere: beside the plan chosen in step 1, the nearest plan on
each other provider the workspace may use, priced in the nearest region.

Pure: the plans and regions come in, the choices and their blocks go out. The
nearest plan has the same processors and memory and the disk closest in size
(the cheaper on a tie); the nearest region is in the same city, else the same
country, else the cheapest the plan runs in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from slack_sdk.models.blocks import Block, ButtonElement, ContextBlock, SectionBlock

from bot.core.blocks import PlanChoice, cut, esc, md
from bot.create.vocabulary import fold
from providers.models import Region

__all__ = [
    "SWITCH_ACTION",
    "Elsewhere",
    "elsewhere_blocks",
    "nearest_plan",
    "nearest_region",
    "pick",
    "switch_value",
]

SWITCH_ACTION = "create_elsewhere"


@dataclass(frozen=True)
class Elsewhere:
    """One other provider's nearest plan, where and at what price."""

    provider_id: str
    provider_name: str
    plan_id: str
    plan_name: str
    region: str
    region_name: str
    monthly: Decimal


def nearest_plan(chosen: PlanChoice, plans: Sequence[PlanChoice]) -> PlanChoice | None:
    """The plan among ``plans`` with ``chosen``'s vCPUs and memory and the nearest disk
    (the cheaper on a tie); None when none has the same vCPUs and memory."""
    same = [
        p
        for p in plans
        if p.vcpus == chosen.vcpus and p.memory_mb == chosen.memory_mb and p.regions
    ]
    if not same:
        return None
    return min(same, key=lambda p: (abs(p.disk_gb - chosen.disk_gb), p.lowest(), p.id))


def _city(region: Region) -> str:
    """The city a region is in, as its name says: "Frankfurt 1", "Frankfurt, DE",
    "Europe (Frankfurt)" all read "frankfurt"."""
    inner = re.search(r"\(([^)]+)\)", region.name)
    return fold(re.split(r"[,(]| \d", inner.group(1) if inner else region.name)[0])


def nearest_region(
    here: Region | None, plan: PlanChoice, regions: Sequence[Region]
) -> Region | None:
    """Where ``plan`` runs nearest to ``here``: same city, else same country, else the
    cheapest region it runs in (the cheapest within each tier too)."""
    runs = [r for r in regions if plan.runs_in(r)]  # open, listed, not sold out
    if not runs:
        return None
    by_price = sorted(runs, key=lambda r: (plan.monthly_in(r.id), r.id))
    if here is not None:
        for close in (
            lambda r: _city(r) == _city(here),
            lambda r: bool(here.country) and r.country == here.country,
        ):
            found = [r for r in by_price if close(r)]
            if found:
                return found[0]
    return by_price[0]


def pick(
    provider_id: str,
    provider_name: str,
    chosen: PlanChoice,
    here: Region | None,
    plans: Sequence[PlanChoice],
    regions: Sequence[Region],
) -> Elsewhere | None:
    """One other provider's counterpart of ``chosen`` near ``here``, or None.

    Without that provider's region list (not loaded yet), the plan's cheapest region
    is named by its id."""
    plan = nearest_plan(chosen, plans)
    if plan is None:
        return None
    if regions:
        region = nearest_region(here, plan, regions)
        if region is None:
            return None
        where, name = region.id, region.name
    else:
        where = min(plan.regions, key=lambda r: (plan.monthly_in(r), r))
        name = where
    return Elsewhere(
        provider_id=provider_id,
        provider_name=provider_name,
        plan_id=plan.id,
        plan_name=plan.name,
        region=where,
        region_name=name,
        monthly=plan.monthly_in(where),
    )


def switch_value(item: Elsewhere) -> str:
    return f"{item.provider_id}|{item.plan_id}|{item.region}"


def elsewhere_blocks(items: Sequence[Elsewhere]) -> list[Block]:
    """ "Same size elsewhere" and one line per provider, each with a Switch button."""
    if not items:
        return []
    blocks: list[Block] = [ContextBlock(elements=[md("*The same size elsewhere*")])]
    for index, item in enumerate(items[:5]):
        line = (
            f"{esc(item.provider_name)} · {esc(item.plan_name)} · "
            f"{esc(item.region_name)} — ${item.monthly:.2f}/mo"
        )
        blocks.append(
            SectionBlock(
                block_id=f"elsewhere_{index}",
                text=md(cut(line, 3000)),
                accessory=ButtonElement(
                    action_id=SWITCH_ACTION, text="Switch to this", value=switch_value(item)
                ),
            )
        )
    return blocks
