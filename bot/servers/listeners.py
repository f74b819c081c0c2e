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
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, Option
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.actions import DIRECT
from bot.core.blocks import MAX_OPTIONS, image_option_groups, plan_option
from bot.core.errors import Refusal
from bot.core.services import Services
from bot.core.slack import (
    Subcommand,
    channel_of,
    first_action,
    say,
    selected,
    slack_error,
    state_values,
    team_and_user,
    tell,
    typed,
    view_of,
)
from bot.servers import service as servers
from bot.servers.modals import (
    ACTION_REBUILD_IMAGE,
    ACTION_RESIZE_PLAN,
    CALLBACK_DELETE,
    CALLBACK_MESSAGE,
    CALLBACK_REBUILD,
    CALLBACK_RESIZE,
    ModalTarget,
    delete_modal,
    message_modal,
    rebuild_modal,
    resize_modal,
)
from bot.servers.views import (
    ACTION_BUTTON_PREFIX,
    ACTION_DELETE,
    ACTION_DETAILS,
    ACTION_LIST_NEXT,
    ACTION_LIST_PREV,
    ACTION_LIST_PROVIDER,
    ACTION_LIST_STATUS,
    ACTION_REBUILD,
    ACTION_REFRESH,
    ACTION_RESIZE,
    PAGE_SIZE,
    ListState,
    details_message,
    list_message,
)
from providers.errors import ProviderError

__all__ = [
    "SUBCOMMANDS",
    "delete_submitted",
    "direct_action",
    "filter_by_provider",
    "filter_by_status",
    "image_options_load",
    "list_command",
    "open_delete",
    "open_rebuild",
    "open_resize",
    "page",
    "plan_options_load",
    "rebuild_submitted",
    "register",
    "resize_submitted",
    "show_command",
    "show_details",
]

log = logging.getLogger(__name__)

_GONE = "That server does not exist in this workspace."
_DIRECT = re.compile("^" + re.escape(ACTION_BUTTON_PREFIX) + "(" + "|".join(DIRECT) + ")$")
#: Longest label `/vps show` looks up (labels are at most 64 characters).
_MAX_LABEL = 64


def _clean(text: str) -> str:
    """User text fit for a query: no NULs (PostgreSQL refuses them)."""
    return text.replace("\x00", "")


async def _list(services: Services, team_id: str, state: ListState) -> tuple[str, list[Block]]:
    lines, total = await servers.list_page(services, team_id, state, page_size=PAGE_SIZE)
    if not lines and total and state.offset:
        # the list shrank under the user's feet: show its last page
        last = (total - 1) // PAGE_SIZE * PAGE_SIZE
        state = state.but(offset=last)
        lines, total = await servers.list_page(services, team_id, state, page_size=PAGE_SIZE)
    return list_message(lines, total, state, page_size=PAGE_SIZE)


async def _details(
    services: Services,
    team_id: str,
    user_id: str,
    instance_id: Any,
    note: str | None = None,
) -> tuple[str, list[Block]] | None:
    try:
        parsed = uuid.UUID(instance_id if isinstance(instance_id, str) else "")
    except ValueError:
        return None
    found = await servers.details(services, team_id, parsed)
    if found is None:
        return None
    shown, row = found
    provider = await servers.provider_of(services, row)
    possible = servers.offered_actions(row, provider)
    allowed = bool(possible) and await servers.may_manage(services, row, team_id, user_id)
    return details_message(
        shown,
        possible if allowed else (),
        managed_by=row.created_by if possible and not allowed else None,
        note=note,
    )


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
    state = servers.parse_list_text(_clean(rest))
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
    label = _clean(rest).strip()[: _MAX_LABEL * 2]
    if not label:
        await ack(response_type="ephemeral", text="Usage: `/vps show <label>`")
        return
    team_id = str(command.get("team_id") or "")
    user_id = str(command.get("user_id") or "")
    shown = label[:_MAX_LABEL].replace("`", "'")
    found = await servers.find_by_label(services, team_id, label)
    if not found:
        await ack(
            response_type="ephemeral",
            text=f"No server named `{shown}` in this workspace. See `/vps list` for yours.",
        )
        return
    note = None
    if len(found) > 1:
        note = (
            f"{len(found)} servers are named `{shown}`; this is the newest. "
            f"`/vps list {shown}` shows them all."
        )
    message = await _details(services, team_id, user_id, str(found[0]), note)
    if message is None:
        await ack(response_type="ephemeral", text=_GONE)
        return
    text, blocks = message
    await ack(response_type="ephemeral", text=text, blocks=blocks)


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
    await respond(text=text, blocks=blocks, replace_original=True)


