"""Opening the create modal prefilled: ``/vps create 2gb ubuntu fra1 web-1`` and
"Create another like this".

A fast path is the same modal with a draft already filled in: it opens on the
first step that is not fully decided (the review when everything is), and every
check (label, region, budgets, approvals, leases, channel rules at the claim)
runs as in a create chosen click by click. Slack's trigger lasts three seconds
and catalogues may be cold, so when they do not arrive in time a loading view
opens first and is replaced (``views.update``) once they are in.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.blocks import esc, md
from bot.core.services import Services
from bot.core.slack import slack_error, update_view
from bot.create import catalog
from bot.create.draft import LABEL_LIMIT, Draft, generate_label
from bot.create.drafts import DraftState, save_draft
from bot.create.finish import with_policy
from bot.create.quick import Prefill, read_words
from bot.create.steps import label_problem
from bot.create.views import StepData, loading_view, message_view, view_for
from bot.create.vocabulary import AppOffer, CloudOffer, ImageOffer, PlanOffer, RegionOffer
from db.models import Plan, ServiceProvider
from providers.errors import ProviderError
from providers.registry import capabilities_for, display_name

__all__ = [
    "OPEN_BUDGET",
    "cloud_offers",
    "draft_from",
    "first_open_step",
    "open_loading",
    "show_first",
    "typed_create",
    "with_notes",
]

log = logging.getLogger(__name__)

#: Seconds the catalogues may take before the modal opens on a loading view.
OPEN_BUDGET = 1.2
_UNREACHABLE = (
    "The provider's catalogue could not be loaded just now. Run `/vps create` again in a moment."
)


async def _cloud(
    services: Services, row: ServiceProvider, *, catalogues: bool = True
) -> CloudOffer:
    """What one provider offers the workspace, for reading typed words. Without
    ``catalogues`` only the database is read (no provider call): the plans, and
    their regions known by slug alone."""
    choices = [_plan_offer(p) for p in await services.offers.plans(row.id)]
    caps = capabilities_for(row.type)
    aliases = {row.type, display_name(row.type).casefold(), *(caps.aliases if caps else ())}
    if catalogues:
        provider = services.provider_for(row)
        regions, images, options = await asyncio.gather(
            provider.get_regions(), provider.get_images(), provider.get_deployment_options()
        )
        places = tuple(RegionOffer(r.id, r.name, r.country) for r in regions if r.available)
    else:
        images, options = [], []
        places = tuple(RegionOffer(r, r) for r in sorted({r for p in choices for r in p.regions}))
    return CloudOffer(
        provider_id=str(row.id),
        name=row.name,
        aliases=tuple(sorted(a.casefold() for a in aliases)),
        regions=places,
        plans=tuple(choices),
        images=tuple(ImageOffer(i.id, i.name, i.distribution, i.version) for i in images),
        apps=tuple(AppOffer(o.id, o.name) for o in catalog.allowed(row, options)),
    )


def _plan_offer(plan: Plan) -> PlanOffer:
    """What typed words are read against, straight from the ``vps_plans`` row (the
    words need no per-region prices: a lone label costs no more than a lookup)."""
    specs = plan.specifications
    return PlanOffer(
        id=str(plan.id),
        slug=plan.provider_plan_id,
        name=plan.name,
        vcpus=int(specs.get("vcpus", 0)),
        memory_mb=int(specs.get("memory_mb", 0)),
        monthly=plan.price_in(None),
        regions=tuple(specs.get("regions") or ()),
    )


async def cloud_offers(
    services: Services, rows: list[ServiceProvider], budget: float | None = None
) -> list[CloudOffer]:
    """Every provider's offer; raises :class:`catalog.CatalogPending` past ``budget``
    (the loads go on in the background and fill the catalogue cache)."""
    loads = asyncio.gather(*(_cloud(services, row) for row in rows))
    if budget is None:
        return list(await loads)
    task = asyncio.ensure_future(loads)
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
    try:
        return list(await asyncio.wait_for(asyncio.shield(task), budget))
    except TimeoutError:
        raise catalog.CatalogPending("the catalogues") from None


def draft_from(prefill: Prefill, label: str) -> Draft:
    """The draft a typed line starts (the image is the app's own when an app is named)."""
    return Draft(
        provider_id=prefill.provider_id,
        plan_id=prefill.plan_id,
        region=prefill.region,
        image=prefill.image,
        deployment_id=prefill.deployment_id,
        label=label,
    )


async def first_open_step(
    services: Services, state: DraftState, rows: list[ServiceProvider]
) -> tuple[str, StepData]:
    """The first step of ``state``'s draft that is not fully decided, with its data.

    Step 1 is decided with a provider, a plan and a region it runs in, and a label
    the provider takes; the deployment step with an app (without fields to fill)
    or an image chosen (a plain OS); the image step with an offered image. The
    configuration step has nothing that must be filled in: its defaults stand.
    """
    draft, team = state.draft, state.team_id
    data, _, provider = await catalog.gather(services, draft, "plan", team_id=team, rows=rows)
    plan = data.plan
    if plan is None:
        draft.plan_id = None
    if plan is None or provider is None or draft.region is None:
        return "plan", data
    if plan.regions and draft.region not in plan.regions:
        draft.region = None
        return "plan", data
    data, _, _ = await catalog.gather(services, draft, "review", team_id=team, rows=rows)
    if not any(r.id == draft.region and plan.runs_in(r) for r in data.regions):
        draft.region = None
        return "plan", await _plan_data(services, state, rows)
    if (problem := label_problem(provider, draft.label)) is not None:
        draft.errors = {"label": problem}
        return "plan", await _plan_data(services, state, rows)
    chosen = next((o for o in data.deployments if o.id == draft.deployment_id), None)
    if draft.deployment_id is not None and chosen is None:
        draft.deployment_id = None
    if (chosen is not None and chosen.fields) or (chosen is None and draft.image is None):
        data, _, _ = await catalog.gather(services, draft, "deployment", team_id=team, rows=rows)
        return "deployment", data
    if "image" in data.steps:
        data, _, _ = await catalog.gather(services, draft, "image", team_id=team, rows=rows)
        if draft.image not in {i.id for i in data.images or []}:
            draft.image = None
            return "image", data
    elif chosen is not None:
        draft.image = None  # the app is the image
    data, _, _ = await catalog.gather(services, draft, "review", team_id=team, rows=rows)
    return "review", data


async def _plan_data(
    services: Services, state: DraftState, rows: list[ServiceProvider]
) -> StepData:
    data, _, _ = await catalog.gather(
        services, state.draft, "plan", team_id=state.team_id, rows=rows
    )
    return data


def with_notes(view: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """``view`` with the typed line's notes at the top of the step (under its
    progress line); the rendered view is shared, so a copy is made."""
    if not notes:
        return view
    text = "\n".join(f":mag: {esc(note)}" for note in notes)
    block = {"type": "section", "block_id": "quick_notes", "text": md(text[:3000]).to_dict()}
    blocks = list(view.get("blocks") or [])
    return {**view, "blocks": [*blocks[:1], block, *blocks[1:]]}


async def open_loading(client: AsyncWebClient, trigger_id: str) -> str | None:
    """Open the modal on a loading view at once (the trigger lasts three seconds);
    its view id, or None when Slack would not open it."""
    try:
        opened = await client.views_open(
            trigger_id=trigger_id, view=loading_view("plan", "the catalogues")
        )
    except SlackApiError as exc:
        log.warning("views.open for a prefilled create failed: %s", slack_error(exc))
        return None
    view = opened.get("view")
    found = view.get("id") if isinstance(view, dict) else None
    return found if isinstance(found, str) and found else None


async def show_first(
    services: Services,
    client: AsyncWebClient,
    state: DraftState,
    rows: list[ServiceProvider],
    notes: list[str],
) -> None:
    """Replace the loading view with the draft's first undecided step, ``notes`` on top."""
    try:
        step, data = await first_open_step(services, state, rows)
    except ProviderError as exc:
        log.warning("catalogues for a prefilled create failed: %s", type(exc).__name__)
        await update_view(client, state.view_id, message_view(_UNREACHABLE))
        return
    await with_policy(services, state, step, data)
    await save_draft(services, state, step)
    await update_view(client, state.view_id, with_notes(view_for(step, data).to_dict(), notes))


def _only_label(prefill: Prefill) -> bool:
    decided = (prefill.provider_id, prefill.plan_id, prefill.region, prefill.image)
    return not prefill.notes and not any(decided) and prefill.deployment_id is None


def _undecided(prefill: Prefill) -> bool:
    """Nothing chosen: a lone word that is only a note (a typo) stays a label."""
    return _only_label(Prefill(**{**vars(prefill), "notes": []}))


async def typed_create(
    services: Services,
    command: dict[str, Any],
    text: str,
    rows: list[ServiceProvider],
    client: AsyncWebClient,
) -> bool | None:
    """``/vps create <words>``: None when the words are only a label (the plain
    path opens step 1 as ever); else whether the prefilled modal opened.

    A lone word is read against the database only, so ``/vps create web-1`` costs
    no provider call and opens step 1 as ever; ``/vps create linode`` or ``2gb``
    still fill the form (a lone city, image or app name is taken as the label)."""
    if len(text.split()) == 1:
        # a lone word is a label, as ever, unless the database alone (no provider
        # call) reads it as a provider, size, plan or region slug
        known = [await _cloud(services, row, catalogues=False) for row in rows]
        if _undecided(read_words(text, known, suggest=False)):
            return None
    offers: list[CloudOffer] | None = None
    try:
        offers = await cloud_offers(services, rows, OPEN_BUDGET)
    except catalog.CatalogPending:
        pass  # read once they are in, behind a loading view
    except ProviderError:
        return None  # the plain path shows step 1, whose plans come from the database
    if offers is not None:
        prefill = read_words(text, offers)
        if _only_label(prefill):
            return None
    view_id = await open_loading(client, str(command.get("trigger_id") or ""))
    if view_id is None:
        return False
    if offers is None:
        try:
            offers = await cloud_offers(services, rows)
        except ProviderError:
            await update_view(client, view_id, message_view(_UNREACHABLE))
            return True
        prefill = read_words(text, offers)
    label = (prefill.label or generate_label())[:LABEL_LIMIT]
    channel = command.get("channel_id")
    state = DraftState(
        view_id=view_id,
        team_id=str(command.get("team_id") or ""),
        user_id=str(command.get("user_id") or ""),
        channel_id=channel if isinstance(channel, str) else None,
        step="plan",
        draft=draft_from(prefill, label),
    )
    await show_first(services, client, state, rows, prefill.notes)
    return True
