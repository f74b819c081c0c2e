"""The `/vps help` message."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

__all__ = ["COMMANDS", "CREATE_EXAMPLES", "help_blocks", "help_text", "suggest"]

#: How much of an unknown command word is quoted back (Slack caps a section at 3,000).
_MAX_WORD = 40

COMMANDS: tuple[tuple[str, str], ...] = (
    (
        "/vps create [words…] [label]",
        "create a server step by step, or say what you want in one line",
    ),
    ("/vps list [provider] [status] [text]", "your workspace's servers across providers"),
    ("/vps show <label>", "details, price and recent activity of one server"),
    ("/vps cost", "this month's spend so far and projected, against your budget"),
    ("/vps admin", "manage providers, plans, allowlists, the spend policy and admins (admins)"),
    ("/vps log [n]", "the latest activity (admins)"),
    ("/vps help", "this list"),
)

#: One-line creates: the words fill the form, which opens at the first open choice
#: (the review when nothing is left) — nothing is created without it.
CREATE_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("/vps create 2gb ubuntu fra1 web-1", "2 GB of memory, Ubuntu, in Frankfurt, named web-1"),
    ("/vps create linode dedicated 4gb debian 12 frankfurt", "a dedicated-CPU Linode, Debian 12"),
    ("/vps create do 1gb wordpress nyc3 blog-1", "a droplet with the WordPress app, New York"),
)


def help_text() -> str:
    examples = "\n".join(f"  {cmd} — {what}" for cmd, what in CREATE_EXAMPLES)
    commands = "\n".join(f"• {cmd} — {what}" for cmd, what in COMMANDS)
    return f"vpsbot commands:\n{commands}\nCreate in one line, for example:\n{examples}"


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
    examples = "\n".join(f"• `{cmd}` — {what}" for cmd, what in CREATE_EXAMPLES)
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(
                text="*Create in one line* (the form opens filled in; you still review it)\n"
                + examples
            )
        )
    )
    blocks.append(
        ContextBlock(
            elements=[MarkdownTextObject(text="Servers on DigitalOcean and Linode, from Slack.")]
        )
    )
    return blocks
