"""Extending a server's lease: at once within the policy's maximum lifetime, past it
as a request to the approvers (decided in :mod:`bot.approvals.service`).

The lease is judged by the policy of the server's owner (the workspace's, with the
owner's own overrides applied), here and in the Extend form
(:mod:`bot.approvals.extend`) alike.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.blocks import date, esc
from bot.core.errors import Refusal
from bot.core.services import Services
from bot.spend import requests
from bot.spend.policy import Policy, effective
from bot.status import service as status
from db.models import VpsInstance
from db.repo import activity, leases, spend

__all__ = ["extend_lease", "lease_policy"]


async def lease_policy(services: Services, row: VpsInstance) -> Policy:
    """The policy the server's lease is judged by (its owner's overrides applied)."""
    async with services.db.session() as session:
        workspace = await spend.get_policy(session, row.team_id or "")
        member = (
            await spend.get_member(session, row.team_id or "", row.created_by)
            if row.created_by
            else None
        )
    return effective(workspace, member)


async def extend_lease(
    services: Services,
    row: VpsInstance,
    user_id: str,
    *,
    now: datetime | None = None,
    hours: int | None = None,
) -> str:
    """Extend ``row``'s lease by ``hours`` (the policy's default lease when None);
    past the maximum lifetime (the policy's maximum lease, counted from creation)
    it becomes an approval request."""
    when = now or datetime.now(UTC)
    if row.expires_at is None or row.status in ("deleted", "deleting"):
        raise Refusal(f"*{esc(row.label)}* has no lease to extend.")
    if row.lease_ended_at is not None and row.lease_end_done_at is None:
        raise Refusal(
            f"The lease of *{esc(row.label)}* is ending right now; try again in a minute."
        )
    policy = await lease_policy(services, row)
    step = timedelta(hours=hours or policy.default_lease_hours or 24 * 7)
    until = max(row.expires_at, when) + step
    most = policy.max_lease_hours
    if most is None or until - row.created_at <= timedelta(hours=most):
        async with services.db.session() as session, session.begin():
            extended = await leases.extend(session, row.id, row.team_id or "", until)
            if extended is None:
                raise Refusal(
                    f"The lease of *{esc(row.label)}* is ending right now; try again soon."
                )
            await activity.record(
                session,
                event_type="vps.lease_extend",
                status="success",
                team_id=row.team_id,
                user_id=user_id,
                entity_type="vps",
                entity_id=str(row.id),
                metadata={"label": row.label, "until": until.isoformat()},
            )
        line = f"<@{user_id}> extended the lease of *{esc(row.label)}* until {date(until)}."
        await status.post_event(services, row.id, line)
        return line
    if not policy.approval_channel:
        raise Refusal(
            f"Extending *{esc(row.label)}* past {most} hours needs approval, but no approval "
            "channel is set; ask a vpsbot admin."
        )
    await requests.ask_about_server(
        services,
        row,
        kind="extend",
        user_id=user_id,
        fields={"until": until.isoformat()},
        lines=[["Policy maximum", f"{most} hours from creation"]],
        hourly=row.price_hourly,
        monthly=row.price_monthly,
        channel=policy.approval_channel,
        expires_at=when + timedelta(hours=policy.approval_ttl_hours),
    )
    return (
        f"Extending *{esc(row.label)}* past the policy's maximum needs approval; the approvers "
        "were asked."
    )
