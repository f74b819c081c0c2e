"""Pure builder of one server's details message (``/vps show``, Details, Refresh):
what it is, what it costs where it runs, its recent activity and the buttons the
viewer may press (from the action table, :mod:`bot.core.actions`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    SectionBlock,
)

from bot.core.actions import ACTIONS, DIRECT
from bot.core.blocks import STATUS_ICONS, PlanChoice, cut, date, esc, md, money
from bot.status.views import create_again_button
from providers.registry import display_name

__all__ = [
    "ACTION_BUTTON_PREFIX",
    "ACTION_DELETE",
    "ACTION_REBUILD",
    "ACTION_REFRESH",
    "ACTION_RESIZE",
    "ActivityLine",
    "ServerDetails",
    "details_message",
]

#: Direct actions (power and reboot) are ``vps_act_<action>`` buttons.
ACTION_BUTTON_PREFIX = "vps_act_"
ACTION_REBUILD = "vps_rebuild"
ACTION_RESIZE = "vps_resize"
ACTION_DELETE = "vps_delete"
ACTION_REFRESH = "vps_refresh"


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
    provider_type: str
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
    #: what the server is charged (monthly, hourly; options such as backups
    #: included), as the claim stored it; shown rather than the plan's list price
    charged: tuple[Decimal, Decimal] | None = None


_RESULT_ICONS = {"success": ":white_check_mark:", "error": ":x:", "warning": ":warning:"}


def _activity_text(lines: Sequence[ActivityLine]) -> str:
    if not lines:
        return "*Recent activity*\nNothing recorded yet."
    rows = []
    for line in lines[:5]:
        icon = _RESULT_ICONS.get(line.status, "•")
        word = line.event.removeprefix("vps.").replace("_", " ")
        who = f" by <@{line.user_id}>" if line.user_id else ""
        rows.append(f"{icon} {date(line.when)} — {esc(word)} ({line.status}){who}")
    return "*Recent activity*\n" + "\n".join(rows)


def _action_button(name: str, instance_id: str) -> ButtonElement:
    action = ACTIONS[name]
    confirm = None
    if action.destructive and action.confirm:
        confirm = ConfirmObject(
            title=f"{action.word}?",
            text=action.confirm,
            confirm=action.word,
            deny="Cancel",
            style="danger",
        )
    return ButtonElement(
        action_id=ACTION_BUTTON_PREFIX + name,
        text=action.word,
        value=instance_id,
        confirm=confirm,
        style="danger" if confirm else None,
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
    provider = display_name(d.provider_type)
    if d.provider_name:
        provider = f"{provider} ({esc(d.provider_name)})"
    if d.plan is not None:
        plan_text = f"{esc(d.plan.provider_plan_id)}\n{d.plan.summary()}"
        monthly, hourly = d.plan.monthly_in(d.region), d.plan.hourly_in(d.region)
        price = f"{money(monthly)}\n{money(hourly, 'h', 4)}"
    else:
        plan_text = esc(d.plan_name or "—")
        price = "—"
    if d.charged is not None:
        price = f"{money(d.charged[0])}\n{money(d.charged[1], 'h', 4)}"
    fields = [
        md(f"*Provider*\n{provider}"),
        md(f"*Region*\n{esc(d.region or '—')}"),
        md(f"*Plan*\n{plan_text}"),
        md(f"*Price* (incl. markup)\n{price}"),
        md(f"*IPv4*\n`{esc(d.ipv4)}`" if d.ipv4 else "*IPv4*\n—"),
        md(f"*IPv6*\n`{esc(d.ipv6)}`" if d.ipv6 else "*IPv6*\n—"),
        md(f"*Image*\n{esc(d.image or '—')}"),
        md(f"*Created by*\n<@{d.created_by}>" if d.created_by else "*Created by*\nunknown"),
        md(f"*Created*\n{date(d.created_at)}"),
    ]
    blocks: list[Block] = []
    if note:
        blocks.append(SectionBlock(text=md(cut(note, 3000))))
    blocks += [
        SectionBlock(text=md(f"{icon} *{esc(d.label)}* — *{esc(state)}*")),
        SectionBlock(fields=fields),
    ]
    if d.note:
        blocks.append(ContextBlock(elements=[md(cut(esc(d.note), 3000))]))
    blocks.append(SectionBlock(text=md(cut(_activity_text(d.activity), 3000))))
    power = [a for a in DIRECT if a in actions]
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
    if d.status not in ("deleted", "deleting"):
        manage.append(create_again_button(d.id))
    manage.append(ButtonElement(action_id=ACTION_REFRESH, text="Refresh", value=d.id))
    blocks.append(ActionsBlock(block_id="vps_manage", elements=manage))
    if managed_by is not None:
        blocks.append(
            ContextBlock(
                elements=[md(f"Only <@{managed_by}> or a vpsbot admin can manage this server.")]
            )
        )
    text = f"{esc(d.label)} on {provider}: {esc(state)}"
    return text, blocks
