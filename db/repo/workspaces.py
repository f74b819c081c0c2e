"""Queries about workspaces as a whole: their vpsbot admins, what an uninstall
drops, the operator's overview (``vpsbot workspaces list``) and the sweep of
abandoned OAuth states.

The installation tables belong to slack_sdk's stores (migration 0008); they are
only read here, by plain SQL, for the overview, and expired OAuth states deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CreateDraft, WorkspaceAdmin, WorkspaceOrg
from db.repo import changes

__all__ = [
    "ADMINS_CHANGED",
    "NamedAdmin",
    "Removal",
    "WorkspaceSummary",
    "add_admin",
    "admins_of",
    "announce_admins",
    "count_admins",
    "drop_drafts",
    "drop_expired_states",
    "is_named_admin",
    "lock_admins",
    "named_admins",
    "org_of",
    "remember_org",
    "remove_admin",
    "remove_admin_unless_last",
    "summaries",
    "teams_of_org",
    "use_state",
]


async def add_admin(
    session: AsyncSession, team_id: str, user_id: str, *, added_by: str | None = None
) -> bool:
    """Name ``user_id`` a vpsbot admin of ``team_id``; False when already one."""
    result = await session.execute(
        insert(WorkspaceAdmin)
        .values(team_id=team_id, user_id=user_id, added_by=added_by)
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def add_first_admin(session: AsyncSession, team_id: str, user_id: str) -> bool:
    """Name ``user_id`` an admin of ``team_id`` only when it has no named admin yet
    (or none left): an installer's right, not a reinstaller's. Installs of one
    workspace are serialised (a transaction-scoped advisory lock), so two racing
    installers cannot both find it empty."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": "vpsbot-admins:" + team_id}
    )
    if await count_admins(session, team_id):
        return False
    return await add_admin(session, team_id, user_id, added_by=user_id)


