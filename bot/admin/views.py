"""The `/vps admin` home modal — providers, then the workspace's named vpsbot
admins — and the ids, data and modal frame every admin view shares.

Each builder takes plain data and returns a :class:`View`; nothing here talks to
Slack, a provider or the database. Tokens never reach a builder: forms ask for
one and nothing shows it again. The provider forms are :mod:`bot.admin.provider_forms`,
plans and allowlists :mod:`bot.admin.plan_views`, `/vps log` :mod:`bot.admin.log_views`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.core.blocks import cut, date, esc, md
from providers.registry import display_name

__all__ = [
    "ADD",
    "ADD_ACTION",
    "ADD_ADMIN_ACTION",
    "ALLOW",
    "ALLOW_ACTION",
    "CALLBACK_PREFIX",
    "CHECK_ACTION",
    "DELETE",
    "HOME",
    "IMPORT",
    "IMPORT_ACTION",
    "KIND_NAMES",
    "MARKUP",
    "MAX_ADMINS_SHOWN",
    "MAX_PROVIDERS",
    "MORE_ACTION",
    "PAGE_ACTION",
    "PLANS",
    "PLANS_ACTION",
    "PLAN_ACTION",
    "REFRESH_ACTION",
    "REMOVE_ADMIN_ACTION",
    "RENAME",
    "ROTATE",
    "TOGGLE_ACTION",
    "AdminRow",
    "Capability",
    "Notice",
    "ProviderStatus",
    "admin_blocks",
    "home_view",
    "metadata",
    "modal",
    "notice_blocks",
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
ADD_ADMIN_ACTION = "admin_add_admin"
REMOVE_ADMIN_ACTION = "admin_remove_admin"

TITLE = "vpsbot admin"
MAX_VIEW_BLOCKS = 100
#: Named admins listed on the home modal (each one block).
MAX_ADMINS_SHOWN = 10
#: Four blocks a provider, the header (3) and the admins section (at most
#: MAX_ADMINS_SHOWN + 4) with the two "more" lines: the home stays within 100 blocks.
MAX_PROVIDERS = 20
#: What each provider calls the things it can deploy on a new server.
KIND_NAMES = {"oneclick": "1-Click apps", "stackscript": "StackScripts"}


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
        return KIND_NAMES.get(self.deployment_kind, "deployment options")


@dataclass(frozen=True)
class AdminRow:
    """One named vpsbot admin as the home modal lists them."""

    user_id: str
    added_by: str | None = None  # themselves: they installed vpsbot
    added_at: datetime | None = None
    org_wide: bool = False  # named for the whole Grid org: not removable here

    @property
    def origin(self) -> str:
        if self.org_wide:
            return "named for the whole org"
        if self.added_by == self.user_id:
            return "installed vpsbot"
        if self.added_by == "operator":
            return "named by the operator"
        if self.added_by:
            return f"named by <@{self.added_by}>"
        return "named"


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The ``private_metadata`` of one of these views, decoded (``{}`` when absent/garbled)."""
    raw = view.get("private_metadata")
    try:
        decoded = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


# ---------------------------------------------------------------------------- frame


