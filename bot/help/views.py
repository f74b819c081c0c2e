"""The `/vps help` message."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

__all__ = ["COMMANDS", "help_blocks", "help_text"]

COMMANDS: tuple[tuple[str, str], ...] = (
    ("/vps create [label]", "create a server step by step (provider, plan, image, options)"),
    ("/vps list [provider] [status] [text]", "your workspace's servers across providers"),
    ("/vps show <label>", "details, price and recent activity of one server"),
    ("/vps admin", "manage providers, plans and allowlists (admins)"),
    ("/vps log [n]", "the latest activity (admins)"),
    ("/vps help", "this list"),
)


def help_text() -> str:
    return "vpsbot commands:\n" + "\n".join(f"• {cmd} — {what}" for cmd, what in COMMANDS)


def help_blocks(unknown: str | None = None) -> list[Block]:
    lines = "\n".join(f"• `{cmd}` — {what}" for cmd, what in COMMANDS)
    blocks: list[Block] = []
    if unknown:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"I don't know `/vps {unknown}`.")))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*vpsbot commands*\n{lines}")))
    blocks.append(
        ContextBlock(
            elements=[MarkdownTextObject(text="Servers on DigitalOcean and Linode, from Slack.")]
        )
    )
    return blocks
