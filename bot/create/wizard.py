"""The create modal's transitions in one place: what a fresh command, a submitted
step, a changed pick or Back turns into.

The listeners (:mod:`bot.create.listeners`) only read the request and answer
with what this returns: a submission gets an :class:`Outcome` (errors at the
fields, the next view, or a loading view first and the next one when the
catalogues arrive); an action gets the view to show in place. Every view is
built afresh with ``slack_sdk.models`` (:mod:`bot.create.views`): building one
costs a millisecond or two of CPU on a request that waits hundreds on Slack.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from slack_sdk.models.views import View

from bot.core.blocks import esc
from bot.core.services import Services
from bot.create import catalog, channels, steps
from bot.create.claim import PROVIDER_CHOICES
from bot.create.draft import STEPS, Draft
from bot.create.drafts import DraftState, save_draft
from bot.create.finish import Outcome, finish, with_policy
from bot.create.views import (
    BACK_ACTION,
    StepData,
    creating_view,
    loading_view,
    message_view,
    view_for,
)
from db.models import ServiceProvider
from providers.base import Provider
from providers.errors import ProviderError

__all__ = ["DEPLOYMENT_PICK", "SUBMIT_BUDGET", "Outcome", "act", "first_view", "submit", "suggest"]

#: Seconds a view_submission may spend on catalogues before showing a loading view.
SUBMIT_BUDGET = 1.5
#: The action of a 1-Click app or StackScript picked in the deployment step.
DEPLOYMENT_PICK = "create_deployment_pick"

_Loaded = tuple[StepData, ServiceProvider | None, Provider | None]

log = logging.getLogger(__name__)


def _unanswered(exc: ProviderError, where: str) -> str:
    """What a person is told when the provider fails a catalogue read mid-flow."""
    log.warning("catalogue read failed %s: %s", where, type(exc).__name__)
    return exc.user_message()


def _closed_view(exc: ProviderError, where: str) -> View:
    """Said in the modal once Slack has its answer (nothing can be shown at a field)."""
    text = esc(_unanswered(exc, where))  # it can quote the provider
    return message_view(
        f"{text} This step could not be shown: close it and run `/vps create` again."
    )


def _kept(then: Callable[[], Awaitable[Outcome]] | None) -> Callable[[], Awaitable[Outcome]] | None:
    """``then``, with a provider's failure said in the modal instead of raised."""
    if then is None:
        return None

    async def run() -> Outcome:
        try:
            outcome = await then()
        except ProviderError as exc:
            return Outcome(view=_closed_view(exc, "after a loading view"))
        return replace(outcome, then=_kept(outcome.then))

    return run


async def first_view(
    services: Services,
    rows: list[ServiceProvider],
    label: str,
    channel_id: str | None,
    team_id: str,
    choices: tuple[tuple[str, str], ...] = (),
) -> tuple[View, ServiceProvider]:
    """Step 1 for a fresh draft and the provider row it shows first (from the
    database and the offer alone: ``views.open``'s trigger expires in three
    seconds). The channel to post in travels in ``private_metadata`` until the
    draft is first stored; ``choices``: the channels the member picks the card's
    among (a Home create where several are allowed)."""
    draft = Draft(label=label, channel_choices=list(choices))
    data, shown, _ = await catalog.gather(services, draft, "plan", team_id=team_id, rows=rows)
    view = view_for("plan", data)
    view.private_metadata = json.dumps({"channel": channel_id})
    return view, shown or rows[0]


async def _gather(
    services: Services,
    state: DraftState,
    step: str,
    budget: float | None = None,
    *,
    every_plan: bool | None = None,
) -> _Loaded:
    return await catalog.gather(
        services, state.draft, step, team_id=state.team_id, budget=budget, every_plan=every_plan
    )


async def submit(
    services: Services, state: DraftState, step: str, values: dict[str, Any]
) -> Outcome:
    """Next (or Create on the review): validate ``step`` against what is on
    screen (``values``), then what to show next.

    A provider that fails a catalogue read is said under a field of the submitted
    view (nothing on it is lost: Next again retries), or in the modal once Slack
    has had its answer."""
    try:
        outcome = await _submit(services, state, step, values)
    except ProviderError as exc:
        if not values:  # no input block to show it under
            return Outcome(view=_closed_view(exc, f"on {step}"))
        # under a field of the submitted view (Slack shows errors only there)
        at = "plan" if "plan" in values else next(iter(values))
        return Outcome(errors={at: _unanswered(exc, f"on {step}")})
    return replace(outcome, then=_kept(outcome.then))


async def _submit(
    services: Services, state: DraftState, step: str, values: dict[str, Any]
) -> Outcome:
    if step == "review" and state.instance_id is not None:
        # a double click or a Slack retry: the first submission is creating it
        return Outcome(view=creating_view(state.draft.label, "the provider"))
    if step == "plan":
        # what is on screen decides what to load (the plan's regions)
        steps.absorb(state.draft, step, values)
    try:
        # answered in the ack, a refusal is errors at the fields, never step 1 again:
        # only the chosen plan is priced
        loaded = await _gather(services, state, step, SUBMIT_BUDGET, every_plan=False)
    except catalog.CatalogPending as pending:

        async def when_loaded() -> Outcome:
            return await _judge(services, state, step, values, await _gather(services, state, step))

        return Outcome(view=loading_view(step, pending.what), then=when_loaded)
    return await _judge(services, state, step, values, loaded, answered=False)


