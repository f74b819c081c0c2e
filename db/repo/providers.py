"""Queries on ``service_providers``; tokens arrive and leave encrypted."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import PROVIDER_TYPES, ServiceProvider, VpsInstance

__all__ = [
    "ProviderInUseError",
    "add",
    "by_name",
    "count_instances",
    "get",
    "instance_counts",
    "list_all",
    "record_check",
    "remove",
    "rotate_secrets",
    "set_active",
    "update_fields",
]


class ProviderInUseError(Exception):
    """The provider still has servers and removal was not forced."""

    def __init__(self, name: str, count: int) -> None:
        super().__init__(f"provider {name!r} still has {count} server(s)")
        self.name = name
        self.count = count


async def add(
    session: AsyncSession,
    *,
    name: str,
    type: str,
    api_key_encrypted: str,
    configuration: dict[str, Any] | None = None,
    active: bool = True,
) -> ServiceProvider:
    if type not in PROVIDER_TYPES:
        raise ValueError(f"unknown provider type {type!r}")
    row = ServiceProvider(
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


async def by_name(session: AsyncSession, name: str) -> ServiceProvider | None:
    result = await session.execute(select(ServiceProvider).where(ServiceProvider.name == name))
    return result.scalar_one_or_none()


async def list_all(session: AsyncSession, *, active_only: bool = False) -> list[ServiceProvider]:
    query = select(ServiceProvider).order_by(ServiceProvider.name)
    if active_only:
        query = query.where(ServiceProvider.active.is_(True))
    return list((await session.execute(query)).scalars())


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


async def count_instances(session: AsyncSession, provider_id: uuid.UUID) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(VpsInstance)
        .where(VpsInstance.provider_id == provider_id, VpsInstance.status != "deleted")
    )
    return int(result.scalar_one())


async def instance_counts(session: AsyncSession) -> dict[uuid.UUID, int]:
    """How many servers (not deleted) each provider has; providers with none are absent."""
    result = await session.execute(
        select(VpsInstance.provider_id, func.count())
        .where(VpsInstance.provider_id.is_not(None), VpsInstance.status != "deleted")
        .group_by(VpsInstance.provider_id)
    )
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
