"""Gathers what a create step shows: rows from the database, catalogues from providers.

Provider catalogues come through the registry's cache. A caller inside Slack's
3-second window passes a ``budget``: when a cold catalogue takes longer, the
load keeps running (the cache single-flights it) and :class:`CatalogPending`
tells the caller to show a loading view and fill it in when ready.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

from bot.core.blocks import PlanChoice, plan_choice
from bot.core.services import Services
from bot.create import counterparts
from bot.create.draft import Draft
from bot.create.flows import flow_for
from bot.create.views import ProviderChoice, StepData
from db.models import ServiceProvider
from db.repo import providers as provider_rows
from providers.base import Provider
from providers.models import DeploymentOption

__all__ = ["CatalogPending", "gather", "prefetch", "steps_for"]

T = TypeVar("T")

_NEEDS: dict[str, tuple[str, ...]] = {
    "plan": ("regions",),
    "deployment": ("deployments",),
    "image": ("deployments", "images"),
    "config": ("deployments", "images", "ssh_keys", "vpcs"),
    "review": ("deployments", "images", "vpcs", "regions"),
}


class CatalogPending(Exception):
    """A catalogue did not arrive within the caller's budget; it is still loading."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} still loading")
        self.what = what


async def offered_plans(
    services: Services, row: ServiceProvider, only: str | None = None
) -> list[PlanChoice]:
    """The provider's offered plans as view data (``only``: just that one, when
    offered — the steps after the first show no other)."""
    offered = await services.offers.plans(row.id)
    return [plan_choice(p) for p in offered if only is None or str(p.id) == only]


def allowed(row: ServiceProvider, options: list[DeploymentOption]) -> list[DeploymentOption]:
    """Deployment options an admin allows (``configuration.allowed_deployments``)."""
    allow = row.configuration.get("allowed_deployments")
    if allow is None:
        return options
    permitted = {str(item) for item in allow}
    return [option for option in options if option.id in permitted]


async def _within(what: str, awaitable: Awaitable[T], budget: float | None) -> T:
    if budget is None:
        return await awaitable
    task = asyncio.ensure_future(awaitable)
    # a load that outlives the budget finishes in the background; its error (if
    # any) resurfaces when the step is rendered, so it is only collected here
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
    done, _ = await asyncio.wait((task,), timeout=budget)  # never cancels the load
    if not done:
        raise CatalogPending(what)
    return task.result()


def steps_for(data: StepData) -> tuple[str, ...]:
    if data.flow is None:
        return ("plan", "deployment", "image", "config", "review")
    images = data.images if data.images is not None else []
    if data.flow.image_choices(data.draft, images, data.deployments) is None:
        return ("plan", "deployment", "config", "review")
    return ("plan", "deployment", "image", "config", "review")


async def active_providers(services: Services, team_id: str) -> list[ServiceProvider]:
    """The active providers ``team_id`` may create servers with (its own, shared)."""
    if not team_id:
        return []
    return await services.offers.providers_for(services.scope(team_id))


async def gather(
    services: Services,
    draft: Draft,
    step: str,
    *,
    team_id: str,
    budget: float | None = None,
    rows: list[ServiceProvider] | None = None,
    every_plan: bool | None = None,
) -> tuple[StepData, ServiceProvider | None, Provider | None]:
    """Build the :class:`StepData` for ``step``; may raise :class:`CatalogPending`.

    ``every_plan``: price every offered plan (step 1's list), not only the chosen
    one; by default only for step 1, whose view lists them.

    Only ``team_id``'s providers are offered: a provider id in the draft that is
    not among them (forged, or no longer shared) falls back to the first one."""
    if rows is None:
        rows = await active_providers(services, team_id)
    choices = [ProviderChoice(id=str(r.id), name=r.name, type=r.type) for r in rows]
    if draft.provider_id not in {c.id for c in choices}:
        draft.provider_id = choices[0].id if choices else None
        draft.plan_id = None
        draft.region = None
    row = next((r for r in rows if str(r.id) == draft.provider_id), None)
    data = StepData(draft=draft, providers=choices)
    if row is None:
        return data, None, None
    data.flow = flow_for(row.type)
    # only step 1 lists the plans; every later step shows the chosen one
    listed = step == "plan" if every_plan is None else every_plan
    data.plans = await offered_plans(services, row, None if listed else draft.plan_id or "")
    provider = services.provider_for(row)
    needs = await _allowed_needs(services, row, team_id, _NEEDS[step])
    loaders: dict[str, Awaitable[Any]] = {}
    if "regions" in needs and (step != "plan" or draft.plan_id):
        loaders["regions"] = provider.get_regions()
    if "deployments" in needs:
        loaders["deployments"] = provider.get_deployment_options()
    if "images" in needs:
        loaders["images"] = provider.get_images()
    if "ssh_keys" in needs:
        loaders["ssh_keys"] = provider.list_ssh_keys()
    if "vpcs" in needs and data.flow.uses_vpc:
        loaders["vpcs"] = provider.list_vpcs()
    names = list(loaders)
    if not names:
        return data, row, provider
    results = await _within(", ".join(names), asyncio.gather(*(loaders[n] for n in names)), budget)
    found = dict(zip(names, results, strict=True))
    data.regions = found.get("regions", [])
    data.deployments = allowed(row, found.get("deployments", []))
    if "images" in found:
        data.images = data.flow.image_choices(draft, found["images"], data.deployments)
    data.ssh_keys = found.get("ssh_keys", [])
    data.vpcs = found.get("vpcs", [])
    if "deployments" in found:
        data.steps = steps_for(
            StepData(draft=draft, flow=data.flow, deployments=data.deployments, images=[])
        )
    if step == "plan" and budget is None:  # shown, not a submission racing Slack's 3 s
        data.elsewhere = await counterparts.around(services, rows, data)
    return data, row, provider


async def _allowed_needs(
    services: Services, row: ServiceProvider, team_id: str, needs: tuple[str, ...]
) -> tuple[str, ...]:
    """``needs`` without the owner's account SSH keys and VPCs where ``team_id``
    only has the provider shared with it and the share does not include them."""
    if not {"ssh_keys", "vpcs"} & set(needs) or services.scope(team_id).owns(row):
        return needs
    async with services.db.session() as session:
        keys, vpcs = await provider_rows.shared_parts(session, row.id, team_id)
    withheld = {name for name, shared in (("ssh_keys", keys), ("vpcs", vpcs)) if not shared}
    return tuple(need for need in needs if need not in withheld)


_warmed: dict[str, float] = {}
_WARM_EVERY = 600.0


def prefetch(services: Services, row: ServiceProvider) -> None:
    """Warm a provider's catalogues in the background (errors surface later, when used).

    At most once per provider row version every ten minutes: the catalogue cache
    keeps them an hour, so warming on every command would only add work.
    """
    stamp = f"{row.id}:{row.updated_at.isoformat()}"
    now = time.monotonic()
    if now - _warmed.get(stamp, -_WARM_EVERY) < _WARM_EVERY:
        return
    _warmed[stamp] = now
    provider = services.provider_for(row)

    async def warm() -> None:
        await asyncio.gather(
            provider.get_regions(),
            provider.get_deployment_options(),
            provider.get_images(),
            provider.list_ssh_keys(),
            provider.list_vpcs(),
            return_exceptions=True,
        )

    task = asyncio.get_running_loop().create_task(warm())
    _background.add(task)
    task.add_done_callback(_background.discard)


_background: set[asyncio.Task[None]] = set()


def parse_uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
