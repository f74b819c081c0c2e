"""Reading Slack payloads and making the Slack calls every feature makes.

Payloads are untrusted input: every reader here tolerates a missing or oddly
typed field and answers with an empty value instead of raising, so a forged or
truncated payload is refused by the feature, never a 500. Calls that only keep
a screen current (``views.update``, ephemeral notes) log a Slack refusal and
carry on: the user's next action renders again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.services import Services

__all__ = [
    "Subcommand",
    "answer",
    "channel_of",
    "first_action",
    "query_of",
    "say",
    "say_or_tell",
    "selected",
    "selected_many",
    "slack_error",
    "slack_id",
    "state_values",
    "team_and_user",
    "tell",
    "typed",
    "update_view",
    "view_of",
]

log = logging.getLogger(__name__)

JSON = dict[str, Any]

#: A ``/vps`` sub-command: (services, command payload, the text after the word,
#: ack, respond, client). Features export theirs in a ``SUBCOMMANDS`` mapping.
Subcommand = Callable[
    [Services, JSON, str, AsyncAck, AsyncRespond, AsyncWebClient], Awaitable[None]
]


#: A Slack object id as the tables hold them (team, user, channel, view: ``C0123ABCD``).
_SLACK_ID = re.compile(r"[A-Z0-9]{1,32}")


def slack_id(value: object) -> str | None:
    """``value`` if it looks like a Slack id that fits the tables' columns, else None:
    a forged or oversized id from a payload is dropped, never written."""
    return value if isinstance(value, str) and _SLACK_ID.fullmatch(value) else None


def _dict(value: Any) -> JSON:
    return value if isinstance(value, dict) else {}


def team_and_user(context: AsyncBoltContext | Mapping[str, Any]) -> tuple[str, str]:
    """(team id, user id) of the request, from Bolt's context ('' when absent)."""
    return str(context.get("team_id") or ""), str(context.get("user_id") or "")


def view_of(body: JSON) -> JSON:
    """The payload's view (``{}`` when there is none)."""
    return _dict(body.get("view"))


def state_values(body: JSON) -> JSON:
    """The submitted input values of the payload's view, by block and action id."""
    return _dict(_dict(view_of(body).get("state")).get("values"))


def first_action(body: JSON) -> JSON:
    """The block action a ``block_actions`` payload carries (``{}`` when none)."""
    actions = body.get("actions")
    if isinstance(actions, list) and actions:
        return _dict(actions[0])
    return {}


def channel_of(body: JSON) -> str | None:
    """The channel an interaction happened in, if any."""
    channel = _dict(body.get("channel")).get("id") or _dict(body.get("container")).get("channel_id")
    return str(channel) if isinstance(channel, str) and channel else None


def _entry(values: JSON, block_id: str, action_id: str) -> JSON:
    return _dict(_dict(values.get(block_id)).get(action_id))


def selected(values: JSON, block_id: str, action_id: str | None = None) -> str | None:
    """The value of a select's chosen option (``action_id`` defaults to ``block_id``)."""
    value = _dict(_entry(values, block_id, action_id or block_id).get("selected_option")).get(
        "value"
    )
    return value if isinstance(value, str) else None


def selected_many(values: JSON, block_id: str, action_id: str | None = None) -> list[str]:
    """The values of a multi-select's or checkbox group's chosen options."""
    options = _entry(values, block_id, action_id or block_id).get("selected_options")
    if not isinstance(options, list):
        return []
    return [str(v) for o in options if (v := _dict(o).get("value"))]


def typed(values: JSON, block_id: str, action_id: str | None = None) -> str:
    """What was typed into a plain-text input ('' when nothing)."""
    value = _entry(values, block_id, action_id or block_id).get("value")
    return value if isinstance(value, str) else ""


def query_of(body: JSON) -> str:
    """What the user typed into an external select (``block_suggestion``)."""
    value = body.get("value")
    return value if isinstance(value, str) else ""


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code from a failed call, whatever the body was (an HTML page
    from a proxy has no JSON ``error``)."""
    response = getattr(exc, "response", None)
    try:
        error = response.get("error") if response is not None else None
    except (AttributeError, TypeError, ValueError):
        error = None
    if isinstance(error, str) and error:
        return error
    status = getattr(response, "status_code", None)
    return f"http_{status}" if status else "unknown_error"


async def answer(respond: AsyncRespond, **message: Any) -> bool:
    """Post ``message`` to the interaction's ``response_url``; False (logged) when the
    payload has none or a broken one, or Slack refused it: a reply that cannot be
    delivered is never an error of the request."""
    try:
        await respond(**message)
    except (ValueError, TypeError, aiohttp.ClientError, TimeoutError) as exc:
        # TypeError: a response_url that is not text (forged); ValueError: not a URL
        log.info("no reply through response_url: %s", type(exc).__name__)
        return False
    return True


async def say(respond: AsyncRespond, text: str) -> None:
    """One ephemeral line below the message the user clicked in."""
    await answer(respond, text=text, response_type="ephemeral", replace_original=False)


async def update_view(
    client: AsyncWebClient,
    view_id: str | None,
    view: View | JSON | str,
    view_hash: str | None = None,
) -> bool:
    """Replace an open modal; False when Slack refused (closed meanwhile, or
    ``hash_conflict``: the user acted again and that newer action renders)."""
    if not view_id:
        return False
    try:
        await client.views_update(view_id=view_id, view=view, hash=view_hash)  # type: ignore[arg-type]
    except SlackApiError as exc:
        log.info("views.update of %s skipped: %s", view_id, slack_error(exc))
        return False
    return True


async def tell(client: AsyncWebClient, channel: str | None, user_id: str, text: str) -> bool:
    """One ephemeral line to ``user_id`` where there is no response_url (after a
    modal): in ``channel`` if Slack lets us, else in the app's DM. False when
    neither took it."""
    for target in (channel, user_id):
        if not target:
            continue
        try:
            await client.chat_postEphemeral(channel=target, user=user_id, text=text)
            return True
        except SlackApiError as exc:
            log.warning("cannot tell %s in %s: %s", user_id, target, slack_error(exc))
    return False


async def say_or_tell(
    body: JSON, respond: AsyncRespond, client: AsyncWebClient, user_id: str, text: str
) -> None:
    """One ephemeral line to whoever clicked: below the message they clicked in, or,
    from the Home tab (which has no response_url), in the app's DM."""
    if body.get("response_url"):
        await say(respond, text)
    else:
        await tell(client, None, user_id, text)
