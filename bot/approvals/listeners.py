"""Approve / Deny on a request, and Extend (its form: :mod:`bot.approvals.extend`).

Module-level listeners taking ``(ack, body, context, respond, client, services)``;
:func:`register` only wires. Who clicked comes from Bolt's context; the
request or server id in the button is untrusted and checked against the
workspace in :mod:`bot.approvals.service`.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals import service
from bot.approvals.extend import CALLBACK_EXTEND, extend_submitted, open_extend
from bot.core.errors import VpsbotError
from bot.core.services import Services
from bot.core.slack import first_action, say_or_tell, team_and_user
from bot.spend.requests import APPROVE_ACTION, DENY_ACTION
from bot.status.leases import EXTEND_ACTION

__all__ = ["decision_clicked", "register"]

log = logging.getLogger(__name__)


def _value(body: dict[str, Any]) -> str:
    value = first_action(body).get("value")
    return value if isinstance(value, str) else ""


async def decision_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Approve or Deny: exactly once, whoever else clicks meanwhile."""
    await ack()
    team_id, user_id = team_and_user(context)
    approving = first_action(body).get("action_id") == APPROVE_ACTION
    decide = service.approve if approving else service.deny
    try:
        decision = await decide(services, _value(body), team_id, user_id)
    except VpsbotError as exc:
        await say_or_tell(body, respond, client, user_id, exc.message)
        return
    await say_or_tell(body, respond, client, user_id, decision.message)


def register(app: AsyncApp) -> None:
    """Wire the approval and lease buttons."""
    app.action(APPROVE_ACTION)(decision_clicked)
    app.action(DENY_ACTION)(decision_clicked)
    app.action(EXTEND_ACTION)(open_extend)
    app.view(CALLBACK_EXTEND)(extend_submitted)
