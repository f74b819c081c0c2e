"""The stand-in refuses view_submission errors Slack would refuse: only input blocks of the
submitted view can carry them."""

from __future__ import annotations

from typing import Any

import pytest

from standins.playground.view_acks import (
    SlackRefusedAck,
    check_view_submission_ack,
    refused_because,
)

VIEW: dict[str, Any] = {
    "type": "modal",
    "callback_id": "review",
    "blocks": [
        {"type": "section", "block_id": "review", "text": {"type": "mrkdwn", "text": "x"}},
        {"type": "actions", "block_id": "nav", "elements": []},
        {
            "type": "input",
            "block_id": "label",
            "label": {"type": "plain_text", "text": "Label"},
            "element": {"type": "plain_text_input", "action_id": "label"},
        },
    ],
}


def test_errors_under_an_input_block_pass() -> None:
    assert refused_because(VIEW, {"response_action": "errors", "errors": {"label": "no"}}) is None
    check_view_submission_ack(VIEW, {"response_action": "errors", "errors": {"label": "no"}})


@pytest.mark.parametrize("key", ["review", "nav", "absent", ""])
def test_errors_keyed_to_anything_else_are_refused(key: str) -> None:
    ack = {"response_action": "errors", "errors": {"label": "ok", key: "over budget"}}
    reason = refused_because(VIEW, ack)
    assert reason is not None and repr(key) in reason and "['label']" in reason
    with pytest.raises(SlackRefusedAck):
        check_view_submission_ack(VIEW, ack)


@pytest.mark.parametrize("errors", [None, [], "label", {"label": 3}])
def test_errors_that_are_not_an_object_of_strings_are_refused(errors: object) -> None:
    assert refused_because(VIEW, {"response_action": "errors", "errors": errors}) is not None


@pytest.mark.parametrize(
    "ack", [None, {}, {"response_action": "clear"}, {"response_action": "update", "view": {}}]
)
def test_other_answers_are_not_this_checks_business(ack: dict[str, Any] | None) -> None:
    assert refused_because(VIEW, ack) is None
