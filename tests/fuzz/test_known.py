"""What the fuzz suite found, one case each, pinned down (issue 10): every one is
fixed now, and these keep it so. A new finding goes here first (as a strict
``xfail`` while it is open, with its signature in ``tests/fuzz/known.py``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fuzz.stack import ADMIN, TEAM, USER, Stack
from tests.fuzz.stack import state_value as sv


async def _clean(stack: Stack, send: Any, what: str) -> Any:
    """The response, failing on a 5xx or any logged error, known or not."""
    return await stack.exchange(send, what, tolerate_known=False)


def _payload(kind: str, user: Any = USER, team: Any = TEAM, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "team": {"id": team},
        "user": {"id": user, "team_id": team} if isinstance(user, str) else user,
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        **fields,
    }


def _admin_texts(stack: Stack, after: int) -> list[str]:
    """Slack calls after ``after`` that show the admin home (providers and their API URLs)."""
    return [
        str(c.args)
        for c in stack.api.calls[after:]
        if "Add provider" in str(c.args) or stack.bot.sandbox.linode_url in str(c.args)
    ]


# ---------------------------------------------------------------------------- already right


async def test_signed_garbage_envelopes_are_refused_at_the_edge(stack: Stack) -> None:
    """Fixed at the edge (bot/app/guard.py): Bolt itself crashed on these."""
    for payload in (
        _payload("block_actions", actions=[]),
        _payload("block_actions", actions=[{"value": "1"}]),
        _payload("view_submission", view="V1"),
        _payload("view_closed", view={"callback_id": 7}),
        _payload("view_submission", view={"id": "V1", "callback_id": "vps_create:plan"}),
    ):
        response = await _clean(stack, lambda p=payload: stack.slack.send_payload(p), str(payload))
        assert response.status == 400


# ---------------------------------------------------------------------------- to fix (lead)


async def test_a_nul_in_list_or_show_text_gets_a_clear_answer(stack: Stack) -> None:
    for text in ("list \x00", "show web\x00"):
        response = await _clean(stack, lambda t=text: stack.slack.command("/vps", t), text)
        assert response.status == 200
        assert response.data.get("response_type") == "ephemeral"


async def test_a_nul_in_the_label_field_never_reaches_the_draft(stack: Stack) -> None:
    values = {
        "label": {"label": sv.plain_text("web\x00")},
        "provider": {"create_provider": sv.static_select(stack.bot.provider_id("linode"))},
        "plan": {"create_plan": sv.static_select("g6-nanode-1")},
        "region": {"region": sv.static_select("us-east")},
    }
    view = dict(stack.seeded_views[stack.create_view_id])
    response = await _clean(
        stack,
        lambda: stack.slack.view_submission(view, values, apply_to_api=False),
        "label with a NUL",
    )
    assert response.status == 200  # the NUL is dropped before any listener sees it
    assert "\\u0000" not in json.dumps(response.data)


@pytest.mark.parametrize(
    "length",
    [
        2950,
        3000,
        10000,
    ],
)
async def test_a_very_long_command_word_gets_help(stack: Stack, length: int) -> None:
    text = "x" * length
    response = await _clean(stack, lambda: stack.slack.command("/vps", text), f"{length}-char word")
    assert response.status == 200
    for block in response.data.get("blocks") or []:
        assert len(str((block.get("text") or {}).get("text", ""))) <= 3000


async def test_a_view_id_that_is_not_text_is_expired(stack: Stack) -> None:
    view = {"id": [], "type": "modal", "callback_id": "vps_create:plan", "state": {"values": {}}}
    payload = _payload("view_submission", view=view)
    response = await _clean(stack, lambda: stack.slack.send_payload(payload), "view id a list")
    assert response.status == 200


async def test_a_create_action_outside_its_modal_is_ignored(stack: Stack) -> None:
    response = await _clean(
        stack,
        lambda: stack.slack.block_action("create_provider", selected_option="x"),
        "create_provider in a message",
    )
    assert response.status == 200


async def test_an_options_load_outside_the_modal_offers_nothing(stack: Stack) -> None:
    response = await _clean(
        stack,
        lambda: stack.slack.block_suggestion("create_plan", "nano"),
        "create_plan options in a message",
    )
    assert response.status == 200
    assert response.data.get("options", []) == []


async def test_a_server_button_without_a_response_url_does_not_fail(stack: Stack) -> None:
    server = str(stack.servers["linode"])
    response = await _clean(
        stack,
        lambda: stack.slack.block_action("vps_refresh", server, view=stack.admin_view_id),
        "vps_refresh in a modal",
    )
    assert response.status == 200


async def test_a_user_that_is_not_an_object_is_refused_quietly(stack: Stack) -> None:
    action = {"action_id": "vps_act_reboot", "block_id": "b", "value": str(stack.servers["linode"])}
    url = stack.api.response_url(channel="C0001")
    payload = _payload("block_actions", actions=[action], response_url=url)
    payload["user"] = USER  # Slack sends an object; Bolt accepts a bare id too
    response = await _clean(stack, lambda: stack.slack.send_payload(payload), "user as a string")
    assert response.status == 200


async def test_a_response_url_that_is_not_a_url_is_not_an_error(stack: Stack) -> None:
    action = {"action_id": "vps_refresh", "block_id": "b", "value": str(stack.servers["linode"])}
    payload = _payload("block_actions", actions=[action], response_url="not a url")
    response = await _clean(stack, lambda: stack.slack.send_payload(payload), "response_url junk")
    assert response.status == 200


async def test_private_metadata_that_is_not_text_is_ignored(stack: Stack) -> None:
    view = {"id": "V0NOPE", "type": "modal", "callback_id": "vps_admin:delete"}
    view |= {"private_metadata": [1, 2], "state": {"values": {}}}
    payload = _payload("view_submission", user=ADMIN, view=view)
    response = await _clean(stack, lambda: stack.slack.send_payload(payload), "metadata a list")
    assert response.status == 200


async def test_a_label_equal_to_the_template_marker_is_just_a_label(stack: Stack) -> None:
    for label in ("@@vpsbot-meta@@", "@@vpsbot-label@@"):
        mark = stack.api.mark()
        response = await _clean(
            stack, lambda t=label: stack.slack.command("/vps", f"create {t}"), label
        )
        assert response.status == 200
        view = (await stack.api.wait_for_call("views.open", after=mark)).response["view"]
        shown = [
            b["element"].get("initial_value")
            for b in view["blocks"]
            if b.get("block_id") == "label"
        ]
        assert shown == [label]
        assert json.loads(view["private_metadata"]) == {"channel": "C0001"}


async def test_a_forged_admin_submission_renders_nothing(stack: Stack) -> None:
    """A member (not an admin) submits the admin delete form, naming their own
    create modal as the admin home: the bot must not draw providers into it."""
    target = stack.create_view_id
    view = {"id": "V0FORGED", "type": "modal", "callback_id": "vps_admin:delete"}
    view |= {"private_metadata": json.dumps({"root": target, "provider": "x"})}
    view |= {"state": {"values": {}}}
    mark = stack.api.mark()
    payload = _payload("view_submission", user=USER, view=view)
    response = await _clean(stack, lambda: stack.slack.send_payload(payload), "forged delete")
    assert response.status == 200
    assert _admin_texts(stack, mark) == []


# ------------------------------------------------------------ found by the nightly profile later


async def test_cost_without_a_response_url_is_not_an_error(stack: Stack) -> None:
    """`/vps cost` answered through ``respond`` directly; an empty response_url raised."""
    response = await _clean(
        stack, lambda: stack.slack.command("/vps", "cost", response_url=" "), "cost, no URL"
    )
    assert response.status == 200


@pytest.mark.parametrize("response_url", [7, ["x"], {"u": 1}])
async def test_a_response_url_that_is_not_text_is_not_an_error(
    stack: Stack, response_url: Any
) -> None:
    action = {"action_id": "vps_refresh", "block_id": "b", "value": str(stack.servers["linode"])}
    payload = _payload("block_actions", actions=[action], response_url=response_url)
    response = await _clean(stack, lambda: stack.slack.send_payload(payload), "response_url junk")
    assert response.status == 200


async def test_lone_surrogates_in_ids_are_stored_as_replacement_characters(stack: Stack) -> None:
    """asyncpg refused a view id or user id holding an unpaired surrogate (DataError)."""
    view = {"id": "V\ud800", "type": "modal", "callback_id": "vps_create:plan"}
    view |= {"state": {"values": {}}}
    for user in ("U\udfff", USER):
        payload = _payload("view_submission", user=user, view=view)
        response = await _clean(stack, lambda p=payload: stack.slack.send_payload(p), "surrogate")
        assert response.status == 200


async def test_a_label_that_is_a_list_is_not_a_crash(stack: Stack) -> None:
    values = {
        "label": {"label": sv.multi_static_select(["a", "b"])},
        "provider": {"create_provider": sv.static_select(stack.bot.provider_id("linode"))},
    }
    view = dict(stack.seeded_views[stack.create_view_id])
    response = await _clean(
        stack,
        lambda: stack.slack.view_submission(view, values, apply_to_api=False),
        "label as a multi-select",
    )
    assert response.status == 200


async def test_server_modal_metadata_that_is_a_number_is_ignored(stack: Stack) -> None:
    for callback in ("vps_delete_modal", "vps_resize_modal", "vps_rebuild_modal"):
        view = {"id": "V0NUM", "type": "modal", "callback_id": callback, "private_metadata": 7}
        view |= {"state": {"values": {}}}
        payload = _payload("view_submission", view=view)
        response = await _clean(stack, lambda p=payload: stack.slack.send_payload(p), callback)
        assert response.status == 200


async def test_a_view_that_is_not_an_object_is_refused_at_the_edge(stack: Stack) -> None:
    """Bolt's own log line for an unhandled request read ``view.get`` and crashed."""
    for view in (None, "V1", 7):
        payload = _payload("block_actions", view=view, actions=[])
        payload.pop("actions")
        response = await _clean(stack, lambda p=payload: stack.slack.send_payload(p), str(view))
        assert response.status == 400


