""" "Switch to this" beside the same size elsewhere: step 1 moves to the other
provider's plan and region in one click (the choices: :mod:`bot.create.counterparts`)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.services import Services
from bot.core.slack import first_action, state_values, team_and_user, update_view, view_of
from bot.create import catalog, channels, steps
from bot.create.drafts import load_draft, save_draft
from bot.create.views import view_for

__all__ = ["switch_provider"]


async def switch_provider(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """ "Switch to this": step 1 on the other provider's plan and region, keeping the
    label and what else is on screen."""
    await ack()
    view = view_of(body)
    team_id, user_id = team_and_user(context)
    if not isinstance(view.get("id"), str):
        return
    state = await load_draft(services, view, team_id, user_id)
    if state is None:
        return
    draft = state.draft
    steps.absorb(draft, "plan", state_values(body))
    draft.channel = channels.chosen_channel(state_values(body)) or draft.channel
    value = str(first_action(body).get("value") or "")
    provider, plan, region = [*value.split("|"), "", ""][:3]
    draft.provider_id, draft.plan_id, draft.region = provider, plan or None, region or None
    data, row, _ = await catalog.gather(services, draft, "plan", team_id=team_id)
    if row is not None:
        catalog.prefetch(services, row)
    chosen = data.plan
    if chosen is None:
        draft.plan_id = draft.region = None
    elif not any(r.id == draft.region and chosen.runs_in(r) for r in data.regions):
        draft.region = None
    await save_draft(services, state, "plan")
    shown = with_provider_block(view_for("plan", data).to_dict(), draft.provider_id or "")
    await update_view(client, view["id"], shown, view.get("hash"))


def with_provider_block(view: dict[str, Any], provider_id: str) -> dict[str, Any]:
    """``view`` with its provider select under a block id naming the new provider.

    Slack keeps what an input showed across ``views.update`` when its block and action
    ids stay the same, ignoring the new ``initial_option``: the select would go on
    showing (and submitting) the provider switched from. Only this select needs it:
    the plan and region selects offer the new provider's own values. The id is read
    by action id (never by block id), and no error is ever keyed to it once a
    provider is chosen."""
    blocks = [
        {**b, "block_id": f"provider:{provider_id}"[:255]} if b.get("block_id") == "provider" else b
        for b in view.get("blocks") or []
    ]
    return {**view, "blocks": blocks}
