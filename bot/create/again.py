""" "Create another like this": the create modal prefilled from an existing server.

The button sits on a server's details and on its channel card. The modal opens
with the server's provider, plan, region, image or app and options (never its
password: vpsbot does not keep it) and the label with a counter (web-1 → web-2,
skipping labels the workspace already uses). It is the same modal as any create:
the review, budgets, approvals, leases and channel rules all apply.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.services import Services
from bot.core.slack import first_action, say, team_and_user
from bot.create import catalog, channels
from bot.create.draft import Draft
from bot.create.drafts import DraftState
from bot.create.quick_open import open_loading, show_first
from bot.status.views import ACTION_CREATE_AGAIN
from db.models import VpsInstance
from db.repo import instances

__all__ = ["ACTION_CREATE_AGAIN", "create_again", "draft_like", "label_stem", "next_label"]

_MAX_LABEL = 64
_COUNTED = re.compile(r"^(.*?[^\d])?(\d+)$")


def label_stem(label: str) -> tuple[str, int, int]:
    """(stem, counter, digits) of a label: web-1 → ("web-", 1, 1), web → ("web-", 1, 0)."""
    found = _COUNTED.match(label)
    if found is None or not found.group(1):
        return f"{label}-", 1, 0
    return found.group(1), int(found.group(2)), len(found.group(2))


def next_label(label: str, taken: set[str]) -> str:
    """The next free label after ``label``: web-1 → web-2, web → web-2, web-09 → web-10;
    labels in ``taken`` (any case) are skipped; never longer than 64 characters."""
    stem, counter, digits = label_stem(label)
    used = {t.casefold() for t in taken}
    while True:
        counter += 1
        number = f"{counter:0{digits}d}" if digits else str(counter)
        room = _MAX_LABEL - len(number)
        cut = stem if len(stem) <= room else stem[: room - 1] + stem[-1]  # keep the "-"
        candidate = cut + number
        if candidate.casefold() not in used:
            return candidate


def draft_like(row: VpsInstance, label: str) -> Draft:
    """A draft for a server like ``row``: what it runs, where, and its options."""
    config = row.configuration
    image, deployment = config.get("image"), config.get("deployment_id")
    options = config.get("options")
    return Draft(
        provider_id=str(row.provider_id) if row.provider_id else None,
        plan_id=str(row.plan_id) if row.plan_id else None,
        region=row.region or None,
        image=image if isinstance(image, str) else None,
        deployment_id=deployment if isinstance(deployment, str) else None,
        backups=config.get("backups") is True,
        options=dict(options) if isinstance(options, dict) else {},
        label=label,
    )


def _channel(body: dict[str, Any], row: VpsInstance) -> str | None:
    found = body.get("channel")
    channel = found.get("id") if isinstance(found, dict) else None
    return channel if isinstance(channel, str) else row.channel_id


async def create_again(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    respond: AsyncRespond,
    services: Services,
) -> None:
    """The button: open the create modal prefilled like the server it is on."""
    await ack()
    team_id, user_id = team_and_user(context)
    instance_id = catalog.parse_uuid(str(first_action(body).get("value") or ""))
    row = None
    if instance_id is not None and team_id:
        async with services.db.session() as session:
            row = await instances.get_for_team(session, instance_id, team_id)
    if row is None:
        text = "That server is not in this workspace."
        await say(respond, text)
        return
    channel = _channel(body, row)
    allowed_in = await channels.allowed_channels(services, team_id)
    if allowed_in and channel not in allowed_in:
        where = ", ".join(f"<#{c}>" for c in allowed_in[:10])
        text = f"Servers are created only from {where}; use `/vps create` there."
        await say(respond, text)
        return
    rows = await catalog.active_providers(services, team_id)
    if not rows:
        await say(respond, "No cloud provider is offered.")
        return
    stem = label_stem(row.label)[0]
    async with services.db.session() as session:
        taken = await instances.labels_starting(session, team_id, stem)
    draft = draft_like(row, next_label(row.label, taken))
    notes = []
    if draft.provider_id not in {str(r.id) for r in rows}:
        notes.append("The provider of that server is no longer offered; choose another.")
    view_id = await open_loading(client, str(body.get("trigger_id") or ""))
    if view_id is None:
        text = "Slack did not open the form (it may have taken too long). Press the button again."
        await say(respond, text)
        return
    state = DraftState(view_id, team_id, user_id, channel, "plan", draft)
    await show_first(services, client, state, rows, notes)