def modal(
    callback_id: str,
    blocks: list[Block],
    *,
    title: str = TITLE,
    submit: str | None = None,
    close: str = "Back",
    meta: dict[str, Any] | None = None,
) -> View:
    """An admin modal; ``meta`` (ids only, untrusted on return) goes in ``private_metadata``."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=cut(title, 24)),
        submit=PlainTextObject(text=submit) if submit else None,
        close=PlainTextObject(text=close),
        blocks=blocks[:MAX_VIEW_BLOCKS],
        private_metadata=json.dumps(meta or {}, separators=(",", ":")),
    )


def notice_blocks(notice: Notice | None) -> list[Block]:
    """The line at the top of a view saying what the last action did (none for None)."""
    if notice is None:
        return []
    icon = ":white_check_mark:" if notice.ok else ":warning:"
    return [ContextBlock(block_id="notice", elements=[md(f"{icon} {notice.text}")])]


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
    header = f"*{esc(p.name)}* · {p.type_name}\n{state} · {servers} · {plans}"
    more = [
        Option(value=f"rename:{p.id}", text="Edit name"),
        Option(value=f"rotate:{p.id}", text="Rotate token"),
        Option(value=f"delete:{p.id}", text="Delete…"),
    ]
    allow = "all allowed" if p.allowed_deployments is None else f"{p.allowed_deployments} allowed"
    fields = [
        md(f"*Credentials*\n{_credentials(p)}"),
        md(f"*Last check*\n{date(p.last_checked_at, 'never')}"),
        md(f"*Last successful call*\n{date(p.last_success_at, 'never')}"),
        md(f"*Rate limit*\n{_rate(p)}"),
        md(f"*Capabilities*\n{_capabilities(p)}"),
        md(f"*{p.deployment_name}*\n{allow}"),
    ]
    if p.api_url:
        fields.append(md(f"*API URL*\n`{cut(p.api_url, 200)}`"))
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
            text=md(header),
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


def _admin_row(admin: AdminRow, viewer: str) -> SectionBlock:
    you = " (you)" if admin.user_id == viewer else ""
    since = f" · since {date(admin.added_at)}" if admin.added_at else ""
    text = md(f"<@{admin.user_id}>{you} · {admin.origin}{since}")
    if admin.org_wide:
        return SectionBlock(block_id=f"org_admin:{admin.user_id}", text=text)
    remove = ButtonElement(
        action_id=REMOVE_ADMIN_ACTION,
        text="Remove",
        value=admin.user_id,
        style="danger",
        confirm=ConfirmObject(
            title="Remove this admin?",
            text=f"<@{admin.user_id}> stops being a vpsbot admin here at once, unless "
            "Slack makes them a workspace admin or owner.",
            confirm="Remove",
            deny="Cancel",
            style="danger",
        ),
    )
    return SectionBlock(block_id=f"admin:{admin.user_id}", text=text, accessory=remove)


def admin_blocks(
    admins: list[AdminRow], viewer: str = "", notice: Notice | None = None
) -> list[Block]:
    """The home's *Admins* section: who vpsbot names admin here (installer first),
    an "Add admin" picker and a confirmed Remove per person; ``notice`` says what
    the last change did, or why it was refused, right below the picker."""
    blocks: list[Block] = [
        DividerBlock(block_id="admins_divider"),
        SectionBlock(
            block_id="admins",
            text=md(
                "*Admins* — named vpsbot admins of this workspace. Slack workspace "
                "admins and owners are vpsbot admins too, without being named."
            ),
            accessory=UserSelectElement(action_id=ADD_ADMIN_ACTION, placeholder="Add admin"),
        ),
    ]
    if notice is not None:
        icon = ":white_check_mark:" if notice.ok else ":warning:"
        blocks.append(
            ContextBlock(block_id="admins_notice", elements=[md(f"{icon} {notice.text}")])
        )
    if not admins:
        blocks.append(
            SectionBlock(
                block_id="admins_empty",
                text=md("Nobody is named yet: pick someone above to make them an admin."),
            )
        )
    blocks += [_admin_row(admin, viewer) for admin in admins[:MAX_ADMINS_SHOWN]]
    hidden = len(admins) - MAX_ADMINS_SHOWN
    if hidden > 0:
        blocks.append(
            ContextBlock(
                block_id="admins_more",
                elements=[md(f"{hidden} more named; see `vpsbot workspaces admins`.")],
            )
        )
    return blocks


def home_view(
    providers: list[ProviderStatus],
    notice: Notice | None = None,
    *,
    admins: list[AdminRow] | None = None,
    viewer: str = "",
    admins_notice: Notice | None = None,
) -> View:
    """The `/vps admin` root: every provider with its health and what can be done with
    it, then the named admins (``viewer`` is who looks: they are marked "you")."""
    blocks: list[Block] = [
        SectionBlock(
            block_id="intro",
            text=md(
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
                # opens bot.admin.policy_listeners' form
                ButtonElement(action_id="admin_policy", text="Spend policy", value="policy"),
            ],
        ),
        *notice_blocks(notice),
    ]
    if not providers:
        blocks.append(
            SectionBlock(
                block_id="empty", text=md("No provider yet. Add one to let people create servers.")
            )
        )
    for p in providers[:MAX_PROVIDERS]:
        blocks += _provider_blocks(p)
    hidden = len(providers) - MAX_PROVIDERS
    if hidden > 0:
        blocks.append(
            ContextBlock(
                block_id="more",
                elements=[md(f"{hidden} more provider(s) not shown; see `vpsbot provider list`.")],
            )
        )
    blocks += admin_blocks(admins or [], viewer, admins_notice)
    return modal(HOME, blocks, close="Done")
