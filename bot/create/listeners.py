"""`/vps create`: open the modal, follow the user's choices, submit each step, create.

Thin Slack glue: catalogues come from :mod:`bot.create.catalog`, validation from
:mod:`bot.create.steps`, views from :mod:`bot.create.views` (rendered through
:mod:`bot.create.render`), the draft from :mod:`bot.create.drafts` and the
creation itself from :mod:`bot.create.service`. ``register`` only wires.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.blocks import image_option_groups, plan_options
from bot.core.services import Services
from bot.core.slack import (
    Subcommand,
    answer,
    first_action,
    query_of,
    slack_error,
    state_values,
    team_and_user,
    update_view,
    view_of,
)
from bot.create import again, catalog, channels, nearby, quick_open, service, steps
from bot.create.draft import STEPS, generate_label
from bot.create.drafts import DraftState, load_draft, save_draft
from bot.create.elsewhere import SWITCH_ACTION
from bot.create.finish import Reply, finish, with_policy
from bot.create.render import first_view, render
from bot.create.views import (
    BACK_ACTION,
    CALLBACK_PREFIX,
    StepData,
    creating_view,
    loading_view,
    message_view,
)

__all__ = [
    "SUBCOMMANDS",
    "back",
    "create_command",
    "deployment_picked",
    "image_options_load",
    "plan_options_load",
    "plan_or_provider_changed",
    "register",
    "step_submitted",
]

log = logging.getLogger(__name__)

#: Seconds a view_submission may spend on catalogues before showing a loading view.
SUBMIT_BUDGET = 1.5
_EXPIRED = "This form has expired or belongs to someone else. Run `/vps create` again."
_NOT_OPENED = "Slack did not open the form (it may have taken too long). Run `/vps create` again."
#: Longest label taken from the command line (providers allow at most 64 characters).
_MAX_LABEL = 64


async def create_command(
    services: Services,
    command: dict[str, Any],
    rest: str,
    ack: AsyncAck,
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    """`/vps create [label]`: open step 1 (from the database alone: no provider call
    before ``views.open``, whose trigger expires in three seconds)."""
    await ack()
    team_id, channel_id = str(command.get("team_id") or ""), command.get("channel_id")
    allowed_in = await channels.allowed_channels(services, team_id)
    if allowed_in and channel_id not in allowed_in:
        where = ", ".join(f"<#{c}>" for c in allowed_in[:10])
        await answer(
            respond,
            response_type="ephemeral",
            text=f"`/vps create` is not allowed in this channel; use it in {where}.",
        )
        return
    rows = await catalog.active_providers(services, team_id)
    if not rows:
        await answer(
            respond,
            response_type="ephemeral",
            text="No cloud provider is set up yet; ask a vpsbot admin to add one.",
        )
        return
    if rest.strip():  # words: a prefilled modal, unless they are only a label
        opened = await quick_open.typed_create(services, command, rest, rows, client)
        if opened is not None:
            if not opened:
                await answer(respond, response_type="ephemeral", text=_NOT_OPENED)
            return
    label = (rest.strip() or generate_label())[:_MAX_LABEL]
    view, row = await first_view(
        services, rows, label, command.get("channel_id"), str(command.get("team_id") or "")
    )
    try:
        # the view is JSON text already (see first_view); Slack takes it as is
        await client.views_open(trigger_id=str(command.get("trigger_id") or ""), view=view)  # type: ignore[arg-type]
    except SlackApiError as exc:
        log.warning("views.open for /vps create failed: %s", slack_error(exc))
        await answer(respond, response_type="ephemeral", text=_NOT_OPENED)
        return
    catalog.prefetch(services, row)


SUBCOMMANDS: dict[str, Subcommand] = {"create": create_command}


async def _own_draft(
    services: Services, body: dict[str, Any], context: AsyncBoltContext
) -> tuple[dict[str, Any], DraftState] | None:
    """(view, draft) for an interaction in this user's own create modal, else None."""
    view = view_of(body)
    if not isinstance(view.get("id"), str):
        return None
    team_id, user_id = team_and_user(context)
    state = await load_draft(services, view, team_id, user_id)
    return (view, state) if state is not None else None


