"""The details' "More" menu (an overflow): the less common actions.

A menu has no confirmation per option, so a direct action chosen there is said
in full in place of the details, with its button and Cancel; rebuild, resize and
delete open their forms (:mod:`bot.servers.modal_listeners`). Wired by
:func:`bot.servers.listeners.register`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.services import Services
from bot.core.slack import answer, first_action
from bot.servers.details import confirm_message
from bot.servers.modal_listeners import authorized, open_delete, open_rebuild, open_resize

__all__ = ["more_chosen"]


async def more_chosen(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """An action from the details' "More" menu: a form opens for rebuild, resize and
    delete; the others are said in full, with their button and Cancel, in place of
    the details (a menu has no confirmation of its own per option)."""
    option = first_action(body).get("selected_option")
    raw = option.get("value") if isinstance(option, dict) else None
    name = str(raw).partition(":")[0] if isinstance(raw, str) else ""
    opener = {"rebuild": open_rebuild, "resize": open_resize, "delete": open_delete}.get(name)
    if opener is not None:
        await opener(ack, body, context, respond, client, services)
        return
    await ack()
    target = await authorized(services, body, context, respond, name)
    if target is None:
        return
    text, blocks = confirm_message(target.row.label, name, str(target.row.id))
    await answer(respond, text=text, blocks=blocks, replace_original=True)