async def filter_by_provider(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    services: Services,
) -> None:
    await ack()
    action = first_action(body)
    state = ListState.from_block_id(action.get("block_id"))
    chosen = ListState.clean(_choice(action), state.status, state.text)
    await _rerender(services, context, respond, chosen)


async def filter_by_status(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    services: Services,
) -> None:
    await ack()
    action = first_action(body)
    state = ListState.from_block_id(action.get("block_id"))
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
) -> None:
    """Details (or Refresh): the server's message, with the buttons the user may press."""
    await ack()
    team_id, user_id = team_and_user(context)
    action = first_action(body)
    message = await _details(services, team_id, user_id, action.get("value"))
    if message is None:
        await say(respond, _GONE)
        return
    text, blocks = message
    await respond(
        text=text,
        blocks=blocks,
        response_type="ephemeral",
        replace_original=action.get("action_id") == ACTION_REFRESH,
    )


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
        outcome = await servers.execute(
            services,
            instance_id=instance_id if isinstance(instance_id, str) else None,
            team_id=team_id,
            user_id=user_id,
            action=name,
        )
    except Refusal as refusal:
        await say(respond, refusal.message)
        return
    if not outcome.ok:
        await say(respond, f":x: {outcome.message}")
        return
    message = await _details(
        services, team_id, user_id, instance_id, f":white_check_mark: {outcome.message}"
    )
    if message is None:
        await say(respond, outcome.message)
        return
    text, blocks = message
    await respond(text=text, blocks=blocks, replace_original=True)


# ---------------------------------------------------------------------- modals: open


async def _opening(
    services: Services,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    action: str,
) -> tuple[servers.Target, ModalTarget] | None:
    """The server a modal button is about, if the user may do ``action`` to it now."""
    team_id, user_id = team_and_user(context)
    value = first_action(body).get("value")
    try:
        target = await servers.authorize(
            services, value if isinstance(value, str) else None, team_id, user_id, action
        )
    except Refusal as refusal:
        await say(respond, refusal.message)
        return None
    return target, ModalTarget(str(target.row.id), target.row.label, channel_of(body))


