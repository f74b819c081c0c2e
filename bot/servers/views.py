"""Pure builders for `/vps list`, `/vps show` and the server action modals.

Everything here takes plain data and returns Block Kit objects (``slack_sdk.models``
checks Slack's limits); nothing talks to Slack, a provider or the database.
Interactive elements carry as little as possible: action buttons only the
instance id, the list's filter state a small JSON blob (never trusted by the
listeners, which re-check everything against the payload's team).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.create.views import PlanChoice, image_options, plan_option
from bot.status.views import STATUS_ICONS
from db.models import LEGACY_PROVIDER_TYPE
from providers.models import Image
from providers.registry import IMPLEMENTED_TYPES, display_name

__all__ = [
    "ACTION_BUTTON_PREFIX",
    "ACTION_DELETE",
    "ACTION_DETAILS",
    "ACTION_LIST_NEXT",
    "ACTION_LIST_PREV",
    "ACTION_LIST_PROVIDER",
    "ACTION_LIST_STATUS",
    "ACTION_REBUILD",
    "ACTION_REBUILD_IMAGE",
    "ACTION_REFRESH",
    "ACTION_RESIZE",
    "ACTION_RESIZE_PLAN",
    "ACTION_WORDS",
    "CALLBACK_DELETE",
    "CALLBACK_REBUILD",
    "CALLBACK_RESIZE",
    "LIST_FILTER_BLOCK",
    "MAX_MESSAGE_BLOCKS",
    "MAX_STATIC_OPTIONS",
    "PAGE_SIZE",
    "PROVIDER_NAMES",
    "STATUS_FILTERS",
    "ActivityLine",
    "ListState",
    "ModalTarget",
    "ServerDetails",
    "ServerLine",
    "delete_modal",
    "details_message",
    "list_message",
    "message_modal",
    "rebuild_modal",
    "resize_modal",
]

PAGE_SIZE = 10
MAX_MESSAGE_BLOCKS = 50
MAX_STATIC_OPTIONS = 100
MAX_BLOCK_ID = 255
MAX_SEARCH = 64

ACTION_LIST_PROVIDER = "vps_list_provider"
ACTION_LIST_STATUS = "vps_list_status"
ACTION_LIST_PREV = "vps_list_prev"
ACTION_LIST_NEXT = "vps_list_next"
ACTION_DETAILS = "vps_details"
ACTION_REFRESH = "vps_refresh"
#: Direct actions (power and reboot) are ``vps_act_<action>`` buttons.
ACTION_BUTTON_PREFIX = "vps_act_"
ACTION_REBUILD = "vps_rebuild"
ACTION_RESIZE = "vps_resize"
ACTION_DELETE = "vps_delete"
ACTION_REBUILD_IMAGE = "vps_rebuild_image"
ACTION_RESIZE_PLAN = "vps_resize_plan"
CALLBACK_REBUILD = "vps_rebuild_modal"
CALLBACK_RESIZE = "vps_resize_modal"
CALLBACK_DELETE = "vps_delete_modal"
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
ACTION_WORDS = {
    "power_on": "Power on",
    "shutdown": "Shut down",
    "power_off": "Power off",
    "reboot": "Reboot",
    "power_cycle": "Power cycle",
    "rebuild": "Rebuild",
    "resize": "Resize",
    "delete": "Delete",
}
#: Buttons in the power row of the details message, in order.
_POWER_ACTIONS = ("power_on", "shutdown", "power_off", "reboot", "power_cycle")
_ALL = "all"


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def esc(text: str) -> str:
    """Text safe inside mrkdwn (Slack's three control characters escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _date(when: datetime | None) -> str:
    if when is None:
        return "—"
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{when.isoformat()}>"


def _money(amount: Decimal | None, unit: str = "mo", places: int = 2) -> str:
    return "—" if amount is None else f"${amount:.{places}f}/{unit}"


def _provider_label(provider_type: str | None) -> str:
    kind = provider_type or LEGACY_PROVIDER_TYPE
    return PROVIDER_NAMES.get(kind, kind)


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
    provider_type: str | None
    provider_name: str | None
    region: str | None
    plan: str | None
    ipv4: str | None
    monthly: Decimal | None


def _line_text(line: ServerLine) -> str:
    icon = STATUS_ICONS.get(line.status, ":grey_question:")
    provider = _provider_label(line.provider_type)
    if line.provider_name:
        provider = f"{provider} ({esc(line.provider_name)})"
    parts = [
        provider,
        esc(line.region or "—"),
        esc(line.plan or "—"),
        f"`{esc(line.ipv4)}`" if line.ipv4 else "no IP yet",
        _money(line.monthly),
    ]
    return f"{icon} *{esc(line.label)}* · {esc(line.status)}\n" + " · ".join(parts)


def _filter_options(choices: Sequence[tuple[str, str]], all_text: str) -> list[Option]:
    return [Option(value=_ALL, text=all_text)] + [
        Option(value=value, text=_cut(text, 75)) for value, text in choices
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
    blocks: list[Block] = [SectionBlock(text=_md(heading)), _filters(state), DividerBlock()]
    for line in lines:
        blocks.append(
            SectionBlock(
                text=_md(_cut(_line_text(line), 3000)),
                accessory=ButtonElement(action_id=ACTION_DETAILS, text="Details", value=line.id),
            )
        )
    if not lines:
        empty = "No servers match these filters." if described else "No servers yet."
        blocks.append(SectionBlock(text=_md(f"{empty} Create one with `/vps create`.")))
    else:
        first = state.offset + 1
        last = state.offset + len(lines)
        blocks.append(
            ContextBlock(elements=[_md(f"Showing {first}-{last} of {total}, newest first")])
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


# --------------------------------------------------------------------------- details


@dataclass(frozen=True)
class ActivityLine:
    when: datetime
    event: str
    status: str
    user_id: str | None


@dataclass(frozen=True)
class ServerDetails:
    id: str
    label: str
    status: str
    provider_type: str | None
    provider_name: str | None
    region: str | None
    image: str | None
    ipv4: str | None
    ipv6: str | None
    created_by: str | None
    created_at: datetime | None
    plan: PlanChoice | None = None
    plan_name: str | None = None
    raw_status: str | None = None
    note: str | None = None
    activity: Sequence[ActivityLine] = field(default_factory=tuple)


_RESULT_ICONS = {"success": ":white_check_mark:", "error": ":x:", "warning": ":warning:"}


def _activity_text(lines: Sequence[ActivityLine]) -> str:
    if not lines:
        return "*Recent activity*\nNothing recorded yet."
    rows = []
    for line in lines[:5]:
        icon = _RESULT_ICONS.get(line.status, "•")
        word = line.event.removeprefix("vps.").replace("_", " ")
        who = f" by <@{line.user_id}>" if line.user_id else ""
        rows.append(f"{icon} {_date(line.when)} — {esc(word)} ({line.status}){who}")
    return "*Recent activity*\n" + "\n".join(rows)


def _action_button(action: str, instance_id: str) -> ButtonElement:
    confirm = None
    style = None
    if action == "power_off":
        confirm = ConfirmObject(
            title="Power off?",
            text="This cuts the power like pulling the plug; unsaved data may be lost.",
            confirm="Power off",
            deny="Cancel",
            style="danger",
        )
        style = "danger"
    return ButtonElement(
        action_id=ACTION_BUTTON_PREFIX + action,
        text=ACTION_WORDS[action],
        value=instance_id,
        confirm=confirm,
        style=style,
    )


def details_message(
    details: ServerDetails,
    actions: Sequence[str],
    *,
    managed_by: str | None = None,
    note: str | None = None,
) -> tuple[str, list[Block]]:
    """(fallback text, blocks) for one server; ``actions`` are the buttons to offer.

    ``managed_by``: when the viewer may not act, who may (shown instead of buttons).
    """
    d = details
    icon = STATUS_ICONS.get(d.status, ":grey_question:")
    state = d.status
    if d.raw_status and d.raw_status != d.status:
        state = f"{d.status} ({d.raw_status})"
    provider = _provider_label(d.provider_type)
    if d.provider_name:
        provider = f"{provider} ({esc(d.provider_name)})"
    if d.plan is not None:
        plan_text = f"{esc(d.plan.provider_plan_id)}\n{d.plan.summary()}"
        price = f"{_money(d.plan.monthly)}\n{_money(d.plan.hourly, 'h', 4)}"
    else:
        plan_text = esc(d.plan_name or "—")
        price = "—"
    fields = [
        _md(f"*Provider*\n{provider}"),
        _md(f"*Region*\n{esc(d.region or '—')}"),
        _md(f"*Plan*\n{plan_text}"),
        _md(f"*Price* (incl. markup)\n{price}"),
        _md(f"*IPv4*\n`{esc(d.ipv4)}`" if d.ipv4 else "*IPv4*\n—"),
        _md(f"*IPv6*\n`{esc(d.ipv6)}`" if d.ipv6 else "*IPv6*\n—"),
        _md(f"*Image*\n{esc(d.image or '—')}"),
        _md(f"*Created by*\n<@{d.created_by}>" if d.created_by else "*Created by*\nunknown"),
        _md(f"*Created*\n{_date(d.created_at)}"),
    ]
    blocks: list[Block] = []
    if note:
        blocks.append(SectionBlock(text=_md(_cut(note, 3000))))
    blocks += [
        SectionBlock(text=_md(f"{icon} *{esc(d.label)}* — *{esc(state)}*")),
        SectionBlock(fields=fields),
    ]
    if d.note:
        blocks.append(ContextBlock(elements=[_md(_cut(esc(d.note), 3000))]))
    blocks.append(SectionBlock(text=_md(_cut(_activity_text(d.activity), 3000))))
    power = [a for a in _POWER_ACTIONS if a in actions]
    manage: list[ButtonElement] = []
    if "rebuild" in actions:
        manage.append(ButtonElement(action_id=ACTION_REBUILD, text="Rebuild…", value=d.id))
    if "resize" in actions:
        manage.append(ButtonElement(action_id=ACTION_RESIZE, text="Resize…", value=d.id))
    if "delete" in actions:
        manage.append(
            ButtonElement(action_id=ACTION_DELETE, text="Delete…", value=d.id, style="danger")
        )
    if power:
        blocks.append(
            ActionsBlock(block_id="vps_power", elements=[_action_button(a, d.id) for a in power])
        )
    manage.append(ButtonElement(action_id=ACTION_REFRESH, text="Refresh", value=d.id))
    blocks.append(ActionsBlock(block_id="vps_manage", elements=manage))
    if managed_by is not None:
        blocks.append(
            ContextBlock(
                elements=[_md(f"Only <@{managed_by}> or a vpsbot admin can manage this server.")]
            )
        )
    text = f"{d.label} on {provider}: {state}"
    return text, blocks


# --------------------------------------------------------------------------- modals


@dataclass(frozen=True)
class ModalTarget:
    """What a modal is about; stored in private_metadata (untrusted on the way back)."""

    instance_id: str
    label: str
    channel_id: str | None = None

    def encode(self) -> str:
        return json.dumps({"id": self.instance_id, "c": self.channel_id}, separators=(",", ":"))

    @staticmethod
    def decode(raw: str | None) -> tuple[str, str | None]:
        """(instance id, channel id) from private_metadata; empty strings when unreadable."""
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return "", None
        if not isinstance(data, dict):
            return "", None
        instance_id = data.get("id")
        channel = data.get("c")
        return (
            instance_id if isinstance(instance_id, str) else "",
            channel if isinstance(channel, str) and len(channel) <= 32 else None,
        )


def _modal(
    callback_id: str,
    title: str,
    target: ModalTarget,
    blocks: list[Block],
    submit: str | None,
) -> View:
    return View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=_cut(title, 24)),
        submit=PlainTextObject(text=submit) if submit else None,
        close=PlainTextObject(text="Cancel"),
        private_metadata=target.encode(),
        blocks=blocks,
    )


def message_modal(title: str, text: str) -> View:
    return View(
        type="modal",
        callback_id="vps_server_message",
        title=PlainTextObject(text=_cut(title, 24)),
        close=PlainTextObject(text="Close"),
        blocks=[SectionBlock(text=_md(_cut(text, 3000)))],
    )


def rebuild_modal(
    target: ModalTarget,
    images: Sequence[Image] | None,
    *,
    password: bool,
    current_image: str | None = None,
) -> View:
    """Pick an image (and, where the provider takes one, a new root password).

    ``images`` None: still loading. More than 100 images: an external select.
    """
    blocks: list[Block] = [
        SectionBlock(
            text=_md(
                f":warning: Rebuilding *{esc(target.label)}* erases its disk and installs "
                "the image you choose. The IP addresses stay."
            )
        )
    ]
    if images is None:
        blocks.append(SectionBlock(text=_md(":hourglass_flowing_sand: Loading images…")))
        return _modal(CALLBACK_REBUILD, "Rebuild server", target, blocks, None)
    if not images:
        blocks.append(SectionBlock(text=_md("The provider offers no image to rebuild with.")))
        return _modal(CALLBACK_REBUILD, "Rebuild server", target, blocks, None)
    element: Any
    if len(images) > MAX_STATIC_OPTIONS:
        element = ExternalDataSelectElement(
            action_id=ACTION_REBUILD_IMAGE,
            min_query_length=0,
            placeholder=f"Type to search {len(images)} images",
        )
    else:
        groups = image_options(list(images))
        element = StaticSelectElement(
            action_id=ACTION_REBUILD_IMAGE,
            placeholder="Choose an operating system",
            option_groups=groups,
            initial_option=next(
                (o for g in groups for o in (g.options or []) if o.value == current_image), None
            ),
        )
    blocks.append(InputBlock(block_id="image", label="Image", element=element))
    if password:
        blocks.append(
            InputBlock(
                block_id="password",
                label="New root password",
                optional=True,
                hint=PlainTextObject(
                    text="Leave blank to have a strong one generated and shown to you once."
                ),
                element=PlainTextInputElement(action_id="password", max_length=128),
            )
        )
    else:
        blocks.append(
            ContextBlock(
                elements=[_md("The root password is not changed; SSH keys on the server stay.")]
            )
        )
    return _modal(CALLBACK_REBUILD, "Rebuild server", target, blocks, "Rebuild")


def resize_modal(
    target: ModalTarget,
    plans: Sequence[PlanChoice],
    *,
    current: PlanChoice | None = None,
    hint: str | None = None,
) -> View:
    """Pick one of the provider's active plans (the current one is not offered)."""
    blocks: list[Block] = []
    now = (
        f"{esc(current.provider_plan_id)} ({current.summary()}, {current.price()})"
        if (current)
        else "unknown"
    )
    blocks.append(SectionBlock(text=_md(f"*{esc(target.label)}* runs on {now}.")))
    if not plans:
        blocks.append(SectionBlock(text=_md("No other plan is offered for this provider.")))
        return _modal(CALLBACK_RESIZE, "Resize server", target, blocks, None)
    element: Any
    if len(plans) > MAX_STATIC_OPTIONS:
        element = ExternalDataSelectElement(
            action_id=ACTION_RESIZE_PLAN, min_query_length=0, placeholder="Type to search plans"
        )
    else:
        element = StaticSelectElement(
            action_id=ACTION_RESIZE_PLAN,
            placeholder="Choose a plan",
            options=[plan_option(p) for p in plans],
        )
    blocks.append(InputBlock(block_id="plan", label="New plan", element=element))
    if hint:
        blocks.append(ContextBlock(elements=[_md(hint)]))
    return _modal(CALLBACK_RESIZE, "Resize server", target, blocks, "Resize")


def delete_modal(target: ModalTarget) -> View:
    """Ask the user to type the label; the submission compares it server-side."""
    blocks: list[Block] = [
        SectionBlock(
            text=_md(
                f":warning: Deleting *{esc(target.label)}* destroys the server and its disk "
                "at the provider. This cannot be undone."
            )
        ),
        InputBlock(
            block_id="confirm_label",
            label="Type the server's label to confirm",
            element=PlainTextInputElement(
                action_id="label", placeholder=_cut(target.label, 150), max_length=64
            ),
        ),
    ]
    return _modal(CALLBACK_DELETE, "Delete server", target, blocks, "Delete")
