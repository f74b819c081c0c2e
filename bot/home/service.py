"""What the App Home and `/vps cost` show, read from the database.

Spend is computed with :mod:`bot.spend.cost` from the hours each server existed
this month and the marked-up price it was created at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bot.core.access import is_admin, is_approver
from bot.core.services import Services
from bot.spend import cost
from bot.spend.cost import Spend, Usage
from bot.spend.policy import Policy, effective
from db.models import ApprovalRequest, VpsInstance
from db.repo import approvals, spend

__all__ = ["HOME_SERVERS", "CostReport", "HomeData", "cost_report", "home_data"]

#: Servers listed on the Home tab (Slack allows 100 blocks; the rest are counted).
HOME_SERVERS = 40


@dataclass(frozen=True)
class CostReport:
    """A member's month, and for admins the workspace's by member and provider."""

    now: datetime
    mine: Spend
    my_budget: Decimal | None
    workspace: Spend | None = None
    workspace_budget: Decimal | None = None
    by_member: dict[str, Spend] = field(default_factory=dict)
    by_provider: dict[str, Spend] = field(default_factory=dict)


@dataclass(frozen=True)
class HomeData:
    user_id: str
    servers: list[tuple[VpsInstance, str]]
    server_count: int
    report: CostReport
    pending: list[ApprovalRequest]
    policy: Policy


def _usages(rows: list[spend.UsageRow]) -> list[Usage]:
    return [
        Usage(r.created_at, r.deleted_at, r.hourly, r.monthly, r.user_id, r.provider) for r in rows
    ]


async def cost_report(
    services: Services, team_id: str, user_id: str, now: datetime, *, admin: bool | None = None
) -> CostReport:
    """The month's spend for ``user_id`` (and the workspace's when they are an admin)."""
    if admin is None:
        admin = await is_admin(services, team_id, user_id)
    start, end = cost.month_bounds(now)
    # short transactions, one concern each: a read never holds one table's lock
    # while it waits for another's (a schema change or TRUNCATE could then deadlock)
    async with services.db.session() as session:
        policy = effective(
            await spend.get_policy(session, team_id),
            await spend.get_member(session, team_id, user_id),
        )
    async with services.db.session() as session:
        rows = _usages(
            await spend.usages(session, team_id, start, end, user_id=None if admin else user_id)
        )
    mine = cost.total([u for u in rows if u.user_id == user_id], now)
    if not admin:
        return CostReport(now, mine, policy.member_budget)
    return CostReport(
        now,
        mine,
        policy.member_budget,
        workspace=cost.total(rows, now),
        workspace_budget=policy.monthly_budget,
        by_member=cost.spend_by(rows, now, lambda u: u.user_id),
        by_provider=cost.spend_by(rows, now, lambda u: u.provider),
    )


async def home_data(services: Services, team_id: str, user_id: str, now: datetime) -> HomeData:
    admin = await is_admin(services, team_id, user_id)
    report = await cost_report(services, team_id, user_id, now, admin=admin)
    async with services.db.session() as session:
        servers, count = await spend.owned(session, team_id, user_id, limit=HOME_SERVERS)
    async with services.db.session() as session:
        policy = effective(await spend.get_policy(session, team_id))
    async with services.db.session() as session:
        waiting = await approvals.pending_for_team(session, team_id)
    others = [r for r in waiting if r.requested_by != user_id]
    may_decide = bool(others) and await is_approver(
        services,
        team_id,
        user_id,
        approver_ids=policy.approver_ids,
        approver_group=policy.approver_group,
    )
    pending = others if may_decide else []
    return HomeData(user_id, servers, count, report, pending, policy)
