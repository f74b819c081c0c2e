"""Queries on ``service_providers``; tokens arrive and leave encrypted."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, false, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import PROVIDER_TYPES, ProviderShare, ServiceProvider, VpsInstance

__all__ = [
    "ProviderInUseError",
    "Scope",
    "add",
    "by_name",
    "count_instances",
    "get",
    "get_owned",
    "get_visible",
    "instance_counts",
    "list_all",
    "record_check",
    "remove",
    "rotate_secrets",
    "set_active",
    "share",
    "shared_parts",
    "shares",
    "unshare",
    "update_fields",
]


class ProviderInUseError(Exception):
    """The provider still has servers and removal was not forced."""

    def __init__(self, name: str, count: int) -> None:
        super().__init__(f"provider {name!r} still has {count} server(s)")
        self.name = name
        self.count = count


@dataclass(frozen=True)
class Scope:
    """The providers one workspace may reach.

    It *owns* the rows whose ``team_id`` is its own and *sees* those plus the rows
    shared with it (``provider_shares``). Operator-level rows (``team_id`` NULL)
    count as its own only when ``operator_rows`` is set: in single-token mode
    there is one workspace and they were added for it.
    """

    team_id: str
    operator_rows: bool = False

    def owned(self) -> ColumnElement[bool]:
        own = ServiceProvider.team_id == self.team_id if self.team_id else false()
        if self.operator_rows:
            return or_(own, ServiceProvider.team_id.is_(None))
        return own

    def visible(self) -> ColumnElement[bool]:
        if not self.team_id:
            return self.owned()
        shared = exists().where(
            ProviderShare.provider_id == ServiceProvider.id,
            ProviderShare.team_id == self.team_id,
        )
        return or_(self.owned(), shared)

    def owns(self, row: ServiceProvider) -> bool:
        """:meth:`owned` for a row already in memory."""
        if self.team_id and row.team_id == self.team_id:
            return True
        return row.team_id is None and self.operator_rows

    def sees(self, row: ServiceProvider, shared_with: frozenset[str] = frozenset()) -> bool:
        """:meth:`visible` for a row already in memory (``shared_with``: its shares)."""
        if not self.team_id:
            return row.team_id is None and self.operator_rows
        if row.team_id == self.team_id or self.team_id in shared_with:
            return True
        return row.team_id is None and self.operator_rows


async def add(
    session: AsyncSession,
    *,
    name: str,
    type: str,
    api_key_encrypted: str,
    configuration: dict[str, Any] | None = None,
    active: bool = True,
    team_id: str | None = None,
) -> ServiceProvider:
    """A new provider owned by ``team_id`` (None: operator-level)."""
    if type not in PROVIDER_TYPES:
        raise ValueError(f"unknown provider type {type!r}")
    row = ServiceProvider(
        team_id=team_id,
        name=name,
        type=type,
        api_key_encrypted=api_key_encrypted,
        configuration=configuration or {},
        active=active,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def get(session: AsyncSession, provider_id: uuid.UUID) -> ServiceProvider | None:
    return await session.get(ServiceProvider, provider_id)


async def get_owned(
    session: AsyncSession, provider_id: uuid.UUID, scope: Scope
) -> ServiceProvider | None:
    """The provider only if ``scope``'s workspace owns it (may change it)."""
    result = await session.execute(
        select(ServiceProvider).where(ServiceProvider.id == provider_id, scope.owned())
    )
    return result.scalar_one_or_none()


async def get_visible(
    session: AsyncSession, provider_id: uuid.UUID, scope: Scope
) -> ServiceProvider | None:
    """The provider only if ``scope``'s workspace may use it (owned or shared)."""
    result = await session.execute(
        select(ServiceProvider).where(ServiceProvider.id == provider_id, scope.visible())
    )
    return result.scalar_one_or_none()


async def by_name(
    session: AsyncSession, name: str, scope: Scope | str | None = None
) -> ServiceProvider | None:
    """The provider called ``name`` among those ``scope`` owns; a plain team id (or
    None, the operator-level rows) names exactly one owner. Names are unique per
    owner, so the first match in ``scope``'s own rows wins over an operator row."""
    query = select(ServiceProvider).where(ServiceProvider.name == name)
    if isinstance(scope, Scope):
        query = query.where(scope.owned())
    elif scope:
        query = query.where(ServiceProvider.team_id == scope)
    else:
        query = query.where(ServiceProvider.team_id.is_(None))
    query = query.order_by(ServiceProvider.team_id.is_(None)).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def list_all(
    session: AsyncSession,
    *,
    active_only: bool = False,
    scope: Scope | None = None,
    owned_only: bool = False,
) -> list[ServiceProvider]:
    """Providers by name: every one (operator, background jobs), or those ``scope``
    sees (``owned_only``: those it owns)."""
    query = select(ServiceProvider).order_by(ServiceProvider.name)
    if scope is not None:
        query = query.where(scope.owned() if owned_only else scope.visible())
    if active_only:
        query = query.where(ServiceProvider.active.is_(True))
    return list((await session.execute(query)).scalars())


