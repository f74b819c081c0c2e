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
    Option,
    OverflowMenuElement,
    SectionBlock,
)

from bot.core.actions import ACTIONS
from bot.core.blocks import STATUS_ICONS, PlanChoice, cut, date, esc, md, money
from bot.status.leases import EXTEND_ACTION
from bot.status.views import create_again_button
from providers.registry import display_name

__all__ = [
    "ACTION_BUTTON_PREFIX",
    "ACTION_DELETE",
    "ACTION_EXTEND",
    "ACTION_MORE",
    "ACTION_REBUILD",
    "ACTION_REFRESH",
    "ACTION_RESIZE",
    "ActivityLine",
    "ServerDetails",
    "action_elements",
    "confirm_message",
    "details_message",
]

#: Direct actions (power and reboot) are ``vps_act_<action>`` buttons.
ACTION_BUTTON_PREFIX = "vps_act_"
ACTION_REBUILD = "vps_rebuild"
ACTION_RESIZE = "vps_resize"
ACTION_DELETE = "vps_delete"
ACTION_REFRESH = "vps_refresh"
#: The overflow menu of the less common actions; its options are ``<action>:<id>``.
ACTION_MORE = "vps_more"
#: Extend the lease (the approvals feature opens the choice of how long).
ACTION_EXTEND = EXTEND_ACTION


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
    #: when the lease ends (None: no lease) and when it ended, if it has
    expires_at: datetime | None = None
    lease_ended_at: datetime | None = None
    #: the region's name as its provider gives it ("Frankfurt 1"), if known
    region_name: str | None = None
    #: ``1-Click app: WordPress`` / ``StackScript: LAMP`` (None: a plain OS)
    software: str | None = None


def _software_text(d: ServerDetails) -> str:
    """The image, or the 1-Click app or StackScript it was made with (and on what)."""
    if d.software is None:
        return f"*Image*\n{esc(d.image or '—')}"
    kind, _, name = d.software.partition(": ")
    return f"*{esc(kind)}*\n{esc(name or kind)}" + (f" on {esc(d.image)}" if d.image else "")


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
    """A visible action's button; every one but Power on says first what it does."""
    action = ACTIONS[name]
    confirm = None
    if action.explain and name != "power_on":
        confirm = ConfirmObject(
            title=f"{action.word}?",
            text=action.explain,
            confirm=action.word,
            deny="Cancel",
            style="danger" if action.destructive else None,
        )
    return ButtonElement(
        action_id=ACTION_BUTTON_PREFIX + name,
        text=action.word,
        value=instance_id,
        confirm=confirm,
    )


def _more_option(name: str, instance_id: str) -> Option:
    action = ACTIONS[name]
    dots = "…" if action.modal else ""
    return Option(value=f"{name}:{instance_id}", text=f"{action.word}{dots}")


def _modal_button(name: str, instance_id: str) -> ButtonElement:
    ids = {"rebuild": ACTION_REBUILD, "resize": ACTION_RESIZE, "delete": ACTION_DELETE}
    return ButtonElement(action_id=ids[name], text=f"{ACTIONS[name].word}…", value=instance_id)


def action_elements(
    instance_id: str, actions: Sequence[str], *, extend: bool
) -> list[ButtonElement | OverflowMenuElement]:
    """The common actions as buttons (no danger style), Extend when the server has a
    lease, Refresh, and the other actions in one overflow menu ("More")."""
    shown = [a for a in ACTIONS if a in actions]
    elements: list[ButtonElement | OverflowMenuElement] = [
        _action_button(a, instance_id) for a in shown if ACTIONS[a].common
    ]
    if extend:
        elements.append(
            ButtonElement(action_id=ACTION_EXTEND, text="Extend lease…", value=instance_id)
        )
    elements.append(ButtonElement(action_id=ACTION_REFRESH, text="Refresh", value=instance_id))
    rest = [a for a in shown if not ACTIONS[a].common]
    if len(rest) == 1 and ACTIONS[rest[0]].modal:
        elements.append(_modal_button(rest[0], instance_id))
    elif rest:
        elements.append(
            OverflowMenuElement(
                action_id=ACTION_MORE,
                options=[_more_option(a, instance_id) for a in rest[:5]],
            )
        )
    return elements


