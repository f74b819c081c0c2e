"""`/vps list`, `/vps show` and the server action buttons and modals.

Thin Slack glue: reading and acting live in :mod:`bot.servers.service`, views in
:mod:`bot.servers.views`. Everything answered here is ephemeral. The team and
user always come from the payload; instance ids in buttons and private_metadata
are re-checked by :func:`bot.servers.service.authorize` on every use.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, Option
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.access import Refusal
from bot.core.services import Services
from bot.create.views import image_options, plan_option
from bot.help.listeners import subcommands
from bot.servers import service as servers
from bot.servers.views import (
    ACTION_BUTTON_PREFIX,
    ACTION_DELETE,
    ACTION_DETAILS,
    ACTION_LIST_NEXT,
    ACTION_LIST_PREV,
    ACTION_LIST_PROVIDER,
    ACTION_LIST_STATUS,
    ACTION_REBUILD,
    ACTION_REBUILD_IMAGE,
    ACTION_REFRESH,
    ACTION_RESIZE,
    ACTION_RESIZE_PLAN,
    CALLBACK_DELETE,
    CALLBACK_REBUILD,
    CALLBACK_RESIZE,
    PAGE_SIZE,
    ListState,
    ModalTarget,
    delete_modal,
    details_message,
    list_message,
    message_modal,
    rebuild_modal,
    resize_modal,
)
from providers.errors import ProviderError

__all__ = ["register"]

log = logging.getLogger(__name__)

_GONE = "That server does not exist in this workspace."
_DIRECT = re.compile(
    "^" + re.escape(ACTION_BUTTON_PREFIX) + "(power_on|shutdown|power_off|reboot|power_cycle)$"
)


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    return str(team), str(user.get("id", ""))


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    first = actions[0]
    return first if isinstance(first, dict) else {}


def _channel(body: dict[str, Any]) -> str | None:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return str(channel) if channel else None


def _selected(values: dict[str, Any], block_id: str, action_id: str) -> str | None:
    entry = (values.get(block_id) or {}).get(action_id) or {}
    option = entry.get("selected_option") or {}
    value = option.get("value")
    return value if isinstance(value, str) else None


def _typed(values: dict[str, Any], block_id: str, action_id: str) -> str:
    value = ((values.get(block_id) or {}).get(action_id) or {}).get("value")
    return value if isinstance(value, str) else ""


async def _say(respond: AsyncRespond, text: str) -> None:
    """One ephemeral line, below the message the user clicked in."""
    await respond(text=text, response_type="ephemeral", replace_original=False)


async def _tell(client: AsyncWebClient, channel: str | None, user_id: str, text: str) -> None:
    """One ephemeral line after a modal (no response_url): the channel, else the DM."""
    for target in (channel, user_id):
        if not target:
            continue
        try:
            await client.chat_postEphemeral(channel=target, user=user_id, text=text)
            return
        except SlackApiError as exc:
            log.warning("cannot tell %s in %s: %s", user_id, target, exc.response["error"])


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
    instance_id: str | None,
    note: str | None = None,
) -> tuple[str, list[Block]] | None:
    try:
        parsed = uuid.UUID(instance_id or "")
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


def register(app: AsyncApp, services: Services) -> None:
    # ------------------------------------------------------------------ commands
    async def list_command(
        services: Services,
        command: dict[str, Any],
        rest: str,
        ack: AsyncAck,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        state = servers.parse_list_text(rest)
        text, blocks = await _list(services, str(command.get("team_id", "")), state)
        await ack(response_type="ephemeral", text=text, blocks=blocks)

    async def show_command(
        services: Services,
        command: dict[str, Any],
        rest: str,
        ack: AsyncAck,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        label = rest.strip()
        if not label:
            await ack(response_type="ephemeral", text="Usage: `/vps show <label>`")
            return
        team_id, user_id = str(command.get("team_id", "")), str(command.get("user_id", ""))
        found = await servers.find_by_label(services, team_id, label)
        if not found:
            await ack(
                response_type="ephemeral",
                text=f"No server named `{label[:64]}` in this workspace. "
                "See `/vps list` for yours.",
            )
            return
        note = None
        if len(found) > 1:
            note = (
                f"{len(found)} servers are named `{label[:64]}`; this is the newest. "
                f"`/vps list {label[:64]}` shows them all."
            )
        message = await _details(services, team_id, user_id, str(found[0]), note)
        if message is None:
            await ack(response_type="ephemeral", text=_GONE)
            return
        text, blocks = message
        await ack(response_type="ephemeral", text=text, blocks=blocks)

    subcommands["list"] = list_command
    subcommands["show"] = show_command

    # ------------------------------------------------------------------ list
    async def rerender(body: dict[str, Any], respond: AsyncRespond, state: ListState) -> None:
        team_id, _ = _who(body)
        text, blocks = await _list(services, team_id, state)
        await respond(text=text, blocks=blocks, replace_original=True)

    def _choice(action: dict[str, Any]) -> str | None:
        value = (action.get("selected_option") or {}).get("value")
        return None if value in (None, "all") else str(value)

    @app.action(ACTION_LIST_PROVIDER)
    async def provider_filter(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = _action(body)
        state = ListState.from_block_id(action.get("block_id"))
        await rerender(body, respond, ListState.clean(_choice(action), state.status, state.text))

    @app.action(ACTION_LIST_STATUS)
    async def status_filter(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = _action(body)
        state = ListState.from_block_id(action.get("block_id"))
        await rerender(body, respond, ListState.clean(state.provider, _choice(action), state.text))

    @app.action(re.compile(f"^({ACTION_LIST_PREV}|{ACTION_LIST_NEXT})$"))
    async def page(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await rerender(body, respond, ListState.decode(_action(body).get("value")))

    # ------------------------------------------------------------------ details
    @app.action(re.compile(f"^({ACTION_DETAILS}|{ACTION_REFRESH})$"))
    async def show_details(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        team_id, user_id = _who(body)
        action = _action(body)
        message = await _details(services, team_id, user_id, action.get("value"))
        if message is None:
            await _say(respond, _GONE)
            return
        text, blocks = message
        await respond(
            text=text,
            blocks=blocks,
            response_type="ephemeral",
            replace_original=action.get("action_id") == ACTION_REFRESH,
        )

    # ------------------------------------------------------------------ direct actions
    @app.action(_DIRECT)
    async def direct(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        team_id, user_id = _who(body)
        action = _action(body)
        name = str(action.get("action_id", "")).removeprefix(ACTION_BUTTON_PREFIX)
        instance_id = action.get("value")
        try:
            outcome = await servers.execute(
                services, instance_id=instance_id, team_id=team_id, user_id=user_id, action=name
            )
        except Refusal as refusal:
            await _say(respond, str(refusal))
            return
        if not outcome.ok:
            await _say(respond, f":x: {outcome.message}")
            return
        message = await _details(
            services, team_id, user_id, instance_id, f":white_check_mark: {outcome.message}"
        )
        if message is None:
            await _say(respond, outcome.message)
            return
        text, blocks = message
        await respond(text=text, blocks=blocks, replace_original=True)

    # ------------------------------------------------------------------ modals: open
    async def open_modal(
        body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, action: str
    ) -> tuple[servers.Target, ModalTarget] | None:
        team_id, user_id = _who(body)
        try:
            target = await servers.authorize(
                services, _action(body).get("value"), team_id, user_id, action
            )
        except Refusal as refusal:
            await _say(respond, str(refusal))
            return None
        return target, ModalTarget(str(target.row.id), target.row.label, _channel(body))

    @app.action(ACTION_DELETE)
    async def open_delete(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        opened = await open_modal(body, respond, client, "delete")
        if opened is not None:
            await client.views_open(trigger_id=body["trigger_id"], view=delete_modal(opened[1]))

    @app.action(ACTION_RESIZE)
    async def open_resize(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        opened = await open_modal(body, respond, client, "resize")
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
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=resize_modal(modal, choices, current=current, hint=hint),
        )

    @app.action(ACTION_REBUILD)
    async def open_rebuild(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        opened = await open_modal(body, respond, client, "rebuild")
        if opened is None:
            return
        target, modal = opened
        password = target.provider_type in servers.REBUILD_PASSWORD_TYPES
        # open at once (the trigger expires in 3 s), then fill in the provider's images
        shown = await client.views_open(
            trigger_id=body["trigger_id"], view=rebuild_modal(modal, None, password=password)
        )
        view_id = shown["view"]["id"]
        view: View
        try:
            images = await servers.images_for(target)
            view = rebuild_modal(
                modal,
                images,
                password=password,
                current_image=target.row.configuration.get("image"),
            )
        except ProviderError as exc:
            view = message_modal("Rebuild server", f":x: {exc.user_message()}")
        try:
            await client.views_update(view_id=view_id, view=view)
        except SlackApiError as exc:
            log.info("rebuild modal %s not updated: %s", view_id, exc.response["error"])

    # ------------------------------------------------------------------ modals: submit
    async def submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        action: str,
        check: Callable[[servers.Target], Awaitable[tuple[str, str] | None]],
        **params: Any,
    ) -> None:
        """Authorize, validate (``check`` → (block_id, error) or None), close, execute."""
        team_id, user_id = _who(body)
        instance_id, channel = ModalTarget.decode(body["view"].get("private_metadata"))
        try:
            target = await servers.authorize(services, instance_id, team_id, user_id, action)
        except Refusal as refusal:
            await ack()
            await _tell(client, channel, user_id, str(refusal))
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
            await _tell(client, channel, user_id, str(refusal))
            return
        icon = ":white_check_mark:" if outcome.ok else ":x:"
        await _tell(client, channel, user_id, f"{icon} {outcome.message}")
        if outcome.password:
            await _tell(
                client,
                channel,
                user_id,
                f":key: New root password for *{outcome.label}*: `{outcome.password}`\n"
                "Shown only to you, only this once; vpsbot does not keep it.",
            )

    @app.view(CALLBACK_DELETE)
    async def delete_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        typed = _typed(body["view"]["state"]["values"], "confirm_label", "label").strip()

        async def check(target: servers.Target) -> tuple[str, str] | None:
            if typed != target.row.label:
                return "confirm_label", f"Type {target.row.label} exactly to delete it."
            return None

        await submitted(ack, body, client, "delete", check)

    @app.view(CALLBACK_RESIZE)
    async def resize_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        plan_id = _selected(body["view"]["state"]["values"], "plan", ACTION_RESIZE_PLAN)

        async def check(target: servers.Target) -> tuple[str, str] | None:
            try:
                await servers.resize_plan(services, target, plan_id)
            except Refusal as refusal:
                return "plan", str(refusal)
            return None

        await submitted(ack, body, client, "resize", check, plan_id=plan_id)

    @app.view(CALLBACK_REBUILD)
    async def rebuild_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        values = body["view"]["state"]["values"]
        image = _selected(values, "image", ACTION_REBUILD_IMAGE)
        password = _typed(values, "password", "password") or None

        async def check(target: servers.Target) -> tuple[str, str] | None:
            if not image:
                return "image", "Choose an image."
            if password and target.provider_type in servers.REBUILD_PASSWORD_TYPES:
                problem = target.provider.password_error(password)
                if problem:
                    return "password", f"The password {problem}."
            return None

        await submitted(ack, body, client, "rebuild", check, image=image, root_password=password)

    @app.view(re.compile("^vps_server_message$"))
    async def message_closed(ack: AsyncAck) -> None:
        await ack()

    # ------------------------------------------------------------------ external selects
    @app.options(ACTION_REBUILD_IMAGE)
    async def image_options_load(ack: AsyncAck, body: dict[str, Any]) -> None:
        team_id, user_id = _who(body)
        instance_id, _ = ModalTarget.decode((body.get("view") or {}).get("private_metadata"))
        try:
            target = await servers.authorize(services, instance_id, team_id, user_id, "rebuild")
            images = await servers.images_for(target)
        except (Refusal, ProviderError):
            await ack(options=[])
            return
        query = str(body.get("value") or "").lower()
        matching = [i for i in images if query in f"{i.name} {i.distribution} {i.version}".lower()]
        groups = []
        budget = 100
        for group in image_options(matching):
            if budget <= 0:
                break
            group.options = (group.options or [])[:budget]
            budget -= len(group.options)
            groups.append(group.to_dict())
        await ack(option_groups=groups)

    @app.options(ACTION_RESIZE_PLAN)
    async def plan_options_load(ack: AsyncAck, body: dict[str, Any]) -> None:
        team_id, user_id = _who(body)
        instance_id, _ = ModalTarget.decode((body.get("view") or {}).get("private_metadata"))
        try:
            target = await servers.authorize(services, instance_id, team_id, user_id, "resize")
        except Refusal:
            await ack(options=[])
            return
        choices, _ = await servers.resize_choices(services, target)
        query = str(body.get("value") or "").lower()
        options: list[Option] = [
            plan_option(p) for p in choices if query in f"{p.name} {p.summary()}".lower()
        ][:100]
        await ack(options=[o.to_dict() for o in options])
