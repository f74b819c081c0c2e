"""The same size elsewhere, loaded for step 1: the chosen plan's counterpart on
each other provider the workspace may use (the choosing itself is the pure
:mod:`bot.create.elsewhere`).

The other providers' plans come from the database (the offer cache); their
regions from the catalogue cache, waited for briefly: a cold list keeps loading
in the background (into the cache) and the plan is shown at its cheapest region
meanwhile.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.blocks import PlanChoice, plan_choice
from bot.core.services import Services
from bot.create.elsewhere import Elsewhere, pick
from bot.create.frame import StepData
from db.models import ServiceProvider
from providers.errors import ProviderError
from providers.models import Region

__all__ = ["REGIONS_WAIT", "around"]

log = logging.getLogger(__name__)

#: Seconds another provider's region list may take before its plan is shown at
#: its cheapest region instead of the nearest.
REGIONS_WAIT = 0.5


async def _regions(services: Services, row: ServiceProvider) -> list[Region]:
    try:
        return await asyncio.wait_for(
            asyncio.shield(services.provider_for(row).get_regions()), REGIONS_WAIT
        )
    except TimeoutError:
        return []
    except ProviderError as exc:
        log.info("regions of %s for step 1: %s", row.id, type(exc).__name__)
        return []


async def around(
    services: Services, rows: list[ServiceProvider], data: StepData
) -> tuple[Elsewhere, ...]:
    """The chosen plan's counterpart on each other provider in ``rows``."""
    chosen = data.plan
    if chosen is None or len(rows) < 2:
        return ()
    here = next((r for r in data.regions if r.id == data.draft.region), None)
    others = [r for r in rows if str(r.id) != data.draft.provider_id]
    plans = await asyncio.gather(*(_plans(services, r) for r in others))
    regions = await asyncio.gather(*(_regions(services, r) for r in others))
    found = (
        pick(str(row.id), row.name, chosen, here, offered, places)
        for row, offered, places in zip(others, plans, regions, strict=True)
    )
    return tuple(item for item in found if item is not None)


async def _plans(services: Services, row: ServiceProvider) -> list[PlanChoice]:
    return [plan_choice(p) for p in await services.offers.plans(row.id)]
