"""Pure parts of opening the create modal prefilled (bot/create/quick_open.py, nearby.py)."""

from __future__ import annotations

import copy

from bot.create.nearby import with_provider_block
from bot.create.quick_open import with_notes

VIEW = {
    "type": "modal",
    "callback_id": "vps_create:plan",
    "blocks": [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Step 1 of 5"}]},
        {"type": "input", "block_id": "provider", "element": {"action_id": "create_provider"}},
        {"type": "input", "block_id": "label", "element": {"action_id": "label"}},
    ],
}


def test_notes_go_under_the_progress_line_escaped_and_the_view_is_not_changed() -> None:
    kept = copy.deepcopy(VIEW)
    shown = with_notes(VIEW, ["No plan matches “<!channel> *x*”"])
    assert kept == VIEW  # the rendered view is shared: never edited in place
    assert [b.get("block_id") for b in shown["blocks"]] == [
        None,
        "quick_notes",
        "provider",
        "label",
    ]
    text = shown["blocks"][1]["text"]["text"]
    assert "<!channel>" not in text and "*x*" not in text
    assert with_notes(VIEW, []) is VIEW


def test_a_switch_names_the_provider_block_after_the_provider() -> None:
    kept = copy.deepcopy(VIEW)
    shown = with_provider_block(VIEW, "p-li")
    assert kept == VIEW
    assert [b.get("block_id") for b in shown["blocks"]] == [None, "provider:p-li", "label"]
    assert shown["blocks"][1]["element"]["action_id"] == "create_provider"  # read as ever
    assert len(with_provider_block(VIEW, "x" * 400)["blocks"][1]["block_id"]) == 255
