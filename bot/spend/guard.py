"""The budget, server-cap and approval checks of a create or a resize.

Shown at the review step (``lock=False``) and enforced again inside the claim's
transaction (``lock=True``): there the workspace's policy row is locked first,
so two claims in one workspace run one after the other and the second sees the
first's server in the sums — two members cannot both spend the last dollars,
whichever replica serves them. A resize is judged the same way on what it adds:
the server at its new price less the server at its old one (``replacing``); the
resizes still waiting for their provider count in the sums
(:func:`db.repo.spend.pending_resizes`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import InputError
from bot.spend import cost
from bot.spend.policy import Policy, defaults_row, effective
from db.models import MemberPolicy, WorkspacePolicy
from db.repo import spend
from db.repo.spend import Standing

__all__ = ["Check", "SpendRefused", "check", "judge"]


class SpendRefused(InputError):
    """A create the policy does not allow; ``field`` is the review's block."""


@dataclass(frozen=True)
class Check:
    """What a create (or resize) would cost and what the policy says about it."""

    policy: Policy
    hourly: Decimal
    monthly: Decimal
    #: what the new server would cost from now to the end of the month (a
    #: resize: what it adds to the month, negative for a smaller plan)
    this_month: Decimal
    member_left: Decimal | None
    workspace_left: Decimal | None
    member_servers: int
    needs_approval: bool
    refusal: str | None

    def lines(self) -> list[str]:
        """The review's spend section, one fact a line."""
        out = [
            f"*Cost:* ${self.hourly:.4f}/hour · ${self.monthly:.2f}/month "
            f"(${self.this_month:.2f} until the month ends)"
        ]
        if self.member_left is not None:
            out.append(f"*Your budget left this month:* ${self.member_left:,.2f}")
        if self.workspace_left is not None:
            out.append(f"*Workspace budget left this month:* ${self.workspace_left:,.2f}")
        if self.policy.max_servers is not None:
            out.append(f"*Your servers:* {self.member_servers} of {self.policy.max_servers}")
        if self.needs_approval:
            out.append(
                f":raised_hand: Needs approval: over ${self.policy.approval_threshold:,.2f}/month."
            )
        return out


def _left(budget: Decimal | None, spent: Decimal) -> Decimal | None:
    return None if budget is None else budget - spent


def judge(
    policy: Policy,
    standing: Standing,
    hourly: Decimal,
    monthly: Decimal,
    now: datetime,
    *,
    replacing: cost.Usage | None = None,
) -> Check:
    """The verdict on a new server at ``hourly``/``monthly`` given where things stand;
    with ``replacing``, on that server moving to ``hourly``/``monthly`` (a resize:
    it adds no server, and only a dearer plan can overspend or need approval)."""
    if replacing is None:
        usage = cost.Usage(created_at=now, deleted_at=None, hourly=hourly, monthly=monthly)
        new, servers, what = cost.projected(usage, now), standing.member_servers + 1, "server"
    else:
        resized = replace(replacing, hourly=hourly, monthly=monthly)
        new = cost.projected(resized, now) - cost.projected(replacing, now)
        servers, what = standing.member_servers, "resize"
    member_left = _left(policy.member_budget, standing.member_projected)
    workspace_left = _left(policy.monthly_budget, standing.workspace_projected)
    spends = replacing is None or new > 0
    refusal = None
    if policy.max_servers is not None and servers > policy.max_servers:
        refusal = (
            f"You have {standing.member_servers} servers; the limit is {policy.max_servers}. "
            "Delete one first, or ask an admin to raise your limit."
        )
    elif spends and member_left is not None and new > member_left:
        refusal = (
            f"This {what} would cost ${new:.2f} by the end of the month, but only "
            f"${max(member_left, Decimal(0)):,.2f} of your budget is left."
        )
    elif spends and workspace_left is not None and new > workspace_left:
        refusal = (
            f"This {what} would cost ${new:.2f} by the end of the month, but only "
            f"${max(workspace_left, Decimal(0)):,.2f} of the workspace's budget is left."
        )
    threshold = policy.approval_threshold
    dearer = replacing is None or monthly > replacing.monthly
    return Check(
        policy=policy,
        hourly=hourly,
        monthly=monthly,
        this_month=new,
        member_left=member_left,
        workspace_left=workspace_left,
        member_servers=standing.member_servers,
        needs_approval=threshold is not None and monthly > threshold and dearer,
        refusal=refusal,
    )


async def check(
    session: AsyncSession,
    *,
    team_id: str,
    user_id: str,
    hourly: Decimal,
    monthly: Decimal,
    now: datetime,
    lock: bool,
    replacing: cost.Usage | None = None,
) -> Check:
    """Judge a create by ``user_id`` (or, with ``replacing``, a resize of their
    server); with ``lock`` the workspace policy row stays locked until
    ``session``'s transaction ends (call it inside the claim's)."""
    row: WorkspacePolicy | None
    if lock:
        row = await spend.lock_policy(session, team_id, defaults_row())
    else:
        row = await spend.get_policy(session, team_id)
    start, end = cost.month_bounds(now)
    standing = await spend.standing(session, team_id, user_id, start, end, keep=lock)
    member_more, workspace_more = await spend.pending_resizes(session, team_id, user_id, start, end)
    if member_more or workspace_more:
        standing = replace(
            standing,
            member_projected=standing.member_projected + member_more,
            workspace_projected=standing.workspace_projected + workspace_more,
        )
    member = None
    if standing.member_budget is not None or standing.member_max_servers is not None:
        member = MemberPolicy(
            team_id=team_id,
            user_id=user_id,
            monthly_budget=standing.member_budget,
            max_servers=standing.member_max_servers,
        )
    return judge(effective(row, member), standing, hourly, monthly, now, replacing=replacing)
