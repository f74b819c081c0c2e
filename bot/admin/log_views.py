"""The `/vps log` message: the workspace's latest audit events, newest first.

A pure builder: entries arrive as plain :class:`LogEntry` data; the message stays
within Slack's limits (50 blocks, 3000 characters a section) whatever is asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, SectionBlock

from bot.core.blocks import cut, date, esc, md
from providers.registry import display_name

__all__ = ["LogEntry", "detail_of", "log_message"]

MAX_MESSAGE_BLOCKS = 50


@dataclass(frozen=True)
class LogEntry:
    when: datetime
    event_type: str
    status: str
    user_id: str | None = None
    entity_type: str | None = None
    entity_name: str | None = None
    detail: str = ""
    subject_user: str | None = None  # the person the event is about (an admin named)


_STATUS_ICONS = {
    "success": ":white_check_mark:",
    "warning": ":warning:",
    "error": ":x:",
    "info": ":information_source:",
}
_LINES_PER_SECTION = 6
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")


def detail_of(event_type: str, meta: dict[str, Any]) -> str:
    """A short account of an activity record's metadata for `/vps log`."""
    change = meta.get("change")
    if event_type == "provider.update" and change == "name":
        return f"renamed from {meta.get('previous', '?')}"
    if event_type == "provider.update" and change == "token":
        return "token rotated"
    if event_type == "provider.create":
        return display_name(str(meta.get("type") or ""))
    if event_type == "provider.check":
        return str(meta.get("result") or "")
    if event_type == "provider.delete":
        return "forced" if meta.get("forced") else ""
    if event_type == "plans.import":
        return f"{meta.get('plans', 0)} plan(s), markup {meta.get('markup', 'none')}"
    if event_type == "plans.update":
        text = f"{meta.get('plan', '?')}: {change or 'changed'}"
        if change == "markup":
            text += f" ${meta.get('markup')}"
        return text
    if event_type == "allowlist.update":
        return f"allowed: {meta.get('allowed')}"
    parts = [
        f"{key} {meta[key]}"
        for key in ("provider", "plan", "region", "stage", "error", "reason")
        if meta.get(key) not in (None, "")
    ]
    return ", ".join(parts)


def _log_line(entry: LogEntry) -> str:
    icon = _STATUS_ICONS.get(entry.status, ":grey_question:")
    who = f"<@{entry.user_id}>" if entry.user_id else "vpsbot"
    target = ""
    if entry.entity_name:
        kind = {"vps": "server", "provider": "provider"}.get(entry.entity_type or "", "")
        target = f" {kind} *{esc(cut(entry.entity_name, 80))}*".replace("  ", " ")
    elif entry.subject_user and _USER_ID.fullmatch(entry.subject_user):
        target = f" <@{entry.subject_user}>"
    detail = f" ({esc(cut(entry.detail, 120))})" if entry.detail else ""
    return f"{icon} {date(entry.when)} {who} `{entry.event_type}`{target}{detail} — {entry.status}"


def log_message(entries: list[LogEntry], requested: int) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of `/vps log`: newest first, ≤50 blocks whatever ``requested``."""
    if not entries:
        text = "No activity recorded yet."
        return text, [SectionBlock(text=md(text))]
    heading = f"*Latest activity* — {len(entries)} event(s), newest first"
    lines = [_log_line(entry) for entry in entries]
    blocks: list[Block] = [SectionBlock(text=md(heading))]
    for start in range(0, len(lines), _LINES_PER_SECTION):
        chunk = "\n".join(lines[start : start + _LINES_PER_SECTION])
        blocks.append(SectionBlock(text=md(chunk)))
    if len(entries) < requested:
        blocks.append(ContextBlock(elements=[md("That is everything recorded so far.")]))
    text = f"Latest activity: {len(entries)} event(s)"
    return text, blocks[:MAX_MESSAGE_BLOCKS]
