"""Pure builders of the `/vps list` message (details: :mod:`.details`, modals: :mod:`.modals`).

Plain data in, Block Kit out (``slack_sdk.models`` checks Slack's limits). Buttons
carry only the instance id, the list's filters a small JSON blob; the listeners
trust neither and re-check everything against the request's workspace.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.core.blocks import STATUS_ICONS, cut, esc, md, money
from bot.servers.details import (
    ACTION_BUTTON_PREFIX,
    ACTION_DELETE,
    ACTION_MORE,
    ACTION_REBUILD,
    ACTION_REFRESH,
    ACTION_RESIZE,
    ActivityLine,
    ServerDetails,
    details_message,
)
from bot.status.views import DETAILS_ACTION
from providers.registry import IMPLEMENTED_TYPES, display_name

__all__ = [
    "ACTION_BUTTON_PREFIX",
    "ACTION_DELETE",
    "ACTION_DETAILS",
    "ACTION_LIST_NEXT",
    "ACTION_LIST_PREV",
    "ACTION_LIST_PROVIDER",
    "ACTION_LIST_STATUS",
    "ACTION_MORE",
    "ACTION_REBUILD",
    "ACTION_REFRESH",
    "ACTION_RESIZE",
    "LIST_FILTER_BLOCK",
    "MAX_MESSAGE_BLOCKS",
    "PAGE_SIZE",
    "PROVIDER_NAMES",
    "STATUS_FILTERS",
    "ActivityLine",
    "ListState",
    "ServerDetails",
    "ServerLine",
    "details_message",
    "list_message",
]

PAGE_SIZE = 10
MAX_MESSAGE_BLOCKS = 50
MAX_BLOCK_ID = 255
MAX_SEARCH = 64

ACTION_LIST_PROVIDER = "vps_list_provider"
ACTION_LIST_STATUS = "vps_list_status"
ACTION_LIST_PREV = "vps_list_prev"
ACTION_LIST_NEXT = "vps_list_next"
ACTION_DETAILS = DETAILS_ACTION
LIST_FILTER_BLOCK = "vps_list:"

PROVIDER_NAMES = {kind: display_name(kind) for kind in IMPLEMENTED_TYPES}
STATUS_FILTERS = (
    "running",
    "stopped",
    "provisioning",
    "rebooting",
    "deleting",
    "error",
    "deleted",
)
_ALL = "all"


def _provider_label(provider_type: str) -> str:
    return display_name(provider_type)


# --------------------------------------------------------------------------- list


@dataclass(frozen=True)
class ListState:
    """The list's filters and page; round-trips through the message (untrusted)."""

    provider: str | None = None
    status: str | None = None
    text: str | None = None
    offset: int = 0

    def encode(self) -> str:
        data: dict[str, Any] = {}
        if self.provider:
            data["p"] = self.provider
        if self.status:
            data["s"] = self.status
        if self.text:
            data["t"] = self.text
        if self.offset:
            data["o"] = self.offset
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, raw: str | None) -> ListState:
        """Whatever came back from Slack, reduced to valid filters (never raises)."""
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        return cls.clean(data.get("p"), data.get("s"), data.get("t"), data.get("o"))

    @classmethod
    def clean(cls, provider: Any, status: Any, text: Any, offset: Any = 0) -> ListState:
        return cls(
            provider=provider if provider in PROVIDER_NAMES else None,
            status=status if status in STATUS_FILTERS else None,
            text=text.strip()[:MAX_SEARCH] or None if isinstance(text, str) else None,
            offset=max(0, min(offset, 10_000_000)) if isinstance(offset, int) else 0,
        )

    def but(self, **changes: Any) -> ListState:
        return replace(self, **changes)

    def filter_block_id(self) -> str:
        """The filters' block_id: the state without the page (a filter change restarts)."""
        state = self.but(offset=0)
        while len(LIST_FILTER_BLOCK + state.encode()) > MAX_BLOCK_ID and state.text:
            state = state.but(text=state.text[:-1] or None)
        return LIST_FILTER_BLOCK + state.encode()

    @classmethod
    def from_block_id(cls, block_id: str | None) -> ListState:
        raw = (block_id or "").removeprefix(LIST_FILTER_BLOCK)
        return cls.decode(raw)