def confirm_message(label: str, name: str, instance_id: str) -> tuple[str, list[Block]]:
    """An action chosen from the menu, said in full before it is sent: its button
    (the only danger style in sight when it is destructive) and Cancel."""
    action = ACTIONS[name]
    question = f"{action.word} *{esc(label)}*?"
    return question, [
        SectionBlock(text=md(f"{question}\n{action.explain}")),
        ActionsBlock(
            block_id="vps_confirm",
            elements=[
                ButtonElement(
                    action_id=ACTION_BUTTON_PREFIX + name,
                    text=action.word,
                    value=instance_id,
                    style="danger" if action.destructive else "primary",
                ),
                ButtonElement(action_id=ACTION_REFRESH, text="Cancel", value=instance_id),
            ],
        ),
    ]


def _lease_text(d: ServerDetails) -> str:
    if d.lease_ended_at is not None:
        return f"*Lease*\nended {date(d.lease_ended_at)}"
    if d.expires_at is None:
        return "*Lease*\nnone (kept until deleted)"
    return f"*Lease*\nends {date(d.expires_at)}"


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
    # the provider as the admin named it, the same everywhere
    provider = esc(d.provider_name) if d.provider_name else display_name(d.provider_type)
    if d.plan is not None:
        plan_text = esc(d.plan.headline())
        monthly, hourly = d.plan.monthly_in(d.region), d.plan.hourly_in(d.region)
        price = f"{money(monthly)}\n{money(hourly, 'h', 4)}"
    else:
        plan_text = esc(d.plan_name or "—")
        price = "—"
    if d.charged is not None:
        price = f"{money(d.charged[0])}\n{money(d.charged[1], 'h', 4)}"
    fields = [
        md(f"*Provider*\n{provider}"),
        md(f"*Region*\n{esc(d.region_name or d.region or '—')}"),
        md(f"*Plan*\n{plan_text}"),
        md(f"*Price* (incl. markup)\n{price}"),
        md(f"*IPv4*\n`{esc(d.ipv4)}`" if d.ipv4 else "*IPv4*\n—"),
        md(f"*IPv6*\n`{esc(d.ipv6)}`" if d.ipv6 else "*IPv6*\n—"),
        md(_software_text(d)),
        md(f"*Created by*\n<@{d.created_by}>" if d.created_by else "*Created by*\nunknown"),
        md(f"*Created*\n{date(d.created_at)}"),
        md(_lease_text(d)),
    ]
    blocks: list[Block] = []
    if note:
        blocks.append(SectionBlock(text=md(cut(note, 3000))))
    blocks += [
        SectionBlock(text=md(f"{icon} *{esc(d.label)}* — *{esc(state)}*")),
        SectionBlock(fields=fields),
    ]
    if d.note:
        # vpsbot's own mrkdwn (dates, mentions; labels in it escaped), as on the card
        blocks.append(ContextBlock(elements=[md(cut(d.note, 3000))]))
    blocks.append(SectionBlock(text=md(cut(_activity_text(d.activity), 3000))))
    if d.status not in ("deleting", "deleted"):
        elements = action_elements(d.id, actions, extend=bool(actions) and d.expires_at is not None)
        elements.append(create_again_button(d.id))
        blocks.append(ActionsBlock(block_id="vps_actions", elements=elements))
    if managed_by is not None:
        blocks.append(
            ContextBlock(
                elements=[md(f"Only <@{managed_by}> or a vpsbot admin can manage this server.")]
            )
        )
    text = f"{esc(d.label)} on {provider}: {esc(state)}"
    return text, blocks
