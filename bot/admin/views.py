"""Pure builders of the `/vps admin` modals and the `/vps log` message.

Each builder takes plain data and returns a :class:`View` (or message blocks);
nothing here talks to Slack, a provider or the database. Tokens never reach a
builder: forms ask for one and nothing shows it again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    OptionGroup,
    OverflowMenuElement,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from providers.models import DeploymentOption
from providers.registry import display_name

__all__ = [
    "ADD",
    "ALLOW",
    "CALLBACK_PREFIX",
    "DELETE",
    "HOME",
    "IMPORT",
    "MARKUP",
    "MAX_PROVIDERS",
    "PLANS",
    "PLANS_PAGE_SIZE",
    "RENAME",
    "ROTATE",
    "Capability",
    "LogEntry",
    "Notice",
    "PlanRow",
    "ProviderStatus",
    "add_provider_view",
    "allowlist_view",
    "delete_view",
    "detail_of",
    "home_view",
    "import_view",
    "log_message",
    "markup_view",
    "metadata",
    "plans_view",
    "rename_view",
    "rotate_view",
]

CALLBACK_PREFIX = "vps_admin:"
HOME = CALLBACK_PREFIX + "home"
ADD = CALLBACK_PREFIX + "add"
RENAME = CALLBACK_PREFIX + "rename"
ROTATE = CALLBACK_PREFIX + "rotate"
DELETE = CALLBACK_PREFIX + "delete"
PLANS = CALLBACK_PREFIX + "plans"
IMPORT = CALLBACK_PREFIX + "import"
MARKUP = CALLBACK_PREFIX + "markup"
ALLOW = CALLBACK_PREFIX + "allow"

#: Action ids (button values carry ids; every handler re-checks them server-side).
ADD_ACTION = "admin_add_provider"
REFRESH_ACTION = "admin_refresh"
PLANS_ACTION = "admin_plans"
ALLOW_ACTION = "admin_allowlist"
CHECK_ACTION = "admin_check"
TOGGLE_ACTION = "admin_toggle"
MORE_ACTION = "admin_more"
IMPORT_ACTION = "admin_import"
PLAN_ACTION = "admin_plan"
PAGE_ACTION = "admin_plans_page"

TITLE = "vpsbot admin"
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_BLOCKS = 50
#: Four blocks a provider plus the header: the home modal stays within 100 blocks.
MAX_PROVIDERS = 24
PLANS_PAGE_SIZE = 40
_MAX_OPTIONS = 100
_MAX_GROUPS = 100
_KIND_NAMES = {"oneclick": "1-Click apps", "stackscript": "StackScripts"}


# ---------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Notice:
    """One line shown at the top of a view after an action."""

    text: str
    ok: bool = True


@dataclass(frozen=True)
class Capability:
    label: str
    supported: bool


@dataclass(frozen=True)
class ProviderStatus:
    """What the home modal shows about one provider (never its token)."""

    id: str
    name: str
    type: str
    active: bool
    credentials_valid: bool | None = None
    last_checked_at: datetime | None = None
    last_success_at: datetime | None = None
    rate_limit: int | None = None
    rate_remaining: int | None = None
    rate_reset_at: float | None = None
    capabilities: tuple[Capability, ...] = ()
    deployment_kind: str = ""
    servers: int = 0
    plans_total: int = 0
    plans_active: int = 0
    allowed_deployments: int | None = None  # None: all allowed
    api_url: str | None = None
    problem: str | None = None  # e.g. the stored token cannot be decrypted

    @property
    def type_name(self) -> str:
        return display_name(self.type)

    @property
    def deployment_name(self) -> str:
        return _KIND_NAMES.get(self.deployment_kind, "deployment options")


@dataclass(frozen=True)
class PlanRow:
    id: str
    provider_plan_id: str
    name: str
    base_price: Decimal
    markup_price: Decimal
    active: bool
    vcpus: int = 0
    memory_mb: int = 0
    disk_gb: int = 0

    @property
    def monthly(self) -> Decimal:
        return self.base_price + self.markup_price

    def summary(self) -> str:
        memory = (
            f"{self.memory_mb / 1024:g} GB" if self.memory_mb >= 1024 else f"{self.memory_mb} MB"
        )
        return f"{self.vcpus} vCPU · {memory} RAM · {self.disk_gb} GB disk"


@dataclass(frozen=True)
class LogEntry:
    when: datetime
    event_type: str
    status: str
    user_id: str | None = None
    entity_type: str | None = None
    entity_name: str | None = None
    detail: str = ""


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The ``private_metadata`` of one of these views, decoded (``{}`` when absent/garbled)."""
    try:
        decoded = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


