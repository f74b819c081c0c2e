"""Pure builders of the App Home tab and the `/vps cost` message."""

from __future__ import annotations

from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.core.blocks import STATUS_ICONS, cut, date, esc, md
from bot.home.service import CostReport, HomeData
from bot.spend.cost import Spend
from bot.spend.requests import APPROVE_ACTION, DENY_ACTION, request_label
from db.models import ApprovalRequest, VpsInstance

__all__ = [
    "HOME_CREATE",
    "HOME_DETAILS",
    "HOME_REFRESH",
    "cost_blocks",
    "home_view",
]

HOME_CREATE = "vps_home_create"
HOME_DETAILS = "vps_home_details"
HOME_REFRESH = "vps_home_refresh"
#: Rows of the by-member and by-provider tables shown (the biggest first).
_TOP = 15


def _against(spend: Spend, budget: Decimal | None) -> str:
    line = f"${spend.month_to_date:,.2f} so far · ${spend.projected:,.2f} projected"
    if budget is None:
        return line + " · no budget"
    left = budget - spend.projected
    flag = " :warning:" if left < 0 else ""
    return line + f" · budget ${budget:,.2f} (${left:,.2f} left){flag}"


def _table(title: str, rows: dict[str, Spend], *, users: bool) -> str:
    lines = [
        f"• {'<@' + k + '>' if users and k else esc(k or 'unknown')}: "
        f"${v.month_to_date:,.2f} so far, ${v.projected:,.2f} projected"
        for k, v in list(rows.items())[:_TOP]
    ]
    more = len(rows) - _TOP
    if more > 0:
        lines.append(f"…and {more} more")
    return f"*{title}*\n" + ("\n".join(lines) or "nothing this month")


def cost_blocks(report: CostReport) -> list[Block]:
    """`/vps cost`: my month, and the workspace's for admins."""
    month = report.now.strftime("%B %Y")
    blocks: list[Block] = [
        SectionBlock(text=md(f"*Your spend in {month}:* {_against(report.mine, report.my_budget)}"))
    ]
    if report.workspace is not None:
        blocks.append(
            SectionBlock(
                text=md(f"*Workspace:* {_against(report.workspace, report.workspace_budget)}")
            )
        )
        blocks.append(SectionBlock(text=md(_table("By member", report.by_member, users=True))))
        blocks.append(SectionBlock(text=md(_table("By provider", report.by_provider, users=False))))
    blocks.append(
        ContextBlock(
            elements=[
                md(
                    "Hours each server existed this month at its marked-up hourly price, "
                    "at most its monthly price; projected = if running ones keep running."
                )
            ]
        )
    )
    return blocks


def _server_line(row: VpsInstance, provider: str) -> SectionBlock:
    icon = STATUS_ICONS.get(row.status, STATUS_ICONS["unknown"])
    price = f"${row.price_monthly:.2f}/mo" if row.price_monthly is not None else "price unknown"
    lease = f"expires {date(row.expires_at)}" if row.expires_at else "no expiry"
    text = (
        f"{icon} *{esc(cut(row.label, 64))}* · {row.status} · {esc(cut(provider, 40))} · "
        f"{price} · {lease}"
    )
    return SectionBlock(
        text=md(text),
        accessory=ButtonElement(action_id=HOME_DETAILS, text="Details", value=str(row.id)),
    )


def _request_line(request: ApprovalRequest) -> str:
    """A waiting request: who, which server, what it costs and the lease it asks for."""
    label = esc(cut(request_label(request), 64))
    lines = dict((str(k), str(v)) for k, v in request.summary.get("lines", []) if k)
    lease = lines.get("Lease") or lines.get("Lease until")
    what = f"{request.kind}, ${request.price_monthly or 0:.2f}/mo"
    if lease:
        what += f", lease {esc(cut(lease, 40))}"
    return f"<@{request.requested_by}> asks for *{label}* ({what})"


def home_view(data: HomeData) -> View:
    """The Home tab: my servers, my spend against budget, requests waiting for me."""
    report = data.report
    blocks: list[Block] = [
        HeaderBlock(text="vpsbot"),
        ActionsBlock(
            block_id="home_actions",
            elements=[
                ButtonElement(
                    action_id=HOME_CREATE, text="Create a server", style="primary", value="create"
                ),
                ButtonElement(action_id=HOME_REFRESH, text="Refresh", value="refresh"),
            ],
        ),
        SectionBlock(text=md(f"*My spend this month:* {_against(report.mine, report.my_budget)}")),
    ]
    if report.workspace is not None:
        blocks.append(
            SectionBlock(
                text=md(f"*Workspace:* {_against(report.workspace, report.workspace_budget)}")
            )
        )
    if data.pending:
        blocks.append(DividerBlock())
        blocks.append(HeaderBlock(text=f"Waiting for your approval ({len(data.pending)})"))
        for request in data.pending[:10]:
            blocks.append(SectionBlock(text=md(_request_line(request))))
            blocks.append(
                ActionsBlock(
                    elements=[
                        ButtonElement(
                            action_id=APPROVE_ACTION,
                            text="Approve",
                            style="primary",
                            value=str(request.id),
                        ),
                        ButtonElement(
                            action_id=DENY_ACTION,
                            text="Deny",
                            style="danger",
                            value=str(request.id),
                        ),
                    ]
                )
            )
    blocks.append(DividerBlock())
    blocks.append(HeaderBlock(text=f"My servers ({data.server_count})"))
    if not data.servers:
        blocks.append(SectionBlock(text=md("You have no servers. Create one above.")))
    blocks += [_server_line(row, provider) for row, provider in data.servers]
    hidden = data.server_count - len(data.servers)
    if hidden > 0:
        blocks.append(
            ContextBlock(elements=[md(f"…and {hidden} more: `/vps list` shows them all.")])
        )
    return View(type="home", blocks=blocks)
