"""The ids, data and modal frame every `/vps admin` view shares.

Each builder takes plain data and returns a :class:`View`; nothing here talks to
Slack, a provider or the database. Tokens never reach a builder: forms ask for
one and nothing shows it again. The home modal (providers, then the named admins)
is :mod:`bot.admin.home_views`, the provider forms :mod:`bot.admin.provider_forms`,
plans and allowlists :mod:`bot.admin.plan_views`, `/vps log` :mod:`bot.admin.log_views`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.core.blocks import cut, md
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
    "REFUSED_HELP",
    "REMOVE_ADMIN_ACTION",
    "RENAME",
    "ROTATE",
    "TOGGLE_ACTION",
    "AdminRow",
    "Capability",
    "Notice",
    "ProviderStatus",
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
    #: why its API URL is not allowed (it is kept disabled), None when it is
    refused: str | None = None

    @property
    def type_name(self) -> str:
        return display_name(self.type)

    @property
    def deployment_name(self) -> str:
        return KIND_NAMES.get(self.deployment_kind, "deployment options")


#: What a workspace admin can do about a provider whose API URL is not allowed.
REFUSED_HELP = (
    "Ask vpsbot's operator to allow its endpoint (VPSBOT_PROVIDER_HOSTS), or delete it "
    "and add it again with the official API."
)


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