async def remove_admin(session: AsyncSession, team_id: str, user_id: str) -> bool:
    result = await session.execute(
        delete(WorkspaceAdmin).where(
            WorkspaceAdmin.team_id == team_id, WorkspaceAdmin.user_id == user_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def is_named_admin(session: AsyncSession, team_ids: list[str], user_id: str) -> bool:
    """Whether ``user_id`` was named an admin of one of ``team_ids`` (its workspace,
    or the Grid org an org-wide install made it admin of)."""
    ids = [team for team in team_ids if team]
    if not ids or not user_id:
        return False
    result = await session.execute(
        select(WorkspaceAdmin.user_id)
        .where(WorkspaceAdmin.team_id.in_(ids), WorkspaceAdmin.user_id == user_id)
        .limit(1)
    )
    return result.scalar_one_or_none() is not None


async def admins_of(session: AsyncSession, team_id: str) -> list[str]:
    result = await session.execute(
        select(WorkspaceAdmin.user_id)
        .where(WorkspaceAdmin.team_id == team_id)
        .order_by(WorkspaceAdmin.created_at)
    )
    return list(result.scalars())


@dataclass(frozen=True)
class NamedAdmin:
    team_id: str  # the workspace, or the Grid org an org-wide install named them for
    user_id: str
    added_by: str | None  # themselves: they installed vpsbot; "operator": the CLI
    created_at: datetime


async def named_admins(session: AsyncSession, team_ids: list[str]) -> list[NamedAdmin]:
    """The named admins of ``team_ids``: those who installed vpsbot first, then by
    when they were named."""
    ids = [team for team in team_ids if team]
    if not ids:
        return []
    installer = WorkspaceAdmin.added_by.is_not_distinct_from(WorkspaceAdmin.user_id)
    result = await session.execute(
        select(WorkspaceAdmin)
        .where(WorkspaceAdmin.team_id.in_(ids))
        .order_by(installer.desc(), WorkspaceAdmin.created_at, WorkspaceAdmin.user_id)
    )
    return [
        NamedAdmin(row.team_id, row.user_id, row.added_by, row.created_at)
        for row in result.scalars()
    ]


#: What :func:`remove_admin_unless_last` did: removed; refused as the last named
#: admin; not named there (``absent``), or named only for the whole org (``org``).
Removal = Literal["removed", "last", "absent", "org"]


async def remove_admin_unless_last(
    session: AsyncSession, team_id: str, user_id: str, org_id: str | None = None
) -> Removal:
    """Remove ``user_id`` from ``team_id``'s named admins unless nobody named (in the
    workspace or its org) would be left. The rows are locked first, so two admins
    removing each other at once cannot both succeed."""
    teams = [team_id] + ([org_id] if org_id else [])
    locked = await session.execute(
        select(WorkspaceAdmin.team_id, WorkspaceAdmin.user_id)
        .where(WorkspaceAdmin.team_id.in_(teams))
        .order_by(WorkspaceAdmin.team_id, WorkspaceAdmin.user_id)
        .with_for_update()
    )
    rows = [tuple(row) for row in locked]
    if (team_id, user_id) not in rows:
        return "org" if any(user == user_id for _, user in rows) else "absent"
    if len(rows) <= 1:
        return "last"
    await remove_admin(session, team_id, user_id)
    return "removed"


async def lock_admins(session: AsyncSession, team_id: str) -> None:
    """Hold ``team_id``'s named-admin list until the transaction ends: a count and
    the insert it allows cannot interleave with another admin's (two admins adding
    at once would otherwise both see room under the limit). An advisory lock, as
    there is no workspace row to lock before the first admin exists."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"vpsbot:workspace_admins:{team_id}"},
    )


async def count_admins(session: AsyncSession, team_id: str) -> int:
    result = await session.execute(
        select(func.count()).select_from(WorkspaceAdmin).where(WorkspaceAdmin.team_id == team_id)
    )
    return int(result.scalar_one())


#: The NOTIFY payload prefix telling every replica that a workspace's named admins
#: changed (on ``vpsbot_catalog``, the channel :mod:`bot.core.offers` listens on).
ADMINS_CHANGED = "admins:"


async def announce_admins(session: AsyncSession, team_id: str) -> None:
    """Tell every replica, once the transaction commits, to drop its cached admin
    verdicts for ``team_id``."""
    await changes.announce(session, ADMINS_CHANGED.rstrip(":"), team_id)


async def remember_org(session: AsyncSession, team_id: str, enterprise_id: str) -> None:
    """Record that ``team_id`` belongs to the Grid org ``enterprise_id``."""
    statement = insert(WorkspaceOrg).values(team_id=team_id, enterprise_id=enterprise_id)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[WorkspaceOrg.team_id],
            set_={"enterprise_id": enterprise_id, "seen_at": statement.excluded.seen_at},
        )
    )


async def org_of(session: AsyncSession, team_id: str) -> str | None:
    result = await session.execute(
        select(WorkspaceOrg.enterprise_id).where(WorkspaceOrg.team_id == team_id)
    )
    return result.scalar_one_or_none()


async def teams_of_org(session: AsyncSession, enterprise_id: str) -> list[str]:
    result = await session.execute(
        select(WorkspaceOrg.team_id).where(WorkspaceOrg.enterprise_id == enterprise_id)
    )
    return list(result.scalars())


async def drop_drafts(session: AsyncSession, team_id: str) -> int:
    """Forget the workspace's unfinished `/vps create` modals (after an uninstall)."""
    result = await session.execute(delete(CreateDraft).where(CreateDraft.team_id == team_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


_EXPIRED_STATES = text("DELETE FROM slack_oauth_states WHERE expire_at <= :now")


async def use_state(session: AsyncSession, state: str, expires: datetime) -> bool:
    """Record an OAuth state as used (until ``expires``); False when it already was.
    Locked per state, so two callbacks with the same state cannot both pass."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"vpsbot:oauth_state:{state}"},
    )
    seen = await session.execute(
        text("SELECT 1 FROM slack_oauth_states WHERE state = :state LIMIT 1"), {"state": state}
    )
    if seen.first() is not None:
        return False
    # naive UTC, as slack_sdk's store wrote it and the sweep reads it
    await session.execute(
        text("INSERT INTO slack_oauth_states (state, expire_at) VALUES (:state, :at)"),
        {"state": state, "at": expires.astimezone(UTC).replace(tzinfo=None)},
    )
    return True


async def drop_expired_states(session: AsyncSession, now: datetime) -> int:
    """Delete the OAuth states that expired by ``now``: installs abandoned on Slack's
    page (a completed install consumes its state). ``expire_at`` is naive UTC, as
    slack_sdk's state store writes it."""
    naive = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    result = await session.execute(_EXPIRED_STATES, {"now": naive})
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class WorkspaceSummary:
    team_id: str
    name: str | None
    enterprise_id: str | None
    installed_at: datetime | None
    installed: bool
    admins: int
    providers: int
    servers: int


_SUMMARIES = text(
    """
    WITH teams AS (
        SELECT COALESCE(team_id, enterprise_id) AS team_id FROM slack_installations
        UNION SELECT team_id FROM service_providers WHERE team_id IS NOT NULL
        UNION SELECT team_id FROM provider_shares
        UNION SELECT team_id FROM workspace_admins
        UNION SELECT team_id FROM vps_instances WHERE team_id IS NOT NULL
    ), installs AS (
        SELECT DISTINCT ON (COALESCE(team_id, enterprise_id))
               COALESCE(team_id, enterprise_id) AS team_id,
               COALESCE(team_name, enterprise_name) AS name, enterprise_id, installed_at
          FROM slack_installations
         ORDER BY COALESCE(team_id, enterprise_id), installed_at DESC
    ), bots AS (
        SELECT DISTINCT COALESCE(team_id, enterprise_id) AS team_id
          FROM slack_bots WHERE bot_token IS NOT NULL
    )
    SELECT t.team_id, i.name, i.enterprise_id, i.installed_at,
           (b.team_id IS NOT NULL) AS installed,
           (SELECT count(*) FROM workspace_admins a WHERE a.team_id = t.team_id) AS admins,
           (SELECT count(*) FROM service_providers p
             WHERE p.team_id = t.team_id
                OR p.id IN (SELECT s.provider_id FROM provider_shares s
                             WHERE s.team_id = t.team_id)) AS providers,
           (SELECT count(*) FROM vps_instances v
             WHERE v.team_id = t.team_id AND v.status <> 'deleted') AS servers
      FROM teams t
      LEFT JOIN installs i ON i.team_id = t.team_id
      LEFT JOIN bots b ON b.team_id = t.team_id
     WHERE t.team_id IS NOT NULL
     ORDER BY t.team_id
    """
)


async def summaries(session: AsyncSession) -> list[WorkspaceSummary]:
    """Every workspace vpsbot knows of, installed or not, with its counts."""
    rows = await session.execute(_SUMMARIES)
    return [
        WorkspaceSummary(
            team_id=row.team_id,
            name=row.name,
            enterprise_id=row.enterprise_id,
            installed_at=row.installed_at,
            installed=bool(row.installed),
            admins=int(row.admins),
            providers=int(row.providers),
            servers=int(row.servers),
        )
        for row in rows
    ]
