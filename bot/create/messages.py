"""What the create modal says once no step is left to fill in: loading, creating,
done, checking a lost answer, a password Slack would not take, a failure."""

from __future__ import annotations

from slack_sdk.models.blocks import PlainTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.core.blocks import cut, esc, md
from bot.create.frame import CALLBACK_PREFIX, TITLE, modal

__all__ = [
    "checking_view",
    "creating_view",
    "done_view",
    "failed_view",
    "loading_view",
    "message_view",
    "password_lost_view",
]


def loading_view(step: str, what: str) -> View:
    return modal(
        step,
        [SectionBlock(text=md(f":hourglass_flowing_sand: Loading {what}…"))],
        submit=None,
    )


def creating_view(label: str, provider_name: str) -> View:
    return message_view(
        f":gear: Creating *{esc(label)}* on {esc(provider_name)}… this window updates when "
        "the provider answers."
    )


def done_view(label: str, provider_name: str, channel_id: str | None) -> View:
    where = f" in <#{channel_id}>" if channel_id else ""
    return message_view(
        f":white_check_mark: *{esc(label)}* is being created on {esc(provider_name)}. "
        f"Follow its status{where}."
    )


def checking_view(label: str, provider_name: str, channel_id: str | None) -> View:
    """The create was sent but its answer was lost: say what is known."""
    where = f" in <#{channel_id}>" if channel_id else ""
    return message_view(
        f":hourglass_flowing_sand: {esc(provider_name)} did not confirm *{esc(label)}*. vpsbot is "
        f"checking with {esc(provider_name)} whether it was created (by its tag) and will say "
        f"so here and{where or ' in its status message'}. Nothing is sent twice."
    )


def password_lost_view(label: str, provider_name: str, channel_id: str | None) -> View:
    """The server exists but Slack would not take its generated password."""
    where = f" in <#{channel_id}>" if channel_id else ""
    return message_view(
        f":warning: *{esc(label)}* is being created on {esc(provider_name)}{where}, but "
        "Slack did not let vpsbot show you its generated root password, and vpsbot does not "
        "keep it. "
        f"Set a new one with *Rebuild* from `/vps show {esc(label)}` (or log in with an SSH key)."
    )


def failed_view(message: str) -> View:
    return message_view(f":x: {message}")


def message_view(text: str) -> View:
    return View(
        type="modal",
        callback_id=CALLBACK_PREFIX + "message",
        title=PlainTextObject(text=TITLE),
        close=PlainTextObject(text="Close"),
        blocks=[SectionBlock(text=md(cut(text, 3000)))],
    )