async def _judge(
    services: Services,
    state: DraftState,
    step: str,
    values: dict[str, Any],
    loaded: _Loaded,
    *,
    answered: bool = True,
) -> Outcome:
    """The step read into the draft; ``answered``: Slack has its answer already
    (a loading view), so errors go under the fields of a view instead."""
    data, provider_row, provider = loaded
    draft = state.draft
    await with_policy(services, state, step, data)
    errors = steps.read_step(services, step, values, data, provider)
    if step == "plan" and draft.channel_choices:
        picked, wrong = await channels.take_pick(services, state.team_id, draft, values)
        state.channel_id, errors = picked, {**errors, **wrong}
    if errors:
        if answered:
            draft.errors = errors
        await save_draft(services, state, step)
        return Outcome(view=view_for(step, data)) if answered else Outcome(errors=errors)
    if step == "review":
        return await finish(services, state, data, provider_row, provider)
    if step == "plan" and provider_row is not None:
        PROVIDER_CHOICES.labels(provider_row.type).inc()
    if step == "deployment":
        data.steps = catalog.steps_for(data)
    target = steps.next_step(step, data.steps)
    await save_draft(services, state, target)
    return await _next(services, state, target, None if answered else SUBMIT_BUDGET)


async def _next(services: Services, state: DraftState, step: str, budget: float | None) -> Outcome:
    """``step`` shown, or a loading view while its catalogues take longer than ``budget``."""
    try:
        data, _, _ = await _gather(services, state, step, budget)
    except catalog.CatalogPending as pending:

        async def when_loaded() -> Outcome:
            return await _next(services, state, step, None)

        return Outcome(view=loading_view(step, pending.what), then=when_loaded)
    await with_policy(services, state, step, data)
    return Outcome(view=view_for(step, data))


async def act(
    services: Services, state: DraftState, action: dict[str, Any], values: dict[str, Any]
) -> View:
    """A pick that changes what a step shows (provider, plan, 1-Click app or
    StackScript) or Back: the step to show in place, the draft stored (or what
    went wrong, when the provider fails a catalogue read)."""
    try:
        return await _act(services, state, action, values)
    except ProviderError as exc:
        return _closed_view(exc, f"on a pick ({action.get('action_id')!s:.40})")


async def _act(
    services: Services, state: DraftState, action: dict[str, Any], values: dict[str, Any]
) -> View:
    action_id = action.get("action_id")
    if action_id == BACK_ACTION:
        value = action.get("value")
        current = value if isinstance(value, str) and value in STEPS else state.step
        return await _back(services, state, current, values)
    if action_id == DEPLOYMENT_PICK:
        picked = action.get("selected_option")
        chosen = picked.get("value") if isinstance(picked, dict) else None
        return await _deployment_picked(services, state, chosen)
    return await _plan_changed(services, state, values)


async def _plan_changed(services: Services, state: DraftState, values: dict[str, Any]) -> View:
    """Step 1 again, keeping what is still valid (the label, a plan the new
    provider also offers, a region the plan runs in)."""
    draft = state.draft
    before = draft.provider_id
    steps.absorb(draft, "plan", values)
    draft.channel = channels.chosen_channel(values) or draft.channel
    data, provider_row, _ = await _gather(services, state, "plan")
    if draft.provider_id != before:
        if provider_row is not None:
            catalog.prefetch(services, provider_row)
        if draft.plan_id not in {p.id for p in data.plans}:
            draft.plan_id = None
    plan = data.plan
    if plan is None or not any(r.id == draft.region and plan.runs_in(r) for r in data.regions):
        draft.region = None
    await save_draft(services, state, "plan")
    return view_for("plan", data)


async def _deployment_picked(services: Services, state: DraftState, chosen: Any) -> View:
    """A 1-Click app or StackScript picked: its fields (StackScripts have some)."""
    state.draft.deployment_id = chosen if isinstance(chosen, str) and chosen != "none" else None
    state.draft.deployment_fields = {}
    data, _, _ = await _gather(services, state, "deployment")
    await save_draft(services, state, "deployment")
    return view_for("deployment", data)


async def _back(
    services: Services, state: DraftState, current: str, values: dict[str, Any]
) -> View:
    """← Back: keep what is on screen, show the previous step."""
    steps.absorb(state.draft, current, values)
    data, _, _ = await _gather(services, state, current)
    target = steps.previous_step(current, data.steps)
    data, _, _ = await _gather(services, state, target)
    await with_policy(services, state, target, data)
    await save_draft(services, state, target)
    return view_for(target, data)


async def suggest(services: Services, state: DraftState, step: str) -> StepData | None:
    """The step's data for an options request (plans or images matching a query);
    None when the provider fails the read (the menu then offers nothing)."""
    try:
        data, _, _ = await _gather(services, state, step)
    except ProviderError as exc:
        _unanswered(exc, f"for {step} options")
        return None
    return data
