"""`/vps list`, `/vps show` and the server action buttons and modals.

Thin Slack glue: reading and acting live in :mod:`bot.servers.service`, messages
in :mod:`bot.servers.views`, forms in :mod:`bot.servers.modals`. Everything
answered here is ephemeral. The team and user come from Bolt's context; instance
ids in buttons and ``private_metadata`` are re-checked by
:func:`bot.servers.service.authorize` on every use. ``register`` only wires.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.actions import DIRECT
from bot.core.blocks import esc, md
from bot.core.errors import Refusal
from bot.core.services import Services
from bot.core.slack import (
    Subcommand,
    answer,
    first_action,
    say,
    team_and_user,
)
from bot.servers import graphs, operations
from bot.servers import service as servers
from bot.servers.menu_listeners import more_chosen
from bot.servers.modal_listeners import (
    delete_submitted,
    message_closed,
    open_delete,
    open_rebuild,
    open_resize,
    rebuild_submitted,
    resize_submitted,
)
from bot.servers.modals import (
    ACTION_REBUILD_IMAGE,
    ACTION_RESIZE_PLAN,
    CALLBACK_DELETE,
    CALLBACK_MESSAGE,
    CALLBACK_REBUILD,
    CALLBACK_RESIZE,
)
from bot.servers.option_listeners import image_options_load, plan_options_load
from bot.servers.shown import details_for
from bot.servers.views import (
    ACTION_BUTTON_PREFIX,
    ACTION_DELETE,
    ACTION_DETAILS,
    ACTION_LIST_NEXT,
    ACTION_LIST_PREV,
    ACTION_LIST_PROVIDER,
    ACTION_LIST_STATUS,
    ACTION_MORE,
    ACTION_REBUILD,
    ACTION_REFRESH,
    ACTION_RESIZE,
    PAGE_SIZE,
    ListState,
    list_message,
)
from bot.status.leases import EXTEND_ACTION

__all__ = [
    "SUBCOMMANDS",
    "direct_action",
    "filter_changed",
    "list_command",
    "page",
    "register",
    "show_command",
    "show_details",
]

log = logging.getLogger(__name__)

_GONE = "That server does not exist in this workspace."
_DIRECT = re.compile("^" + re.escape(ACTION_BUTTON_PREFIX) + "(" + "|".join(DIRECT) + ")$")
#: Longest label `/vps show` looks up (labels are at most 64 characters).
_MAX_LABEL = 64


async def _list(services: Services, team_id: str, state: ListState) -> tuple[str, list[Block]]:
    lines, total = await servers.list_page(services, team_id, state, page_size=PAGE_SIZE)
    if not lines and total and state.offset:
        # the list shrank under the user's feet: show its last page
        last = (total - 1) // PAGE_SIZE * PAGE_SIZE
        state = state.but(offset=last)
        lines, total = await servers.list_page(services, team_id, state, page_size=PAGE_SIZE)
    return list_message(lines, total, state, page_size=PAGE_SIZE)


# ---------------------------------------------------------------------- commands


async def list_command(
    services: Services,
    command: dict[str, Any],
    rest: str,
    ack: AsyncAck,
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    """`/vps list [provider] [status] [text]`."""
    state = servers.parse_list_text(rest)
    text, blocks = await _list(services, str(command.get("team_id") or ""), state)
    await ack(response_type="ephemeral", text=text, blocks=blocks)


async def show_command(
    services: Services,
    command: dict[str, Any],
    rest: str,
    ack: AsyncAck,
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    """`/vps show <label>`: the newest of the workspace's servers with that label."""
    label = rest.strip()[: _MAX_LABEL * 2]
    if not label:
        await ack(response_type="ephemeral", text="Usage: `/vps show <label>`")
        return
    team_id = str(command.get("team_id") or "")
    user_id = str(command.get("user_id") or "")
    typed = label[:_MAX_LABEL].replace("`", "'")
    found = await servers.find_by_label(services, team_id, label)
    if not found:
        await ack(
            response_type="ephemeral",
            text=f"No server named `{esc(typed)}` in this workspace. See `/vps list` for yours.",
        )
        return
    note = None
    if len(found) > 1:
        note = (
            f"{len(found)} servers are named `{esc(typed)}`; this is the newest. "
            f"`/vps list {esc(typed)}` shows them all."
        )
    message = await details_for(services, team_id, user_id, str(found[0]), note)
    if message is None:
        await ack(response_type="ephemeral", text=_GONE)
        return
    text, blocks = message
    await ack(response_type="ephemeral", text=text, blocks=blocks)
    await graphs.post_graphs(services, client, respond, team_id, str(found[0]))


SUBCOMMANDS: dict[str, Subcommand] = {"list": list_command, "show": show_command}