async def shares(session: AsyncSession) -> dict[uuid.UUID, frozenset[str]]:
    """Every provider shared beyond its owner, with the workspaces it is shared to."""
    found: dict[uuid.UUID, set[str]] = {}
    for provider_id, team_id in await session.execute(
        select(ProviderShare.provider_id, ProviderShare.team_id)
    ):
        found.setdefault(provider_id, set()).add(team_id)
    return {key: frozenset(value) for key, value in found.items()}


async def share(
    session: AsyncSession,
    provider_id: uuid.UUID,
    team_id: str,
    *,
    ssh_keys: bool = False,
    vpcs: bool = False,
) -> None:
    """Let ``team_id`` use the provider, and the owner's account SSH keys and VPCs
    only as said (sharing again says it anew)."""
    await session.execute(
        insert(ProviderShare)
        .values(provider_id=provider_id, team_id=team_id, ssh_keys=ssh_keys, vpcs=vpcs)
        .on_conflict_do_update(
            index_elements=[ProviderShare.provider_id, ProviderShare.team_id],
            set_={"ssh_keys": ssh_keys, "vpcs": vpcs},
        )
    )


async def shared_parts(
    session: AsyncSession, provider_id: uuid.UUID, team_id: str
) -> tuple[bool, bool]:
    """(SSH keys, VPCs): whether the provider's share with ``team_id`` offers the
    owner's account keys and VPCs; neither when it is not shared there."""
    found = await session.execute(
        select(ProviderShare.ssh_keys, ProviderShare.vpcs).where(
            ProviderShare.provider_id == provider_id, ProviderShare.team_id == team_id
        )
    )
    row = found.first()
    return (bool(row.ssh_keys), bool(row.vpcs)) if row is not None else (False, False)


async def unshare(session: AsyncSession, provider_id: uuid.UUID, team_id: str) -> bool:
    result = await session.execute(
        delete(ProviderShare).where(
            ProviderShare.provider_id == provider_id, ProviderShare.team_id == team_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_active(session: AsyncSession, provider_id: uuid.UUID, active: bool) -> None:
    await session.execute(
        update(ServiceProvider)
        .where(ServiceProvider.id == provider_id)
        .values(active=active, updated_at=func.now())
    )


async def update_fields(session: AsyncSession, provider_id: uuid.UUID, **values: Any) -> None:
    """Update name, api_key_encrypted or configuration; bumps ``updated_at``."""
    allowed = {"name", "api_key_encrypted", "configuration"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    await session.execute(
        update(ServiceProvider)
        .where(ServiceProvider.id == provider_id)
        .values(**values, updated_at=func.now())
    )


async def record_check(
    session: AsyncSession, provider_id: uuid.UUID, *, valid: bool | None
) -> None:
    """Record that the stored token was just validated.

    ``valid`` is the verdict (None when the check could not tell, e.g. the provider
    was unreachable: the previous verdict stays). A valid token is also a successful
    call. ``updated_at`` is left alone: a health check does not change the provider's
    settings, and ``updated_at`` versions them.
    """
    values: dict[str, Any] = {"last_checked_at": func.now()}
    if valid is not None:
        values["credentials_valid"] = valid
    if valid:
        values["last_success_at"] = func.now()
    await session.execute(
        update(ServiceProvider)
        .where(ServiceProvider.id == provider_id)
        .values(**values, updated_at=ServiceProvider.updated_at)
    )


async def count_instances(
    session: AsyncSession, provider_id: uuid.UUID, team_id: str | None = None
) -> int:
    query = (
        select(func.count())
        .select_from(VpsInstance)
        .where(VpsInstance.provider_id == provider_id, VpsInstance.status != "deleted")
    )
    if team_id is not None:
        query = query.where(VpsInstance.team_id == team_id)
    result = await session.execute(query)
    return int(result.scalar_one())


async def instance_counts(
    session: AsyncSession, team_id: str | None = None
) -> dict[uuid.UUID, int]:
    """How many servers (not deleted) each provider has (of ``team_id``'s, when
    given); providers with none are absent."""
    query = select(VpsInstance.provider_id, func.count()).where(
        VpsInstance.provider_id.is_not(None), VpsInstance.status != "deleted"
    )
    if team_id is not None:
        query = query.where(VpsInstance.team_id == team_id)
    result = await session.execute(query.group_by(VpsInstance.provider_id))
    return {provider_id: int(count) for provider_id, count in result.all() if provider_id}


async def remove(session: AsyncSession, provider_id: uuid.UUID, *, force: bool = False) -> None:
    row = await get(session, provider_id)
    if row is None:
        return
    in_use = await count_instances(session, provider_id)
    if in_use and not force:
        raise ProviderInUseError(row.name, in_use)
    await session.delete(row)
    await session.flush()


async def rotate_secrets(session: AsyncSession, rotate: Callable[[str, str], str]) -> Sequence[str]:
    """Re-encrypt every stored token with ``rotate(ciphertext, row description)``.

    All rows are re-encrypted in memory first; if any fails, the exception
    propagates and nothing is written.
    """
    rows = await list_all(session)
    rotated = [
        (row, rotate(row.api_key_encrypted, f"provider {row.name!r} ({row.id})")) for row in rows
    ]
    for row, token in rotated:
        row.api_key_encrypted = token
    await session.flush()
    return [row.name for row, _ in rotated]
