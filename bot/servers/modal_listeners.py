"""The server action modals: open them from a button, read what was submitted.

Rebuild, resize and delete ask for input or a typed confirmation, so each opens
a modal (:mod:`bot.servers.modals`); the submission is authorized again from
Bolt's context and ``private_metadata``'s server id, which is only a hint.
Wired by :func:`bot.servers.listeners.register`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.blocks import esc
from bot.core.errors import Refusal
from bot.core.services import Services
from bot.core.slack import (
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
from bot.servers import operations, resize
from bot.servers.modals import (
    ACTION_REBUILD_IMAGE,
    ACTION_RESIZE_PLAN,
    ModalTarget,
    delete_modal,
    message_modal,
    rebuild_modal,
    resize_modal,
)
from bot.servers.shown import refresh_at
from providers.errors import ProviderError

__all__ = [
    "authorized",
    "delete_submitted",
    "message_closed",
    "open_delete",
    "open_rebuild",
    "open_resize",
    "rebuild_submitted",
    "resize_submitted",
    "server_of",
]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------- modals: open


async def _opening(
    services: Services,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    action: str,
) -> tuple[operations.Target, ModalTarget] | None:
    """The server a modal button is about, if the user may do ``action`` to it now."""
    target = await authorized(services, body, context, respond, action)
    if target is None:
        return None
    reply = body.get("response_url")
    return target, ModalTarget(
        str(target.row.id),
        target.row.label,
        channel_of(body),
        response_url=reply if isinstance(reply, str) else None,
    )


async def authorized(
    services: Services,
    body: dict[str, Any],
    context: AsyncBoltContext,
    respond: AsyncRespond,
    action: str,
) -> operations.Target | None:
    """The server a button or a menu option is about, if the user may do ``action``
    to it now; else None, the refusal said below the message."""
    team_id, user_id = team_and_user(context)
    try:
        return await operations.authorize(
            services, server_of(first_action(body)), team_id, user_id, action
        )
    except Refusal as refusal:
        await say(respond, refusal.message)
        return None


def server_of(action: dict[str, Any]) -> str | None:
    """The server id a button (its value) or a menu option (``<action>:<id>``) is about."""
    value = action.get("value")
    option = action.get("selected_option")
    if isinstance(option, dict) and isinstance(option.get("value"), str):
        value = str(option["value"]).partition(":")[2]
    return value if isinstance(value, str) else None


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
    choices, current = await resize.choices(
        services, target.row, target.provider_row.id, target.provider
    )
    hint = None
    caps = target.provider.capabilities
    if caps.resize_requires_off and target.row.status != "stopped":
        hint = (
            f"{caps.display_name} resizes only powered-off servers: shut the server "
            "down first. The disk grows too, which cannot be undone."
        )
    await _open(
        client,
        body,
        respond,
        resize_modal(
            modal,
            choices,
            current=current,
            hint=hint,
            region=target.row.region,
            charged=resize.current_price(target.row, current),
            backups=resize.backups_on(target.row),
        ),
    )


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
        images = await operations.images_for(target)
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

Check = Callable[[operations.Target], Awaitable[tuple[str, str] | None]]


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
        target = await operations.authorize(services, instance_id, team_id, user_id, action)
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
        outcome = await operations.execute(
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
            f":key: New root password for *{esc(outcome.label)}*: `{outcome.password}`\n"
            "Shown only to you, only this once; vpsbot does not keep it.",
        )
    icon = ":white_check_mark:" if outcome.ok else ":x:"
    await tell(client, channel, user_id, f"{icon} {outcome.message}")
    await refresh_at(
        services,
        ModalTarget.reply_to(view_of(body).get("private_metadata")),
        team_id,
        user_id,
        str(target.row.id),
        f"{icon} {outcome.message}",
    )


async def delete_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Delete, once the label typed matches the server's."""
    typed_label = typed(state_values(body), "confirm_label", "label").strip()

    async def check(target: operations.Target) -> tuple[str, str] | None:
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

    async def check(target: operations.Target) -> tuple[str, str] | None:
        """The plan offered, and within the owner's budgets (said at the field; an
        approval the resize needs is asked for on submission)."""
        try:
            plan = await resize.plan_for(
                services, target.row, target.provider_row.id, plan_id, target.provider
            )
            async with services.db.session() as session:
                await resize.judge(session, target.row, plan, lock=False)
        except Refusal as refusal:
            return "plan", refusal.message
        except resize.NeedsApproval:
            return None
        return None

    channel = ModalTarget.decode(view_of(body).get("private_metadata"))[1]
    await _submitted(
        services,
        ack,
        body,
        context,
        client,
        "resize",
        check,
        plan_id=plan_id,
        channel_id=channel,
    )


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

    async def check(target: operations.Target) -> tuple[str, str] | None:
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
