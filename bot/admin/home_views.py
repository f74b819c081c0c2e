"""The `/vps admin` home modal: every provider with its health and what can be
done with it, then the workspace's named vpsbot admins.

Plain data in (:class:`~bot.admin.views.ProviderStatus`, :class:`~bot.admin.views.AdminRow`),
a :class:`View` out; no token ever reaches it.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    Option,
    OverflowMenuElement,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.admin.views import (
    ADD_ACTION,
    ADD_ADMIN_ACTION,
    ALLOW_ACTION,
    CHECK_ACTION,
    HOME,
    MAX_ADMINS_SHOWN,
    MAX_PROVIDERS,
    MORE_ACTION,
    PLANS_ACTION,
    REFRESH_ACTION,
    REFUSED_HELP,
    REMOVE_ADMIN_ACTION,
    TOGGLE_ACTION,
    AdminRow,
    Notice,
    ProviderStatus,
    modal,
    notice_blocks,
)
from bot.core.blocks import cut, date, esc, md

__all__ = ["admin_blocks", "home_view"]


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
        f":no_entry: *disabled*: {esc(p.refused)}.\n{REFUSED_HELP}"
        if p.refused
        else ":large_green_circle: *active*"
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
        fields.append(md(f"*API URL*\n`{esc(cut(p.api_url, 200))}`"))
    toggle: ButtonElement | None = (
        None  # it stays disabled until its API URL is allowed
        if p.refused
        else ButtonElement(action_id=TOGGLE_ACTION, text="Deactivate", value=f"off:{p.id}")
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
                *([toggle] if toggle is not None else []),
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