# ---------------------------------------------------------------------- the list


def _choice(action: dict[str, Any]) -> str | None:
    option = action.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    return None if value in (None, "all") else str(value)


async def _rerender(
    services: Services, context: AsyncBoltContext, respond: AsyncRespond, state: ListState
) -> None:
    team_id, _ = team_and_user(context)
    text, blocks = await _list(services, team_id, state)
    await answer(respond, text=text, blocks=blocks, replace_original=True)


async def filter_changed(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    services: Services,
) -> None:
    """The provider or status filter of the list changed: the first page again."""
    await ack()
    action = first_action(body)
    state = ListState.from_block_id(action.get("block_id"))
    if action.get("action_id") == ACTION_LIST_PROVIDER:
        chosen = ListState.clean(_choice(action), state.status, state.text)
    else:
        chosen = ListState.clean(state.provider, _choice(action), state.text)
    await _rerender(services, context, respond, chosen)


async def page(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    services: Services,
) -> None:
    await ack()
    await _rerender(services, context, respond, ListState.decode(first_action(body).get("value")))


# ---------------------------------------------------------------------- details


async def show_details(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    services: Services,
    client: AsyncWebClient | None = None,
) -> None:
    """Details (or Refresh): the server's message, with the buttons the user may press;
    Details then adds its graphs (:mod:`bot.servers.graphs`) in a message below."""
    await ack()
    team_id, user_id = team_and_user(context)
    action = first_action(body)
    message = await details_for(services, team_id, user_id, action.get("value"))
    if message is None:
        await say(respond, _GONE)
        return
    text, blocks = message
    await answer(
        respond,
        text=text,
        blocks=blocks,
        response_type="ephemeral",
        replace_original=action.get("action_id") == ACTION_REFRESH,
    )
    if action.get("action_id") == ACTION_DETAILS:
        await graphs.post_graphs(services, client, respond, team_id, str(action.get("value")))


async def direct_action(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    services: Services,
) -> None:
    """A power button (Slack's confirm dialog has run for the destructive ones)."""
    await ack()
    team_id, user_id = team_and_user(context)
    action = first_action(body)
    name = str(action.get("action_id", "")).removeprefix(ACTION_BUTTON_PREFIX)
    instance_id = action.get("value")
    try:
        outcome = await operations.execute(
            services,
            instance_id=instance_id if isinstance(instance_id, str) else None,
            team_id=team_id,
            user_id=user_id,
            action=name,
        )
    except operations.LeaseEnded as ended:
        extend = ButtonElement(
            action_id=EXTEND_ACTION, text="Extend", style="primary", value=str(ended.instance_id)
        )
        blocks = [SectionBlock(text=md(ended.message)), ActionsBlock(elements=[extend])]
        await answer(
            respond,
            text=ended.message,
            blocks=blocks,
            response_type="ephemeral",
            replace_original=False,
        )
        return
    except Refusal as refusal:
        await say(respond, refusal.message)
        return
    if not outcome.ok:
        await say(respond, f":x: {outcome.message}")
        return
    message = await details_for(
        services, team_id, user_id, instance_id, f":white_check_mark: {outcome.message}"
    )
    if message is None:
        await say(respond, outcome.message)
        return
    text, blocks = message
    await answer(respond, text=text, blocks=blocks, replace_original=True)


def register(app: AsyncApp) -> None:
    """Wire the server listeners (the `/vps` words are in :data:`SUBCOMMANDS`)."""
    app.action(re.compile(f"^({ACTION_LIST_PROVIDER}|{ACTION_LIST_STATUS})$"))(filter_changed)
    app.action(re.compile(f"^({ACTION_LIST_PREV}|{ACTION_LIST_NEXT})$"))(page)
    app.action(re.compile(f"^({ACTION_DETAILS}|{ACTION_REFRESH})$"))(show_details)
    app.action(_DIRECT)(direct_action)
    app.action(ACTION_MORE)(more_chosen)
    app.action(re.compile(f"^{graphs.ACTION_GRAPH_WINDOW}_"))(graphs.window_clicked)
    app.action(ACTION_DELETE)(open_delete)
    app.action(ACTION_RESIZE)(open_resize)
    app.action(ACTION_REBUILD)(open_rebuild)
    app.view(CALLBACK_DELETE)(delete_submitted)
    app.view(CALLBACK_RESIZE)(resize_submitted)
    app.view(CALLBACK_REBUILD)(rebuild_submitted)
    app.view(CALLBACK_MESSAGE)(message_closed)
    app.options(ACTION_REBUILD_IMAGE)(image_options_load)
    app.options(ACTION_RESIZE_PLAN)(plan_options_load)
