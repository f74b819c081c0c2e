"""The create listeners called directly: fake ``ack``/``respond``/client, a real
:class:`Services` on the test database. The whole modal is walked end to end in
tests/e2e; here are the edges a person (or a forger) reaches in one request."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import AsyncMock

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core.services import Services
from bot.create import catalog, listeners
from bot.create.draft import Draft
from bot.create.drafts import DraftState, save_draft
from bot.create.views import CALLBACK_PREFIX, view_for
from bot.create.wizard import first_view
from db.models import ServiceProvider
from tests.bot.conftest import MEMBER, TEAM, context

JSON = dict[str, Any]
OWNER = "UOWNER01"


async def add_provider(services: Services) -> None:
    async with services.db.session() as session, session.begin():
        session.add(
            ServiceProvider(
                name="sandbox-linode",
                type="linode",
                api_key_encrypted=services.box.encrypt("linode-token"),
                configuration={"api_url": "http://127.0.0.1:9"},
            )
        )


def command(text: str = "") -> JSON:
    return {
        "team_id": TEAM,
        "user_id": OWNER,
        "channel_id": "C0001",
        "text": f"create {text}",
        "trigger_id": "1.2.t",
    }


def slack_error(client: AsyncMock, error: str) -> SlackApiError:
    return SlackApiError(
        error,
        AsyncSlackResponse(
            client=client,
            http_verb="POST",
            api_url="views.open",
            req_args={},
            data={"ok": False, "error": error},
            headers={},
            status_code=200,
        ),
    )


async def test_without_a_provider_the_user_is_told_whom_to_ask(
    services: Services, client: AsyncMock
) -> None:
    respond = AsyncMock()
    await listeners.create_command(services, command(), "", AsyncMock(), respond, client)
    assert "ask a vpsbot admin" in respond.await_args.kwargs["text"]
    client.views_open.assert_not_awaited()


async def test_the_label_goes_into_step_1_as_data_whatever_it_spells(
    services: Services, client: AsyncMock
) -> None:
    await add_provider(services)
    label = '"},"private_metadata":"x'  # would break a view patched as text
    await listeners.create_command(
        services, command(label), label, AsyncMock(), AsyncMock(), client
    )
    view = client.views_open.await_args.kwargs["view"].to_dict()
    block = next(b for b in view["blocks"] if b.get("block_id") == "label")
    assert block["element"]["initial_value"] == label
    assert json.loads(view["private_metadata"]) == {"channel": "C0001"}


@pytest.mark.parametrize("label", ["web-1", "", 'a"}]}', "ünïcode ✓", "\\u0000"])
async def test_step_1_is_the_plan_step_with_the_label_and_channel_put_in(
    services: Services, client: AsyncMock, label: str
) -> None:
    await add_provider(services)
    rows = await catalog.active_providers(services, TEAM)
    data, _, _ = await catalog.gather(services, Draft(), "plan", team_id=TEAM, rows=rows)
    expected = view_for("plan", data).to_dict()
    for block in expected["blocks"]:
        if block.get("block_id") == "label" and label:
            block["element"]["initial_value"] = label
    expected["private_metadata"] = json.dumps({"channel": "C0042"})
    sent, _ = await first_view(services, rows, label, "C0042", TEAM)
    assert sent.to_dict() == expected


async def test_an_expired_trigger_tells_the_user_to_try_again(
    services: Services, client: AsyncMock
) -> None:
    await add_provider(services)
    client.views_open.side_effect = slack_error(client, "expired_trigger_id")
    respond = AsyncMock()
    await listeners.create_command(services, command(), "", AsyncMock(), respond, client)
    assert "Run `/vps create` again" in respond.await_args.kwargs["text"]


async def test_someone_elses_draft_is_expired_for_them(
    services: Services, client: AsyncMock
) -> None:
    await save_draft(
        services,
        DraftState("VDRAFT1", TEAM, OWNER, "C0001", "plan", Draft(label="theirs")),
        "deployment",
    )
    ack = AsyncMock()
    body = {
        "type": "view_submission",
        "view": {
            "id": "VDRAFT1",
            "callback_id": CALLBACK_PREFIX + "deployment",
            "state": {"values": {}},
        },
    }
    await listeners.step_submitted(ack, body, context(MEMBER), client, services)
    shown = ack.await_args.kwargs
    assert shown["response_action"] == "update"
    assert "expired or belongs to someone else" in json.dumps(shown["view"].to_dict())


@pytest.mark.parametrize(
    "body",
    [
        {"type": "view_submission"},
        {"type": "view_submission", "view": "not a view"},
        {"type": "view_submission", "view": {"id": 7, "callback_id": CALLBACK_PREFIX + "plan"}},
    ],
)
async def test_a_submission_without_a_usable_view_is_answered(
    services: Services, client: AsyncMock, body: JSON
) -> None:
    ack = AsyncMock()
    await listeners.step_submitted(ack, body, context(OWNER), client, services)
    ack.assert_awaited_once()


async def test_actions_and_option_loads_without_a_view_do_nothing_harmful(
    services: Services, client: AsyncMock
) -> None:
    ack = AsyncMock()
    await listeners.modal_action(ack, {"type": "block_actions"}, context(OWNER), client, services)
    ack.assert_awaited_once_with()
    client.views_update.assert_not_awaited()
    options = AsyncMock()
    await listeners.image_options_load(options, {"value": "ubu"}, context(OWNER), services)
    options.assert_awaited_once_with(options=[])
