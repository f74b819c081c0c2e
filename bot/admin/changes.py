"""What every administrative change shares: finding the provider it names and
its live client, writing its audit entry, and dropping what every replica cached
about it.

The admin services raise the two documented roots only: :class:`AdminError` (a
token the keys cannot decrypt, a provider still in use, a missing row) and
:class:`~providers.errors.ProviderError` (the cloud said no, or its type is not
supported), so a listener catches exactly those two.

Provider ids arrive from Slack as untrusted text; they are parsed here and the
row is always read again from the database.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import AdminError
from bot.core.services import Services
from db.crypto import SecretError
from db.models import ServiceProvider
from db.repo import activity, providers
from providers.base import Provider

__all__ = ["audit", "changed", "client_of", "provider_by_id", "provider_named", "provider_uuid"]


async def audit(
    session: AsyncSession,
    event_type: str,
    row: ServiceProvider,
    *,
    actor: str | None,
    team_id: str | None,
    metadata: dict[str, Any],
    status: str = "success",
) -> None:
    """One audit entry about provider ``row``."""
    await activity.record(
        session,
        event_type=event_type,
        status=status,
        team_id=team_id,
        user_id=actor,
        entity_type="provider",
        entity_id=str(row.id),
        metadata=metadata,
    )


async def changed(services: Services, row: ServiceProvider) -> None:
    """Drop what every replica cached about ``row``: its client and catalogue, and the
    offer `/vps create` reads (at once here, through NOTIFY elsewhere)."""
    await services.changed("provider", str(row.id))


def client_of(services: Services, row: ServiceProvider) -> Provider:
    """The live client of ``row``; :class:`AdminError` when its stored token cannot be
    decrypted with the configured keys (the message says so, never the token)."""
    try:
        return services.provider_for(row)
    except SecretError as exc:
        raise AdminError(str(exc)) from None


def provider_uuid(value: object) -> uuid.UUID | None:
    """``value`` as a UUID, or None when it is not one (ids from Slack are untrusted)."""
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def provider_named(
    services: Services, name: str, team_id: str | None = None
) -> ServiceProvider:
    """The provider called ``name`` that ``team_id`` owns (None: the operator's own,
    from the CLI), or :class:`AdminError`."""
    async with services.db.session() as session:
        row = await providers.by_name(session, name, services.scope(team_id) if team_id else None)
    if row is None:
        raise AdminError(f"no provider named {name!r}")
    return row


async def provider_by_id(services: Services, provider_id: object, team_id: str) -> ServiceProvider:
    """The provider row with id ``provider_id`` (untrusted) if ``team_id`` owns it,
    or :class:`AdminError`: another workspace's provider looks like a missing one."""
    parsed = provider_uuid(provider_id)
    row = None
    if parsed is not None and team_id:
        async with services.db.session() as session:
            row = await providers.get_owned(session, parsed, services.scope(team_id))
    if row is None:
        raise AdminError("that provider no longer exists")
    return row