async def test_a_user_id_no_slack_would_send_is_never_asked_about(stack: Stack) -> None:
    """A 10,000-character user id went to users.info (and into a log line)."""
    action = {"action_id": "vps_refresh", "block_id": "b", "value": str(stack.servers["linode"])}
    for user in ("y" * 10_000, "u\nfake log line", "U0001 OR 1=1"):
        mark = stack.api.mark()
        payload = _payload("block_actions", user=user, actions=[action])
        response = await _clean(stack, lambda p=payload: stack.slack.send_payload(p), "odd user")
        assert response.status == 200
        asked = [c for c in stack.api.calls[mark:] if c.method == "users.info"]
        assert asked == []


async def test_a_home_create_click_from_nobody_is_ignored(stack: Stack) -> None:
    action = {"action_id": "vps_home_create", "block_id": "b", "value": ""}
    payload = _payload("block_actions", actions=[action])
    for key in ("user", "team"):
        payload.pop(key)
    mark = stack.api.mark()
    response = await _clean(stack, lambda: stack.slack.send_payload(payload), "no user")
    assert response.status == 200
    assert [c.method for c in stack.api.calls[mark:]] == []


# ---------------------------------------------------------------------------- issue 19


async def test_a_workflow_step_edit_without_its_step_is_refused(stack: Stack) -> None:
    """Bolt's kwargs reader indexed ``body["workflow_step"]`` for any middleware: a
    KeyError while routing, HTTP 500."""
    for payload in (
        _payload("workflow_step_edit", callback_id="vps", trigger_id="1.2.3"),
        _payload(
            "view_submission",
            view={"id": "V1", "type": "workflow_step", "callback_id": "vps", "state": {}},
        ),
    ):
        response = await _clean(stack, lambda p=payload: stack.slack.send_payload(p), str(payload))
        assert response.status == 400


