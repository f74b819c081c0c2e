"""The create modal's draft as the listeners hold it: loaded for one user, saved back.

A draft lives in ``create_drafts`` keyed by the Slack view id. It is first
written on the user's first action or submission: opening the modal writes
nothing (step 1 is all in the view, and the channel to post in travels in the
view's ``private_metadata`` until then). A draft is only ever handed to the user
who started it, in the workspace it was started in.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from bot.core.services import Services
from bot.core.slack import slack_id
from bot.create.channels import choices_in
from bot.create.draft import Draft
from bot.create.views import CALLBACK_PREFIX
from db.repo import drafts

__all__ = ["DraftState", "load_draft", "save_draft"]


@dataclass
class DraftState:
    """One user's draft with where it belongs."""

    view_id: str
    team_id: str
    user_id: str
    channel_id: str | None
    step: str
    draft: Draft
    instance_id: uuid.UUID | None = None


def _fresh(view: dict[str, Any], team_id: str, user_id: str) -> DraftState | None:
    """Step 1 of a modal nobody acted in yet: the draft is what the view shows."""
    if view.get("callback_id") != CALLBACK_PREFIX + "plan":
        return None
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return None
    view_id = slack_id(view.get("id"))
    ids = (view_id, slack_id(team_id), slack_id(user_id))
    if not isinstance(meta, dict) or "channel" not in meta or None in ids:
        return None  # no view Slack would send: nothing to make a draft of
    channel = slack_id(meta["channel"])
    blocks = view.get("blocks")
    label = ""
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("block_id") == "label":
            element = block.get("element")
            value = element.get("initial_value") if isinstance(element, dict) else None
            label = value if isinstance(value, str) else ""
    return DraftState(
        view_id=str(view_id),
        team_id=team_id,
        user_id=user_id,
        channel_id=channel,
        step="plan",
        draft=Draft(label=label[:64], channel_choices=choices_in(blocks)),
    )


async def load_draft(
    services: Services, view: dict[str, Any], team_id: str, user_id: str
) -> DraftState | None:
    """The draft of ``view`` if it is this user's in this workspace; None when it
    expired or belongs to someone else (both look the same to the asker)."""
    if not team_id or not user_id:
        return None
    async with services.db.connect() as conn:
        row = await drafts.load(conn, str(view["id"]))
    if row is None:
        return _fresh(view, team_id, user_id)
    if row.team_id != team_id or row.user_id != user_id:
        return None
    draft = Draft.model_validate(row.data)
    return DraftState(
        view_id=row.view_id,
        team_id=row.team_id,
        user_id=row.user_id,
        # a Home create opens without a channel: the one picked in step 1 (checked
        # against the policy there, and again at the claim)
        channel_id=row.channel_id or (draft.channel if draft.channel_choices else None),
        step=row.step,
        draft=draft,
        instance_id=row.instance_id,
    )


async def save_draft(services: Services, state: DraftState, step: str) -> None:
    """Store the draft at ``step`` (nothing changes once its create has started)."""
    state.step = step
    async with services.db.connect() as conn:
        await drafts.save(
            conn,
            view_id=state.view_id,
            team_id=state.team_id,
            user_id=state.user_id,
            channel_id=state.channel_id,
            step=step,
            data=state.draft.store(),
        )
