"""The spend policy screen of `/vps admin`: every field of :mod:`bot.spend.policy`
in one form; a bad value comes back under its field, a good edit is audited
(:func:`bot.spend.manage.update`)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.models.blocks import Block, ContextBlock, InputBlock, PlainTextInputElement
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.admin.interaction import JSON, field_error, push
from bot.admin.views import CALLBACK_PREFIX, modal
from bot.core.blocks import md
from bot.core.errors import InputError
from bot.core.services import Services
from bot.core.slack import state_values, team_and_user, typed
from bot.spend import manage
from bot.spend.policy import FIELDS

__all__ = ["POLICY", "POLICY_ACTION", "open_policy", "policy_submitted", "policy_view"]

POLICY = CALLBACK_PREFIX + "policy"
POLICY_ACTION = "admin_policy"

_HINTS = {
    "money": "Dollars; empty means no limit.",
    "count": "Empty means no limit.",
    "hours": "Hours (720 = 30 days); empty means none.",
    "users": "Slack user ids or @mentions, separated by spaces.",
    "group": "A user group id (S…).",
    "channel": "A channel id or #channel.",
    "channels": "Empty: /vps create is allowed everywhere.",
    "action": "power_off or delete",
}


def policy_view(values: dict[str, str]) -> View:
    """The form, filled with the current values."""
    blocks: list[Block] = [
        ContextBlock(
            elements=[
                md(
                    "Budgets count what servers cost this month (each hour at the marked-up "
                    "price, at most the monthly price). Above the threshold a create waits "
                    "for an approver."
                )
            ]
        )
    ]
    for name, (label, kind) in FIELDS.items():
        blocks.append(
            InputBlock(
                block_id=name,
                label=label,
                optional=True,
                hint=_HINTS[kind],
                element=PlainTextInputElement(
                    action_id=name, initial_value=values.get(name) or None, max_length=500
                ),
            )
        )
    return modal(POLICY, blocks, title="Spend policy", submit="Save")


async def open_policy(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    await ack()
    team_id, _ = team_and_user(context)
    await push(client, body, policy_view(manage.display(await manage.current(services, team_id))))


async def policy_submitted(
    ack: AsyncAck,
    body: JSON,
    context: AsyncBoltContext,
    services: Services,
) -> None:
    """Save the form; the first bad field keeps it open with the reason under it."""
    team_id, user_id = team_and_user(context)
    values = state_values(body)
    raw = {name: typed(values, name) for name in FIELDS}
    try:
        await manage.update(services, team_id, raw, user_id)
    except InputError as exc:
        await field_error(ack, exc.field or next(iter(FIELDS)), exc.message)
        return
    await ack()
