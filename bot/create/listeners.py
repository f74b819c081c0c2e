"""`/vps create`: open the modal, follow the user's choices, submit each step, create.

Thin Slack glue: each listener reads the request, loads the user's own draft
(:mod:`bot.create.drafts`) and answers with what :mod:`bot.create.wizard`
decides (every transition of the modal is there). ``register`` only wires.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.answered import answer_sent
from bot.core.blocks import image_option_groups, plan_option_groups
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
from bot.create import again, catalog, channels, nearby, quick_open, wizard
from bot.create.draft import LABEL_LIMIT, STEPS, generate_label
from bot.create.drafts import DraftState, load_draft
from bot.create.elsewhere import SWITCH_ACTION
from bot.create.views import BACK_ACTION, CALLBACK_PREFIX, StepData, message_view

__all__ = [
    "SUBCOMMANDS",
    "create_command",
    "image_options_load",
    "modal_action",
    "plan_options_load",
    "register",
    "step_submitted",
]

log = logging.getLogger(__name__)

_EXPIRED = "This form has expired or belongs to someone else. Run `/vps create` again."
_NOT_OPENED = "Slack did not open the form (it may have taken too long). Run `/vps create` again."
#: Longest label taken from the command line (providers allow at most 64 characters).


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
    label = (rest.strip() or generate_label())[:LABEL_LIMIT]
    view, row = await wizard.first_view(
        services, rows, label, command.get("channel_id"), str(command.get("team_id") or "")
    )
    try:
        await client.views_open(trigger_id=str(command.get("trigger_id") or ""), view=view)
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


async def modal_action(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """A provider, plan, 1-Click app or StackScript picked, or ← Back: the step
    the wizard shows for it, in place."""
    await ack()
    opened = await _own_draft(services, body, context)
    if opened is None:
        return
    view, state = opened
    shown = await wizard.act(services, state, first_action(body), state_values(body))
    await update_view(client, view["id"], shown, view.get("hash"))


async def step_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Next (or Create on the review): answer with the wizard's outcome, then show
    what follows it (after a loading view, or the creation's result)."""
    view = view_of(body)
    step = str(view.get("callback_id") or "").removeprefix(CALLBACK_PREFIX)
    if step not in STEPS:
        await ack()
        return
    opened = await _own_draft(services, body, context)
    if opened is None:
        await ack(response_action="update", view=message_view(_EXPIRED))
        return
    state = opened[1]
    outcome = await wizard.submit(services, state, step, state_values(body))
    if outcome.errors:
        await ack(response_action="errors", errors=outcome.errors)
    elif outcome.view is not None:
        await ack(response_action="update", view=outcome.view)
    else:
        await ack()
    if outcome.then is not None:
        await answer_sent()  # or the answer, arriving late, would undo what follows
    while outcome.then is not None:
        outcome = await outcome.then()
        if outcome.view is not None:
            await update_view(client, state.view_id, outcome.view)


async def _suggesting(
    services: Services, body: dict[str, Any], context: AsyncBoltContext, step: str
) -> StepData | None:
    """The step's data for an options request on this user's own draft."""
    opened = await _own_draft(services, body, context)
    return None if opened is None else await wizard.suggest(services, opened[1], step)


async def plan_options_load(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, services: Services
) -> None:
    """Plans matching what the user typed (providers with many plans)."""
    data = await _suggesting(services, body, context, "plan")
    if data is None:
        await ack(options=[])
        return
    options, groups = plan_option_groups(data.plans, query_of(body))
    await ack(options=options, option_groups=groups)


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
    picks = ("create_provider", "create_plan", wizard.DEPLOYMENT_PICK, BACK_ACTION)
    app.action(re.compile("^(" + "|".join(map(re.escape, picks)) + ")$"))(modal_action)
    app.view(re.compile("^" + re.escape(CALLBACK_PREFIX)))(step_submitted)
    app.options("create_plan")(plan_options_load)
    app.options("image")(image_options_load)
    app.action(again.ACTION_CREATE_AGAIN)(again.create_again)
    app.action(SWITCH_ACTION)(nearby.switch_provider)