async def test_a_workflow_step_edit_with_its_step_is_ignored(stack: Stack) -> None:
    step = {"workflow_step_edit_id": "1", "workflow_id": "2", "step_id": "3", "inputs": {}}
    payload = _payload("workflow_step_edit", callback_id="vps", workflow_step=step)
    response = await _clean(stack, lambda: stack.slack.send_payload(payload), "workflow step")
    # vpsbot defines no workflow step: Bolt's "unhandled request", never a 500
    assert response.status == 404 and response.data == {"error": "unhandled request"}


async def test_ids_too_long_for_their_column_never_reach_it(stack: Stack) -> None:
    """A create modal's first action with a channel (or view id) longer than the
    draft's ``varchar(32)`` columns: the draft insert failed after the ack."""
    linode = stack.bot.provider_id("linode")
    for view_id, channel in (("V0FRESH1", "C" + "7" * 40), ("V" + "8" * 40, "C0001")):
        view = {
            "id": view_id,
            "type": "modal",
            "callback_id": "vps_create:plan",
            "hash": "1.a",
            "private_metadata": json.dumps({"channel": channel}),
            "blocks": [],
            "state": {"values": {}},
        }
        action = {
            "action_id": "create_provider",
            "block_id": "provider",
            "type": "static_select",
            "selected_option": {"value": linode},
        }
        payload = _payload("block_actions", actions=[action], view=view, trigger_id="1.2.3")
        response = await _clean(stack, lambda p=payload: stack.slack.send_payload(p), view_id)
        assert response.status == 200
