"""The server listeners called directly: a fake ``ack``/``respond``/Slack client and
a real :class:`Services` on the test database (no provider is ever reached: the
provider's API URL is a closed port, and every case here stops before a call).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from unittest.mock import AsyncMock

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core.services import Services
from bot.servers import listeners, modal_listeners, option_listeners
from bot.servers.modals import CALLBACK_DELETE, ModalTarget
from db.models import ServiceProvider, VpsInstance
from tests.bot.conftest import MEMBER, TEAM, context

JSON = dict[str, Any]
OWNER = "UOWNER01"


async def add_server(services: Services, *, label: str = "web-1", owner: str = OWNER) -> str:
    async with services.db.session() as session, session.begin():
        provider = ServiceProvider(
            name=f"linode-{uuid.uuid4().hex[:6]}",
            type="linode",
            api_key_encrypted=services.box.encrypt("linode-token"),
            configuration={"api_url": "http://127.0.0.1:9"},
        )
        session.add(provider)
        await session.flush()
        row = VpsInstance(
            label=label,
            status="running",
            team_id=TEAM,
            created_by=owner,
            provider_id=provider.id,
            provider_type="linode",
            provider_instance_id="4711",
            region="us-east",
            configuration={"plan": "g6-nanode-1"},
        )
        session.add(row)
        await session.flush()
        return str(row.id)


def command(text: str, user: str = OWNER) -> JSON:
    return {"team_id": TEAM, "user_id": user, "text": text, "trigger_id": "1.2.t"}


def pressed(action_id: str, value: Any, **extra: Any) -> JSON:
    return {
        "type": "block_actions",
        "trigger_id": "1.2.t",
        "actions": [{"action_id": action_id, "block_id": "b", "value": value}],
        **extra,
    }


async def test_list_answers_with_the_workspaces_servers_only(services: Services) -> None:
    await add_server(services, label="mine-1")
    ack = AsyncMock()
    await listeners.list_command(services, command(""), "", ack, AsyncMock(), AsyncMock())
    answer = ack.await_args.kwargs
    assert answer["response_type"] == "ephemeral"
    assert "mine-1" in str(answer["blocks"])
    other = AsyncMock()
    await listeners.list_command(
        services, {**command(""), "team_id": "TOTHER"}, "", other, AsyncMock(), AsyncMock()
    )
    assert "mine-1" not in str(other.await_args.kwargs)


async def test_show_with_an_unknown_long_label_quotes_it_short(services: Services) -> None:
    ack = AsyncMock()
    label = "x" * 5000 + "`"
    await listeners.show_command(services, command(f"show {label}"), label, ack, None, None)  # type: ignore[arg-type]
    text = ack.await_args.kwargs["text"]
    assert "No server named" in text and len(text) < 300


async def test_show_offers_buttons_only_to_the_owner(services: Services) -> None:
    await add_server(services, label="shown-1")
    owner, member = AsyncMock(), AsyncMock()
    await listeners.show_command(services, command("show shown-1"), "shown-1", owner, None, None)  # type: ignore[arg-type]
    await listeners.show_command(
        services,
        command("show shown-1", MEMBER),
        "shown-1",
        member,
        None,
        None,  # type: ignore[arg-type]
    )
    assert "vps_act_reboot" in str(owner.await_args.kwargs["blocks"])
    assert "vps_act_reboot" not in str(member.await_args.kwargs["blocks"])
    assert f"<@{OWNER}>" in str(member.await_args.kwargs["blocks"])


async def test_a_member_pressing_reboot_on_someone_elses_server_is_refused(
    services: Services,
) -> None:
    server = await add_server(services)
    ack, respond = AsyncMock(), AsyncMock()
    await listeners.direct_action(
        ack, pressed("vps_act_reboot", server), context(MEMBER), respond, services
    )
    ack.assert_awaited_once()
    assert "Only <@UOWNER01> or a vpsbot admin" in respond.await_args.kwargs["text"]
    async with services.db.session() as session:
        row = await session.get(VpsInstance, uuid.UUID(server))
    assert row is not None and row.status == "running"  # nothing was asked of the provider


@pytest.mark.parametrize(
    "listener",
    [
        listeners.show_details,
        listeners.filter_changed,
        listeners.page,
    ],
)
async def test_actions_without_actions_are_answered(
    services: Services, listener: Callable[..., Awaitable[None]]
) -> None:
    ack, respond = AsyncMock(), AsyncMock()
    await listener(ack, {"type": "block_actions"}, context(OWNER), respond, services)
    ack.assert_awaited_once()


async def test_delete_opens_the_confirmation_for_the_owner(
    services: Services, client: AsyncMock
) -> None:
    server = await add_server(services, label="to-go")
    ack, respond = AsyncMock(), AsyncMock()
    body = pressed("vps_delete", server, channel={"id": "C1"})
    await modal_listeners.open_delete(ack, body, context(OWNER), respond, client, services)
    view = client.views_open.await_args.kwargs["view"]
    assert view.callback_id == CALLBACK_DELETE
    assert ModalTarget.decode(view.private_metadata) == (server, "C1")


async def test_an_expired_trigger_is_told_not_swallowed(
    services: Services, client: AsyncMock
) -> None:
    server = await add_server(services)
    client.views_open.side_effect = SlackApiError(
        "expired",
        AsyncSlackResponse(
            client=client,
            http_verb="POST",
            api_url="views.open",
            req_args={},
            data={"ok": False, "error": "expired_trigger_id"},
            headers={},
            status_code=200,
        ),
    )
    respond = AsyncMock()
    await modal_listeners.open_delete(
        AsyncMock(), pressed("vps_delete", server), context(OWNER), respond, client, services
    )
    assert "did not open" in respond.await_args.kwargs["text"]


async def test_delete_with_the_wrong_label_is_refused_at_the_field(
    services: Services, client: AsyncMock
) -> None:
    server = await add_server(services, label="keep-me")
    ack = AsyncMock()
    body = {
        "type": "view_submission",
        "view": {
            "id": "V1",
            "callback_id": CALLBACK_DELETE,
            "private_metadata": ModalTarget(server, "keep-me").encode(),
            "state": {"values": {"confirm_label": {"label": {"value": "keep-you"}}}},
        },
    }
    await modal_listeners.delete_submitted(ack, body, context(OWNER), client, services)
    assert ack.await_args.kwargs == {
        "response_action": "errors",
        "errors": {"confirm_label": "Type keep-me exactly to delete it."},
    }


async def test_a_submission_without_a_view_is_refused_quietly(
    services: Services, client: AsyncMock
) -> None:
    ack = AsyncMock()
    await modal_listeners.delete_submitted(
        ack, {"type": "view_submission"}, context(OWNER), client, services
    )
    ack.assert_awaited_once_with()
    # the refusal goes to the user's DM (no channel in the metadata); nothing else
    assert client.chat_postEphemeral.await_args.kwargs["text"].startswith("That server")


async def test_option_loads_for_a_server_of_another_workspace_are_empty(
    services: Services,
) -> None:
    server = await add_server(services)
    ack = AsyncMock()
    body = {"view": {"private_metadata": ModalTarget(server, "x").encode()}, "value": ""}
    await option_listeners.plan_options_load(ack, body, context(OWNER, team="TOTHER"), services)
    ack.assert_awaited_once_with(options=[])