# ---------------------------------------------------------------------------- helpers


def _cut(text: str, limit: int = 75) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=_cut(text, 3000))


def _escape(text: str) -> str:
    """Slack mrkdwn control characters in user-supplied names."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _when(moment: datetime | None, never: str = "never") -> str:
    if moment is None:
        return never
    epoch = int(moment.timestamp())
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{fallback}>"


def _modal(
    callback_id: str,
    blocks: list[Block],
    *,
    title: str = TITLE,
    submit: str | None = None,
    close: str = "Back",
    meta: dict[str, Any] | None = None,
) -> View:
    return View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=_cut(title, 24)),
        submit=PlainTextObject(text=submit) if submit else None,
        close=PlainTextObject(text=close),
        blocks=blocks[:MAX_VIEW_BLOCKS],
        private_metadata=json.dumps(meta or {}, separators=(",", ":")),
    )


def _notice(notice: Notice | None) -> list[Block]:
    if notice is None:
        return []
    icon = ":white_check_mark:" if notice.ok else ":warning:"
    return [ContextBlock(block_id="notice", elements=[_md(f"{icon} {notice.text}")])]


def _markup_inputs(kind: str, value: str | None) -> list[Block]:
    kinds = [
        Option(value="percent", text="Percent of the base price"),
        Option(value="amount", text="Fixed amount (USD a month)"),
    ]
    return [
        InputBlock(
            block_id="markup_kind",
            label="Markup",
            element=RadioButtonsElement(
                action_id="markup_kind",
                options=kinds,
                initial_option=next((o for o in kinds if o.value == kind), kinds[0]),
            ),
        ),
        InputBlock(
            block_id="markup",
            label="Value",
            hint=PlainTextObject(text="A number ≥ 0, e.g. 20 (percent) or 1.50 (USD)"),
            element=PlainTextInputElement(
                action_id="markup", initial_value=value or None, max_length=12
            ),
        ),
    ]


# ---------------------------------------------------------------------------- home


def _credentials(p: ProviderStatus) -> str:
    if p.problem:
        return f":x: {p.problem}"
    if p.credentials_valid is None:
        return ":grey_question: not checked yet"
    if p.credentials_valid:
        return ":white_check_mark: valid"
    return ":x: rejected — rotate the token"


def _rate(p: ProviderStatus) -> str:
    if p.rate_remaining is None:
        return "unknown until the next call"
    text = f"{p.rate_remaining:,}"
    if p.rate_limit is not None:
        text += f" of {p.rate_limit:,}"
    text += " left"
    if p.rate_reset_at:
        epoch = int(p.rate_reset_at)
        text += f", resets <!date^{epoch}^{{time}}|at {epoch}>"
    return text


def _capabilities(p: ProviderStatus) -> str:
    if not p.capabilities:
        return "unknown"
    return " · ".join(
        f"{':white_check_mark:' if c.supported else ':heavy_minus_sign:'} {c.label}"
        for c in p.capabilities
    )


def _provider_blocks(p: ProviderStatus) -> list[Block]:
    state = (
        ":large_green_circle: *active*"
        if p.active
        else ":black_circle: *inactive* — hidden from `/vps create`"
    )
    servers = f"{p.servers} server{'s' if p.servers != 1 else ''}"
    plans = f"{p.plans_active} of {p.plans_total} plans offered"
    header = f"*{_escape(p.name)}* · {p.type_name}\n{state} · {servers} · {plans}"
    more = [
        Option(value=f"rename:{p.id}", text="Edit name"),
        Option(value=f"rotate:{p.id}", text="Rotate token"),
        Option(value=f"delete:{p.id}", text="Delete…"),
    ]
    allow = "all allowed" if p.allowed_deployments is None else f"{p.allowed_deployments} allowed"
    fields = [
        _md(f"*Credentials*\n{_credentials(p)}"),
        _md(f"*Last check*\n{_when(p.last_checked_at)}"),
        _md(f"*Last successful call*\n{_when(p.last_success_at)}"),
        _md(f"*Rate limit*\n{_rate(p)}"),
        _md(f"*Capabilities*\n{_capabilities(p)}"),
        _md(f"*{p.deployment_name}*\n{allow}"),
    ]
    if p.api_url:
        fields.append(_md(f"*API URL*\n`{_cut(p.api_url, 200)}`"))
    toggle = (
        ButtonElement(action_id=TOGGLE_ACTION, text="Deactivate", value=f"off:{p.id}")
        if p.active
        else ButtonElement(
            action_id=TOGGLE_ACTION, text="Activate", value=f"on:{p.id}", style="primary"
        )
    )
    return [
        DividerBlock(),
        SectionBlock(
            block_id=f"provider:{p.id}",
            text=_md(header),
            accessory=OverflowMenuElement(action_id=MORE_ACTION, options=more),
        ),
        SectionBlock(block_id=f"status:{p.id}", fields=fields),
        ActionsBlock(
            block_id=f"actions:{p.id}",
            elements=[
                ButtonElement(action_id=PLANS_ACTION, text="Plans", value=p.id),
                ButtonElement(
                    action_id=ALLOW_ACTION, text=f"Allowed {p.deployment_name}"[:75], value=p.id
                ),
                ButtonElement(action_id=CHECK_ACTION, text="Check now", value=p.id),
                toggle,
            ],
        ),
    ]


def home_view(providers: list[ProviderStatus], notice: Notice | None = None) -> View:
    """The `/vps admin` root: every provider with its health and what can be done with it."""
    blocks: list[Block] = [
        SectionBlock(
            block_id="intro",
            text=_md(
                "*Providers* — what `/vps create` offers. Deactivating hides a provider "
                "from new servers; its existing servers stay manageable."
            ),
        ),
        ActionsBlock(
            block_id="home_actions",
            elements=[
                ButtonElement(
                    action_id=ADD_ACTION, text="Add provider", value="add", style="primary"
                ),
                ButtonElement(action_id=REFRESH_ACTION, text="Refresh", value="refresh"),
            ],
        ),
        *_notice(notice),
    ]
    if not providers:
        blocks.append(
            SectionBlock(
                block_id="empty", text=_md("No provider yet. Add one to let people create servers.")
            )
        )
    for p in providers[:MAX_PROVIDERS]:
        blocks += _provider_blocks(p)
    hidden = len(providers) - MAX_PROVIDERS
    if hidden > 0:
        blocks.append(
            ContextBlock(
                block_id="more",
                elements=[_md(f"{hidden} more provider(s) not shown; see `vpsbot provider list`.")],
            )
        )
    return _modal(HOME, blocks, close="Done")


# ---------------------------------------------------------------------------- provider forms


def add_provider_view(
    types: list[tuple[str, str]], *, root: str, errors: dict[str, str] | None = None
) -> View:
    """The "Add provider" form; ``types`` are (type, display name) pairs."""
    options = [Option(value=t, text=name) for t, name in types]
    blocks: list[Block] = [
        InputBlock(
            block_id="type",
            label="Provider",
            element=StaticSelectElement(
                action_id="type", options=options, initial_option=options[0] if options else None
            ),
        ),
        InputBlock(
            block_id="name",
            label="Name",
            hint=PlainTextObject(text="How people see it in /vps create, e.g. “DigitalOcean EU”"),
            element=PlainTextInputElement(action_id="name", max_length=100),
        ),
        InputBlock(
            block_id="token",
            label="API token",
            hint=PlainTextObject(
                text="Checked live before anything is stored; kept encrypted, never shown again"
            ),
            element=PlainTextInputElement(action_id="token", max_length=500),
        ),
        InputBlock(
            block_id="api_url",
            label="API URL",
            optional=True,
            hint=PlainTextObject(text="Only for a proxy or a test endpoint; empty = the default"),
            element=PlainTextInputElement(
                action_id="api_url", max_length=300, placeholder="https://…"
            ),
        ),
    ]
    if errors:
        blocks.insert(0, ContextBlock(elements=[_md(":warning: " + " ".join(errors.values()))]))
    return _modal(ADD, blocks, title="Add provider", submit="Add", meta={"root": root})


def rename_view(p: ProviderStatus, *, root: str) -> View:
    blocks: list[Block] = [
        InputBlock(
            block_id="name",
            label="Name",
            element=PlainTextInputElement(action_id="name", initial_value=p.name, max_length=100),
        )
    ]
    return _modal(
        RENAME, blocks, title="Edit provider", submit="Save", meta={"provider": p.id, "root": root}
    )


def rotate_view(p: ProviderStatus, *, root: str) -> View:
    blocks: list[Block] = [
        SectionBlock(
            text=_md(
                f"The new token for *{_escape(p.name)}* is checked with {p.type_name} before it "
                "replaces the stored one. It is stored encrypted and never shown again."
            )
        ),
        InputBlock(
            block_id="token",
            label="New API token",
            element=PlainTextInputElement(action_id="token", max_length=500),
        ),
    ]
    return _modal(
        ROTATE, blocks, title="Rotate token", submit="Rotate", meta={"provider": p.id, "root": root}
    )


def delete_view(p: ProviderStatus, *, root: str) -> View:
    name = _escape(p.name)
    blocks: list[Block]
    if p.servers:
        blocks = [
            SectionBlock(
                text=_md(
                    f":warning: *{p.servers} server(s)* still use *{name}*. Deleting it keeps "
                    f"them running at {p.type_name}, but vpsbot can no longer manage them. "
                    "To keep them manageable, deactivate the provider instead."
                )
            ),
            InputBlock(
                block_id="confirm",
                label="Confirm",
                optional=True,
                element=CheckboxesElement(
                    action_id="confirm",
                    options=[
                        Option(
                            value="force",
                            text=f"Delete anyway: {p.servers} server(s) lose their provider",
                        )
                    ],
                ),
            ),
        ]
    else:
        blocks = [
            SectionBlock(
                text=_md(
                    f"Delete *{name}* and its {p.plans_total} plan(s)? No server uses it. "
                    "This cannot be undone."
                )
            )
        ]
    return _modal(
        DELETE,
        blocks,
        title="Delete provider",
        submit="Delete",
        close="Cancel",
        meta={"provider": p.id, "root": root},
    )


# ---------------------------------------------------------------------------- plans


def _plan_block(plan: PlanRow) -> Block:
    state = ":white_check_mark: offered" if plan.active else ":no_entry_sign: disabled"
    text = (
        f"*{_escape(plan.name)}* `{plan.provider_plan_id}` — {plan.summary()}\n"
        f"${plan.base_price:.2f} + ${plan.markup_price:.2f} markup = "
        f"*${plan.monthly:.2f}/mo* · {state}"
    )
    options = [
        Option(value=f"markup:{plan.id}", text="Edit markup"),
        Option(value=f"disable:{plan.id}", text="Disable")
        if plan.active
        else Option(value=f"enable:{plan.id}", text="Enable"),
    ]
    return SectionBlock(
        block_id=f"plan:{plan.id}",
        text=_md(text),
        accessory=OverflowMenuElement(action_id=PLAN_ACTION, options=options),
    )


def plans_view(
    p: ProviderStatus,
    plans: list[PlanRow],
    *,
    root: str,
    page: int = 0,
    notice: Notice | None = None,
) -> View:
    """A provider's plans, a page at a time: markup, price and whether users see them."""
    pages = max(1, -(-len(plans) // PLANS_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = plans[page * PLANS_PAGE_SIZE : (page + 1) * PLANS_PAGE_SIZE]
    offered = sum(1 for plan in plans if plan.active)
    blocks: list[Block] = [
        SectionBlock(
            block_id="plans_intro",
            text=_md(
                f"*Plans of {_escape(p.name)}* — {offered} of {len(plans)} offered in "
                "`/vps create`. Monthly price = base + markup."
            ),
            accessory=ButtonElement(
                action_id=IMPORT_ACTION, text="Import from catalogue", value=p.id
            ),
        ),
        *_notice(notice),
    ]
    if not plans:
        blocks.append(
            SectionBlock(
                block_id="no_plans",
                text=_md(f"No plans yet: import {p.type_name}'s catalogue with a markup."),
            )
        )
    blocks += [_plan_block(plan) for plan in shown]
    if pages > 1:
        nav: list[ButtonElement] = []
        if page > 0:
            nav.append(ButtonElement(action_id=PAGE_ACTION, text="← Previous", value=str(page - 1)))
        if page < pages - 1:
            nav.append(ButtonElement(action_id=PAGE_ACTION, text="Next →", value=str(page + 1)))
        blocks.append(ActionsBlock(block_id="plans_nav", elements=nav))
        blocks.append(ContextBlock(elements=[_md(f"Page {page + 1} of {pages}")]))
    return _modal(
        PLANS,
        blocks,
        title="Plans",
        close="Back",
        meta={"provider": p.id, "root": root, "page": page},
    )


def import_view(p: ProviderStatus, *, parent: str, root: str = "", page: int = 0) -> View:
    blocks: list[Block] = [
        SectionBlock(
            text=_md(
                f"Import every plan {p.type_name} offers to *{_escape(p.name)}*. Importing again "
                "updates prices, specifications and markup; it never duplicates a plan, and "
                "disabled plans stay disabled."
            )
        ),
        *_markup_inputs("percent", None),
    ]
    return _modal(
        IMPORT,
        blocks,
        title="Import plans",
        submit="Import",
        meta={"provider": p.id, "parent": parent, "root": root, "page": page},
    )


def markup_view(
    p: ProviderStatus, plan: PlanRow, *, parent: str, root: str = "", page: int = 0
) -> View:
    blocks: list[Block] = [
        SectionBlock(
            text=_md(
                f"*{_escape(plan.name)}* `{plan.provider_plan_id}` on {_escape(p.name)}\n"
                f"Base price ${plan.base_price:.2f}/mo, now ${plan.monthly:.2f}/mo to users."
            )
        ),
        *_markup_inputs("amount", f"{plan.markup_price:.2f}"),
    ]
    return _modal(
        MARKUP,
        blocks,
        title="Edit markup",
        submit="Save",
        meta={"provider": p.id, "plan": plan.id, "parent": parent, "root": root, "page": page},
    )


# ---------------------------------------------------------------------------- allowlist


def _deployment_groups(options: list[DeploymentOption]) -> tuple[list[OptionGroup], int]:
    """Options grouped by category, ≤100 a group and ≤100 groups; also how many were left out."""
    by_category: dict[str, list[DeploymentOption]] = defaultdict(list)
    for option in options:
        by_category[option.category or "Other"].append(option)
    groups: list[OptionGroup] = []
    placed = 0
    for category in sorted(by_category, key=str.lower):
        items = sorted(by_category[category], key=lambda o: o.name.lower())
        chunks = [items[i : i + _MAX_OPTIONS] for i in range(0, len(items), _MAX_OPTIONS)]
        for n, chunk in enumerate(chunks):
            if len(groups) >= _MAX_GROUPS:
                break
            label = category if len(chunks) == 1 else f"{category} ({n + 1})"
            groups.append(
                OptionGroup(
                    label=_cut(label),
                    options=[Option(value=o.id[:150], text=_cut(o.name)) for o in chunk],
                )
            )
            placed += len(chunk)
    return groups, len(options) - placed


def allowlist_view(
    p: ProviderStatus,
    options: list[DeploymentOption] | None,
    allowed: list[str] | None,
    *,
    root: str,
    error: str | None = None,
) -> View:
    """Which 1-Click apps / StackScripts users may deploy (``options`` None: still loading)."""
    title = f"Allowed {p.deployment_name}"
    meta = {"provider": p.id, "root": root}
    if error is not None:
        blocks: list[Block] = [SectionBlock(text=_md(f":warning: {error}"))]
        return _modal(ALLOW, blocks, title=title, meta=meta)
    if options is None:
        blocks = [
            SectionBlock(
                text=_md(f":hourglass_flowing_sand: Loading {p.type_name}'s {p.deployment_name}…")
            )
        ]
        return _modal(ALLOW, blocks, title=title, meta=meta)
    modes = [
        Option(value="all", text=f"Allow all {p.deployment_name}"),
        Option(value="selected", text="Allow only the ones selected below"),
    ]
    blocks = [
        SectionBlock(
            text=_md(
                f"Which {p.deployment_name} of *{_escape(p.name)}* people may deploy with "
                "`/vps create`. A plain operating system is always allowed."
            )
        ),
        InputBlock(
            block_id="mode",
            label="Allow",
            element=RadioButtonsElement(
                action_id="mode",
                options=modes,
                initial_option=modes[0] if allowed is None else modes[1],
            ),
        ),
    ]
    if options:
        groups, left_out = _deployment_groups(options)
        permitted = set(allowed or [])
        initial = [o for g in groups for o in (g.options or []) if o.value in permitted]
        blocks.append(
            InputBlock(
                block_id="allowed",
                label=f"Allowed {p.deployment_name}"[:2000],
                optional=True,
                element=StaticMultiSelectElement(
                    action_id="allowed",
                    placeholder=f"Choose {p.deployment_name}"[:150],
                    option_groups=groups,
                    initial_options=initial or None,
                ),
            )
        )
        if left_out:
            blocks.append(
                ContextBlock(elements=[_md(f"{left_out} more not listed (too many to show).")])
            )
    else:
        blocks.append(
            ContextBlock(elements=[_md(f"{p.type_name} lists no {p.deployment_name} right now.")])
        )
    return _modal(ALLOW, blocks, title=title, submit="Save", meta=meta)


# ---------------------------------------------------------------------------- log

_STATUS_ICONS = {
    "success": ":white_check_mark:",
    "warning": ":warning:",
    "error": ":x:",
    "info": ":information_source:",
}
_LINES_PER_SECTION = 6


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
        target = f" {kind} *{_escape(_cut(entry.entity_name, 80))}*".replace("  ", " ")
    detail = f" ({_escape(_cut(entry.detail, 120))})" if entry.detail else ""
    return f"{icon} {_when(entry.when)} {who} `{entry.event_type}`{target}{detail} — {entry.status}"


def log_message(entries: list[LogEntry], requested: int) -> tuple[str, list[Block]]:
    """(fallback text, blocks) of `/vps log`: newest first, ≤50 blocks whatever ``requested``."""
    if not entries:
        text = "No activity recorded yet."
        return text, [SectionBlock(text=_md(text))]
    heading = f"*Latest activity* — {len(entries)} event(s), newest first"
    lines = [_log_line(entry) for entry in entries]
    blocks: list[Block] = [SectionBlock(text=_md(heading))]
    for start in range(0, len(lines), _LINES_PER_SECTION):
        chunk = "\n".join(lines[start : start + _LINES_PER_SECTION])
        blocks.append(SectionBlock(text=_md(chunk)))
    if len(entries) < requested:
        blocks.append(ContextBlock(elements=[_md("That is everything recorded so far.")]))
    text = f"Latest activity: {len(entries)} event(s)"
    return text, blocks[:MAX_MESSAGE_BLOCKS]