@dataclass(frozen=True)
class ServerLine:
    id: str
    label: str
    status: str
    provider_type: str
    provider_name: str | None
    region: str | None
    plan: str | None
    ipv4: str | None
    monthly: Decimal | None


def _line_text(line: ServerLine) -> str:
    icon = STATUS_ICONS.get(line.status, ":grey_question:")
    # the provider as the admin named it, the same everywhere
    provider = (
        esc(line.provider_name) if line.provider_name else _provider_label(line.provider_type)
    )
    parts = [
        provider,
        esc(line.region or "—"),
        esc(line.plan or "—"),
        f"`{esc(line.ipv4)}`" if line.ipv4 else "no IP yet",
        money(line.monthly),
    ]
    return f"{icon} *{esc(line.label)}* · {esc(line.status)}\n" + " · ".join(parts)


def _filter_options(choices: Sequence[tuple[str, str]], all_text: str) -> list[Option]:
    return [Option(value=_ALL, text=all_text)] + [
        Option(value=value, text=cut(text, 75)) for value, text in choices
    ]


def _filters(state: ListState) -> ActionsBlock:
    providers = _filter_options(list(PROVIDER_NAMES.items()), "All providers")
    statuses = _filter_options([(s, s.capitalize()) for s in STATUS_FILTERS], "Any status")
    return ActionsBlock(
        block_id=state.filter_block_id(),
        elements=[
            StaticSelectElement(
                action_id=ACTION_LIST_PROVIDER,
                placeholder="Provider",
                options=providers,
                initial_option=next(o for o in providers if o.value == (state.provider or _ALL)),
            ),
            StaticSelectElement(
                action_id=ACTION_LIST_STATUS,
                placeholder="Status",
                options=statuses,
                initial_option=next(o for o in statuses if o.value == (state.status or _ALL)),
            ),
        ],
    )


def _describe(state: ListState) -> str:
    bits = []
    if state.provider:
        bits.append(_provider_label(state.provider))
    if state.status:
        bits.append(state.status)
    if state.text:
        bits.append(f"“{esc(state.text)}”")
    return " · ".join(bits)


def list_message(
    lines: Sequence[ServerLine], total: int, state: ListState, *, page_size: int = PAGE_SIZE
) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of one page of the workspace's servers.

    At most ``page_size`` servers, one section each, plus five fixed blocks; the
    page size is capped so a message never exceeds Slack's 50 blocks.
    """
    page_size = max(1, min(page_size, MAX_MESSAGE_BLOCKS - 5))
    lines = list(lines)[:page_size]
    described = _describe(state)
    noun = "server" if total == 1 else "servers"
    heading = f"*{total} {noun}* in this workspace"
    if described:
        heading += f" matching {described}"
    blocks: list[Block] = [SectionBlock(text=md(heading)), _filters(state), DividerBlock()]
    for line in lines:
        blocks.append(
            SectionBlock(
                text=md(cut(_line_text(line), 3000)),
                accessory=ButtonElement(action_id=ACTION_DETAILS, text="Details", value=line.id),
            )
        )
    if not lines:
        empty = "No servers match these filters." if described else "No servers yet."
        blocks.append(SectionBlock(text=md(f"{empty} Create one with `/vps create`.")))
    else:
        first = state.offset + 1
        last = state.offset + len(lines)
        blocks.append(
            ContextBlock(elements=[md(f"Showing {first}-{last} of {total}, newest first")])
        )
    paging: list[ButtonElement] = []
    if state.offset > 0:
        previous = state.but(offset=max(0, state.offset - page_size))
        paging.append(
            ButtonElement(action_id=ACTION_LIST_PREV, text="◀ Prev", value=previous.encode())
        )
    if state.offset + len(lines) < total:
        following = state.but(offset=state.offset + page_size)
        paging.append(
            ButtonElement(action_id=ACTION_LIST_NEXT, text="Next ▶", value=following.encode())
        )
    if paging:
        blocks.append(ActionsBlock(block_id="vps_list_pages", elements=paging))
    text = f"{total} {noun} in this workspace"
    if described:
        text += f" matching {described}"
    return text, blocks
