"""What a person sees when vpsbot fails unexpectedly: a short apology with a reference.

Bolt's default answer to a listener that raised is an HTTP 500, which Slack shows
as "dispatch_failed" or nothing at all. Here the error is logged once with a
short reference id, and the person gets one sentence carrying that id, in the
form the interaction expects (an ephemeral message for a command, a message in
the modal for a submission, an empty option list for a suggestion). Nothing of
the error itself reaches them.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.response import BoltResponse
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.core.errors import reference

__all__ = ["apology", "on_listener_error", "reference"]

log = logging.getLogger("bot.errors")


def apology(ref: str) -> str:
    return f"Sorry, something went wrong on vpsbot's side. Please try again (reference {ref})."


def _json(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200,
        body=json.dumps(payload),
        headers={"content-type": ["application/json;charset=utf-8"]},
    )


async def on_listener_error(
    error: Exception, body: dict[str, Any], response: BoltResponse | None
) -> BoltResponse | None:
    """Bolt's error handler: log with a reference, answer the person with it.

    Bolt passes no ``response`` when the listener had already acked (Slack has its
    answer): the error is then only logged."""
    ref = reference()
    kind = body.get("type") if isinstance(body, dict) else None
    answered = " after it answered Slack" if response is None else ""
    log.error(
        "listener failed on %s%s [reference %s]", kind or "a command", answered, ref, exc_info=error
    )
    if response is None:
        return None
    text = apology(ref)
    if kind == "view_submission":
        view = View(
            type="modal",
            title="vpsbot",
            close="Close",
            blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
        )
        return _json({"response_action": "update", "view": view.to_dict()})
    if kind == "block_suggestion":
        return _json({"options": []})
    if kind in ("block_actions", "view_closed", "shortcut", "message_action"):
        return BoltResponse(status=200, body="")
    return _json({"response_type": "ephemeral", "text": text})
