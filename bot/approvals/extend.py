"""Extend: the person chooses how much longer the lease runs.

The Extend button (on the details, a lease reminder, a refused power-on) opens a
small form with the durations the policy allows; longer ones are offered too,
marked, when an approver can be asked (:func:`bot.approvals.lease.extend_lease`
turns them into the approval request that already exists). What the form is
about travels in ``private_metadata``, untrusted on the way back: the server is
re-read against the workspace and the person every time.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    Option,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals.lease import extend_lease, lease_policy
from bot.core.access import can_act_on
from bot.core.blocks import date, esc, md
from bot.core.errors import VpsbotError
from bot.core.services import Services
from bot.core.slack import (
    channel_of,
    first_action,
    say_or_tell,
    selected,
    slack_error,
    state_values,
    team_and_user,
    tell,
    view_of,
)
from bot.servers.shown import refresh_at
from bot.spend.policy import Policy
from db.models import VpsInstance
from db.repo import instances

__all__ = [
    "CALLBACK_EXTEND",
    "DURATIONS_DAYS",
    "choices",
    "extend_modal",
    "extend_submitted",
    "open_extend",
]

log = logging.getLogger(__name__)

CALLBACK_EXTEND = "vps_lease_extend_modal"
#: The lengths offered, in days (the policy's default lease is added when missing).
DURATIONS_DAYS = (1, 3, 7, 14, 30, 60, 90, 180, 365)
#: The block an Extend button sits in on the details message (its reply is updated).
_DETAILS_BLOCK = "vps_actions"


def _days(hours: int) -> str:
    days = hours // 24
    return "1 day" if days == 1 else f"{days} days"


def choices(row: VpsInstance, policy: Policy, now: datetime) -> list[tuple[int, bool]]:
    """(hours, needs approval) for each length offered: those within the policy's
    maximum lifetime, then longer ones when an approver can be asked."""
    start = max(row.expires_at or now, now)
    lengths = sorted({d * 24 for d in DURATIONS_DAYS} | {policy.default_lease_hours or 0} - {0})
    offered = []
    for hours in lengths:
        within = policy.max_lease_hours is None or (
            start + timedelta(hours=hours) - row.created_at
            <= timedelta(hours=policy.max_lease_hours)
        )
        if within or policy.approval_channel:
            offered.append((hours, not within))
    return offered


def _metadata(row: VpsInstance, body: dict[str, Any]) -> str:
    data: dict[str, Any] = {"id": str(row.id), "c": channel_of(body)}
    reply = body.get("response_url")
    if (
        isinstance(reply, str)
        and len(reply) <= 1000
        and first_action(body).get("block_id") == (_DETAILS_BLOCK)
    ):
        data["r"] = reply  # the details it was pressed on: updated afterwards
    return json.dumps(data, separators=(",", ":"))


def extend_modal(row: VpsInstance, policy: Policy, now: datetime, metadata: str) -> View | None:
    """The form; None when nothing can be offered (at the maximum, nobody to ask)."""
    offered = choices(row, policy, now)
    if not offered:
        return None
    options = [
        Option(
            value=str(hours),
            text=f"{_days(hours)} more" + (" (needs approval)" if ask else ""),
        )
        for hours, ask in offered
    ]
    default = next((o for o in options if o.value == str(policy.default_lease_hours)), None)
    limit = (
        f"The policy keeps a server at most {_days(policy.max_lease_hours)} from its creation"
        + ("; longer needs an approver's yes." if policy.approval_channel else ".")
        if policy.max_lease_hours is not None
        else "The policy sets no maximum."
    )
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f"The lease of *{esc(row.label)}* ends {date(row.expires_at)}. How much longer?"
            )
        ),
        InputBlock(
            block_id="duration",
            label="Extend by",
            element=StaticSelectElement(
                action_id="duration", options=options, initial_option=default
            ),
        ),
        ContextBlock(elements=[md(limit)]),
    ]
    return View(
        type="modal",
        callback_id=CALLBACK_EXTEND,
        title="Extend the lease",
        submit="Extend",
        close="Cancel",
        private_metadata=metadata,
        blocks=blocks,
    )


async def _server(services: Services, raw: Any, team_id: str, user_id: str) -> VpsInstance:
    try:
        parsed = uuid.UUID(raw if isinstance(raw, str) else "")
    except ValueError:
        raise VpsbotError("That server does not exist here.") from None
    async with services.db.session() as session:
        found = await instances.get_for_team(session, parsed, team_id)
    return await can_act_on(services, found, team_id, user_id)


async def open_extend(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Extend pressed: the owner or an admin chooses how long."""
    await ack()
    team_id, user_id = team_and_user(context)
    try:
        row = await _server(services, first_action(body).get("value"), team_id, user_id)
        if row.expires_at is None or row.status in ("deleted", "deleting"):
            raise VpsbotError(f"*{esc(row.label)}* has no lease to extend.")
        policy = await lease_policy(services, row)
    except VpsbotError as exc:
        await say_or_tell(body, respond, client, user_id, exc.message)
        return
    view = extend_modal(row, policy, datetime.now(UTC), _metadata(row, body))
    if view is None:
        await say_or_tell(
            body,
            respond,
            client,
            user_id,
            f"*{esc(row.label)}* is at the policy's maximum lifetime and no approval channel "
            "is set; ask a vpsbot admin.",
        )
        return
    try:
        await client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", slack_error(exc))
        await say_or_tell(
            body, respond, client, user_id, "Slack did not open the form; press again."
        )


def _decode(raw: Any) -> dict[str, Any]:
    try:
        data = json.loads(raw if isinstance(raw, str) and raw else "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def extend_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Extend by the length chosen (re-checked against what the policy offers now)."""
    team_id, user_id = team_and_user(context)
    meta = _decode(view_of(body).get("private_metadata"))
    channel = meta.get("c") if isinstance(meta.get("c"), str) else None
    chosen = selected(state_values(body), "duration")
    try:
        row = await _server(services, meta.get("id"), team_id, user_id)
        policy = await lease_policy(services, row)
        offered = {str(hours) for hours, _ in choices(row, policy, datetime.now(UTC))}
        if chosen not in offered:
            await ack(
                response_action="errors",
                errors={"duration": "Choose one of the lengths offered."},
            )
            return
        line = await extend_lease(services, row, user_id, hours=int(chosen or 0))
    except VpsbotError as exc:
        await ack(response_action="errors", errors={"duration": exc.message})
        return
    await ack()
    await tell(client, channel, user_id, line)
    reply = meta.get("r") if isinstance(meta.get("r"), str) else None
    await refresh_at(services, reply, team_id, user_id, str(row.id), line)
