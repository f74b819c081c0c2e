"""What Slack does with an app's answer to a ``view_submission``: the rules that make it
refuse the answer as a whole.

Slack shows ``response_action: errors`` only under the *input* blocks of the submitted
view: an error keyed to any other block id (a section, an actions block, a block that
is not there) makes the whole answer fail, and the person sees "We had some trouble
connecting" and never learns why. The stand-in refuses such an answer the same way, and
loudly (:class:`SlackRefusedAck` is an ``AssertionError``), so a test catches an app that
would send one.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SlackRefusedAck", "check_view_submission_ack", "refused_because"]


class SlackRefusedAck(AssertionError):
    """Slack would refuse this view_submission answer (the user sees a generic error)."""


def _input_block_ids(view: dict[str, Any]) -> set[str]:
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return set()
    return {
        str(block["block_id"])
        for block in blocks
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id")
    }


def refused_because(view: dict[str, Any], ack: dict[str, Any] | None) -> str | None:
    """Why Slack would refuse ``ack`` as an answer to submitting ``view``, or None.

    Only ``response_action: errors`` is checked here: its ``errors`` must be an object of
    strings, each keyed to the block_id of an input block of ``view``.
    """
    if not ack or ack.get("response_action") != "errors":
        return None
    errors = ack.get("errors")
    if not isinstance(errors, dict):
        return f"response_action errors needs an object of errors, not {errors!r}"
    inputs = _input_block_ids(view)
    wrong = sorted(str(key) for key in errors if key not in inputs)
    if wrong:
        return (
            f"errors keyed to {wrong}, which are not input blocks of view "
            f"{view.get('callback_id')!r} (its input blocks: {sorted(inputs)})"
        )
    not_text = sorted(str(key) for key, value in errors.items() if not isinstance(value, str))
    if not_text:
        return f"errors for {not_text} are not strings"
    return None


def check_view_submission_ack(view: dict[str, Any], ack: dict[str, Any] | None) -> None:
    """Raise :class:`SlackRefusedAck` when Slack would refuse ``ack``
    (see :func:`refused_because`)."""
    reason = refused_because(view, ack)
    if reason is not None:
        raise SlackRefusedAck(f"Slack would refuse this view_submission answer: {reason}")