async def plan_or_provider_changed(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Step 1 re-rendered in place when the provider or plan changes, keeping what
    is still valid (the label, a plan the new provider also offers, a region the
    plan runs in)."""
    await ack()
    opened = await _own_draft(services, body, context)
    if opened is None:
        return
    view, state = opened
    draft = state.draft
    before = draft.provider_id
    steps.absorb(draft, "plan", state_values(body))
    draft.channel = channels.chosen_channel(state_values(body)) or draft.channel
    data, provider_row, _ = await catalog.gather(services, draft, "plan", team_id=state.team_id)
    if draft.provider_id != before:
        if provider_row is not None:
            catalog.prefetch(services, provider_row)
        if draft.plan_id not in {p.id for p in data.plans}:
            draft.plan_id = None
    plan = data.plan
    if plan is None or not any(r.id == draft.region and plan.runs_in(r) for r in data.regions):
        draft.region = None
    await save_draft(services, state, "plan")
    await update_view(client, view["id"], render("plan", data), view.get("hash"))


async def deployment_picked(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """A 1-Click app or StackScript picked: show its fields (StackScripts have some)."""
    await ack()
    opened = await _own_draft(services, body, context)
    if opened is None:
        return
    view, state = opened
    picked = first_action(body).get("selected_option")
    chosen = picked.get("value") if isinstance(picked, dict) else None
    state.draft.deployment_id = chosen if isinstance(chosen, str) and chosen != "none" else None
    state.draft.deployment_fields = {}
    data, _, _ = await catalog.gather(services, state.draft, "deployment", team_id=state.team_id)
    await save_draft(services, state, "deployment")
    await update_view(client, view["id"], render("deployment", data), view.get("hash"))


async def back(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """← Back: keep what is on screen, show the previous step."""
    await ack()
    opened = await _own_draft(services, body, context)
    if opened is None:
        return
    view, state = opened
    value = first_action(body).get("value")
    current = value if isinstance(value, str) and value in STEPS else state.step
    steps.absorb(state.draft, current, state_values(body))
    data, _, _ = await catalog.gather(services, state.draft, current, team_id=state.team_id)
    target = steps.previous_step(current, data.steps)
    data, _, _ = await catalog.gather(services, state.draft, target, team_id=state.team_id)
    await with_policy(services, state, target, data)
    await save_draft(services, state, target)
    await update_view(client, view["id"], render(target, data), view.get("hash"))


async def step_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Next (or Create on the review): validate the step, then show the next one."""
    view = view_of(body)
    step = str(view.get("callback_id") or "").removeprefix(CALLBACK_PREFIX)
    if step not in STEPS:
        await ack()
        return
    opened = await _own_draft(services, body, context)
    if opened is None:
        await ack(response_action="update", view=message_view(_EXPIRED))
        return
    _, state = opened
    draft = state.draft
    if step == "review" and state.instance_id is not None:
        # a double click or a Slack retry: the first submission is creating it
        await ack(response_action="update", view=creating_view(draft.label, "the provider"))
        return
    reply = Reply(ack, client, state.view_id)
    values = state_values(body)
    if step == "plan":
        # what is on screen decides what to load (the plan's regions)
        steps.absorb(draft, step, values)
    try:
        data, provider_row, provider = await catalog.gather(
            services, draft, step, team_id=state.team_id, budget=SUBMIT_BUDGET
        )
    except catalog.CatalogPending as pending:
        await reply.show(loading_view(step, pending.what))
        data, provider_row, provider = await catalog.gather(
            services, draft, step, team_id=state.team_id
        )
    await with_policy(services, state, step, data)
    errors = steps.read_step(services, step, values, data, provider)
    if step == "plan" and draft.channel_choices:
        picked, wrong = await channels.take_pick(services, state.team_id, draft, values)
        state.channel_id, errors = picked, {**errors, **wrong}
    if errors:
        if not reply.acked:
            await save_draft(services, state, step)
            await reply.errors(errors)
            return
        # too late for response_action errors: show them under the fields instead
        draft.errors = errors
        await save_draft(services, state, step)
        await reply.show(render(step, data))
        return
    if step == "review":
        await finish(services, reply, state, data, provider_row, provider)
        return
    if step == "plan" and provider_row is not None:
        service.PROVIDER_CHOICES.labels(provider_row.type).inc()
    if step == "deployment":
        data.steps = catalog.steps_for(data)
    target = steps.next_step(step, data.steps)
    await save_draft(services, state, target)
    try:
        next_data, _, _ = await catalog.gather(
            services,
            draft,
            target,
            team_id=state.team_id,
            budget=None if reply.acked else SUBMIT_BUDGET,
        )
    except catalog.CatalogPending as pending:
        await reply.show(loading_view(target, pending.what))
        next_data, _, _ = await catalog.gather(services, draft, target, team_id=state.team_id)
    await with_policy(services, state, target, next_data)
    await reply.show(render(target, next_data))


async def _suggesting(
    services: Services, body: dict[str, Any], context: AsyncBoltContext, step: str
) -> StepData | None:
    """The step's data for an options request on this user's own draft."""
    opened = await _own_draft(services, body, context)
    if opened is None:
        return None
    data, _, _ = await catalog.gather(services, opened[1].draft, step, team_id=opened[1].team_id)
    return data


async def plan_options_load(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, services: Services
) -> None:
    """Plans matching what the user typed (providers with many plans)."""
    data = await _suggesting(services, body, context, "plan")
    if data is None:
        await ack(options=[])
        return
    await ack(options=plan_options(data.plans, query_of(body)))


async def image_options_load(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, services: Services
) -> None:
    """Images matching what the user typed (past 100 images the select is external)."""
    data = await _suggesting(services, body, context, "image")
    if data is None:
        await ack(options=[])
        return
    await ack(option_groups=image_option_groups(data.images or [], query_of(body)))


def register(app: AsyncApp) -> None:
    """Wire the create modal's listeners (the `/vps create` word is in :data:`SUBCOMMANDS`)."""
    app.action(re.compile("^create_(provider|plan)$"))(plan_or_provider_changed)
    app.action("create_deployment_pick")(deployment_picked)
    app.action(BACK_ACTION)(back)
    app.view(re.compile("^" + re.escape(CALLBACK_PREFIX)))(step_submitted)
    app.options("create_plan")(plan_options_load)
    app.options("image")(image_options_load)
    app.action(again.ACTION_CREATE_AGAIN)(again.create_again)
    app.action(SWITCH_ACTION)(nearby.switch_provider)
