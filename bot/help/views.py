"""The `/vps help` message."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

__all__ = ["COMMANDS", "help_blocks", "help_text", "suggest"]

#: How much of an unknown command word is quoted back (Slack caps a section at 3,000).
_MAX_WORD = 40

COMMANDS: tuple[tuple[str, str], ...] = (
    ("/vps create [label]", "create a server step by step (provider, plan, image, options)"),
    ("/vps list [provider] [status] [text]", "your workspace's servers across providers"),
    ("/vps show <label>", "details, price and recent activity of one server"),
    ("/vps cost", "this month's spend so far and projected, against your budget"),
    ("/vps admin", "manage providers, plans, allowlists, the spend policy and admins (admins)"),
    ("/vps log [n]", "the latest activity (admins)"),
    ("/vps help", "this list"),
)


def help_text() -> str:
    return "vpsbot commands:\n" + "\n".join(f"• {cmd} — {what}" for cmd, what in COMMANDS)


def suggest(word: str, known: Iterable[str]) -> str | None:
    """The known word a mistyped one most likely meant (``lsit`` → ``list``), if any."""
    close = difflib.get_close_matches(word.lower(), sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None


def help_blocks(unknown: str | None = None, suggestion: str | None = None) -> list[Block]:
    lines = "\n".join(f"• `{cmd}` — {what}" for cmd, what in COMMANDS)
    blocks: list[Block] = []
    if unknown:
        # the word is the user's: quoted short, without the backticks that would end the quote
        word = unknown.replace("`", "'")[:_MAX_WORD]
        more = "…" if len(unknown) > _MAX_WORD else ""
        said = f"I don't know `/vps {word}{more}`."
        if suggestion:
            said += f" Did you mean `/vps {suggestion}`?"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=said)))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*vpsbot commands*\n{lines}")))
    blocks.append(
        ContextBlock(
            elements=[MarkdownTextObject(text="Servers on DigitalOcean and Linode, from Slack.")]
        )
    )
    return blocks