async def _open(
    client: AsyncWebClient, body: dict[str, Any], respond: AsyncRespond, view: View
) -> str | None:
    """``views.open`` for the button's trigger; the new view's id, or None (told)."""
    trigger = body.get("trigger_id")
    try:
        opened = await client.views_open(trigger_id=str(trigger or ""), view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", slack_error(exc))
        await say(respond, "Slack did not open the form (it may have timed out); press again.")
        return None
    found = opened.get("view")
    return str(found.get("id")) if isinstance(found, dict) else None


async def open_delete(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    client: AsyncWebClient,
    services: Services,
) -> None:
    await ack()
    opened = await _opening(services, body, context, respond, "delete")
    if opened is not None:
        await _open(client, body, respond, delete_modal(opened[1]))


async def open_resize(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    client: AsyncWebClient,
    services: Services,
) -> None:
    await ack()
    opened = await _opening(services, body, context, respond, "resize")
    if opened is None:
        return
    target, modal = opened
    choices, current = await servers.resize_choices(services, target)
    hint = None
    caps = target.provider.capabilities
    if caps.resize_requires_off and target.row.status != "stopped":
        hint = (
            f"{caps.display_name} resizes only powered-off servers: shut the server "
            "down first. The disk grows too, which cannot be undone."
        )
    await _open(client, body, respond, resize_modal(modal, choices, current=current, hint=hint))


async def open_rebuild(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    client: AsyncWebClient,
    services: Services,
) -> None:
    await ack()
    opened = await _opening(services, body, context, respond, "rebuild")
    if opened is None:
        return
    target, modal = opened
    password = target.provider.capabilities.rebuild_password
    # open at once (the trigger expires in 3 s), then fill in the provider's images
    view_id = await _open(client, body, respond, rebuild_modal(modal, None, password=password))
    if view_id is None:
        return
    view: View
    try:
        images = await servers.images_for(target)
        view = rebuild_modal(
            modal, images, password=password, current_image=target.row.configuration.get("image")
        )
    except ProviderError as exc:
        view = message_modal("Rebuild server", f":x: {exc.user_message()}")
    try:
        await client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        log.info("rebuild modal %s not updated: %s", view_id, slack_error(exc))


# ---------------------------------------------------------------------- modals: submit

Check = Callable[[servers.Target], Awaitable[tuple[str, str] | None]]


async def _submitted(
    services: Services,
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    action: str,
    check: Check,
    **params: Any,
) -> None:
    """Authorize, validate (``check`` → (block_id, error) or None), close, execute."""
    team_id, user_id = team_and_user(context)
    instance_id, channel = ModalTarget.decode(view_of(body).get("private_metadata"))
    try:
        target = await servers.authorize(services, instance_id, team_id, user_id, action)
    except Refusal as refusal:
        await ack()
        await tell(client, channel, user_id, refusal.message)
        return
    problem = await check(target)
    if problem is not None:
        await ack(response_action="errors", errors={problem[0]: problem[1]})
        return
    await ack()
    try:
        outcome = await servers.execute(
            services,
            instance_id=target.row.id,
            team_id=team_id,
            user_id=user_id,
            action=action,
            **params,
        )
    except Refusal as refusal:
        await tell(client, channel, user_id, refusal.message)
        return
    if outcome.password:
        # the password first: nothing after this may stand between it and the user
        await tell(
            client,
            channel,
            user_id,
            f":key: New root password for *{outcome.label}*: `{outcome.password}`\n"
            "Shown only to you, only this once; vpsbot does not keep it.",
        )
    icon = ":white_check_mark:" if outcome.ok else ":x:"
    await tell(client, channel, user_id, f"{icon} {outcome.message}")


async def delete_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Delete, once the label typed matches the server's."""
    typed_label = typed(state_values(body), "confirm_label", "label").strip()

    async def check(target: servers.Target) -> tuple[str, str] | None:
        if typed_label != target.row.label:
            return "confirm_label", f"Type {target.row.label} exactly to delete it."
        return None

    await _submitted(services, ack, body, context, client, "delete", check)


async def resize_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    plan_id = selected(state_values(body), "plan", ACTION_RESIZE_PLAN)

    async def check(target: servers.Target) -> tuple[str, str] | None:
        try:
            await servers.resize_plan(services, target, plan_id)
        except Refusal as refusal:
            return "plan", refusal.message
        return None

    await _submitted(services, ack, body, context, client, "resize", check, plan_id=plan_id)


async def rebuild_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    values = state_values(body)
    image = selected(values, "image", ACTION_REBUILD_IMAGE)
    password = typed(values, "password", "password") or None

    async def check(target: servers.Target) -> tuple[str, str] | None:
        if not image:
            return "image", "Choose an image."
        if password and target.provider.capabilities.rebuild_password:
            problem = target.provider.password_error(password)
            if problem:
                return "password", f"The password {problem}."
        return None

    await _submitted(
        services, ack, body, context, client, "rebuild", check, image=image, root_password=password
    )


async def message_closed(ack: AsyncAck) -> None:
    await ack()


# ---------------------------------------------------------------------- external selects


async def _target_for_options(
    services: Services, body: dict[str, Any], context: AsyncBoltContext, action: str
) -> servers.Target | None:
    team_id, user_id = team_and_user(context)
    instance_id, _ = ModalTarget.decode(view_of(body).get("private_metadata"))
    try:
        return await servers.authorize(services, instance_id, team_id, user_id, action)
    except Refusal:
        return None


def _query(body: dict[str, Any]) -> str:
    value = body.get("value")
    return value.lower() if isinstance(value, str) else ""


async def image_options_load(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, services: Services
) -> None:
    target = await _target_for_options(services, body, context, "rebuild")
    if target is None:
        await ack(options=[])
        return
    try:
        images = await servers.images_for(target)
    except ProviderError:
        await ack(options=[])
        return
    await ack(option_groups=image_option_groups(images, _query(body)))


async def plan_options_load(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, services: Services
) -> None:
    target = await _target_for_options(services, body, context, "resize")
    if target is None:
        await ack(options=[])
        return
    choices, _ = await servers.resize_choices(services, target)
    query = _query(body)
    options: list[Option] = [
        plan_option(p) for p in choices if query in f"{p.name} {p.summary()}".lower()
    ][:MAX_OPTIONS]
    await ack(options=[o.to_dict() for o in options])


def register(app: AsyncApp) -> None:
    """Wire the server listeners (the `/vps` words are in :data:`SUBCOMMANDS`)."""
    app.action(ACTION_LIST_PROVIDER)(filter_by_provider)
    app.action(ACTION_LIST_STATUS)(filter_by_status)
    app.action(re.compile(f"^({ACTION_LIST_PREV}|{ACTION_LIST_NEXT})$"))(page)
    app.action(re.compile(f"^({ACTION_DETAILS}|{ACTION_REFRESH})$"))(show_details)
    app.action(_DIRECT)(direct_action)
    app.action(ACTION_DELETE)(open_delete)
    app.action(ACTION_RESIZE)(open_resize)
    app.action(ACTION_REBUILD)(open_rebuild)
    app.view(CALLBACK_DELETE)(delete_submitted)
    app.view(CALLBACK_RESIZE)(resize_submitted)
    app.view(CALLBACK_REBUILD)(rebuild_submitted)
    app.view(CALLBACK_MESSAGE)(message_closed)
    app.options(ACTION_REBUILD_IMAGE)(image_options_load)
    app.options(ACTION_RESIZE_PLAN)(plan_options_load)
