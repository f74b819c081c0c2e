"""Workspace providers whose API URL the operator does not allow (any more).

Why a module: the rule itself is :func:`bot.core.endpoints.refusal`; this is what
the admin side does with it: refuse to re-enable, check or rotate such a provider,
and deactivate each one at start-up with one log line (``vpsbot serve``).
"""

from __future__ import annotations

import logging

from bot.admin.changes import audit, changed
from bot.admin.views import REFUSED_HELP
from bot.core import endpoints
from bot.core.errors import AdminError
from bot.core.services import Services
from db.models import ServiceProvider
from db.repo import providers

__all__ = ["WHAT_TO_DO", "disable_refused", "not_allowed", "refuse_if_not_allowed"]

log = logging.getLogger(__name__)


def not_allowed(services: Services, row: ServiceProvider) -> str | None:
    """Why ``row``'s API URL is not allowed any more (see :mod:`bot.core.endpoints`)."""
    return endpoints.refusal(
        services.settings, type=row.type, team_id=row.team_id, configuration=row.configuration
    )


def refuse_if_not_allowed(services: Services, row: ServiceProvider) -> None:
    """:class:`AdminError` when ``row``'s API URL is not allowed (nothing is sent to it)."""
    reason = not_allowed(services, row)
    if reason is not None:
        raise AdminError(f"*{row.name}* stays disabled: {reason}. {WHAT_TO_DO}")


#: What a workspace admin can do about a provider whose API URL is not allowed.
WHAT_TO_DO = REFUSED_HELP


async def disable_refused(services: Services) -> int:
    """At start-up: deactivate every workspace provider whose API URL is not allowed
    (one log line each); returns how many were deactivated now."""
    async with services.db.session() as session:
        rows = await providers.list_all(session)
    count = 0
    for row in rows:
        reason = not_allowed(services, row)
        if reason is None:
            continue
        if row.active:
            async with services.db.session() as session, session.begin():
                await providers.set_active(session, row.id, False)
                await audit(
                    session,
                    "provider.disable",
                    row,
                    actor="vpsbot",
                    team_id=row.team_id,
                    status="warning",
                    metadata={"name": row.name, "reason": reason},
                )
            await changed(services, row)
            count += 1
        log.warning(
            "provider %r of workspace %s %s: %s",
            row.name,
            row.team_id,
            "disabled" if row.active else "stays disabled",
            reason,
            extra={"provider_id": str(row.id), "team_id": row.team_id},
        )
    return count
