"""The spend features' background work, wired here because it crosses features:
the lease sweep ends a lease with the servers feature's action, and approval
requests nobody decided expire."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.approvals.service import expire_requests
from bot.core.services import Services
from bot.servers import operations
from bot.status.leases import LeaseSweeper
from db.models import VpsInstance
from providers.models import InstanceStatus

__all__ = ["end_lease", "expire_requests_forever", "lease_sweeper"]

log = logging.getLogger(__name__)


async def end_lease(services: Services, row: VpsInstance, action: str) -> str:
    """Run the lease-end ``action`` on ``row`` through the same path as its owner's
    button (claimed, audited, followed by the watcher), recorded as vpsbot's.

    Idempotent, because the sweeper runs it again when a lease end was claimed and
    never marked done (the process died, maybe after the provider took the
    request): a server being deleted or gone, or for a power off already off or
    being powered off, by the row or by its provider (asked first: a power off
    sent to a server that is off may be refused), gets nothing sent, only said.
    A delete the provider answers with 404 is done (``operations.execute``).
    """
    pending = (row.configuration.get("pending_action") or {}).get("action")
    if row.status in ("deleted", "deleting") or pending == "delete":
        return f"*{row.label}* was already gone when its lease ended."
    if action == "power_off":
        if row.status == "stopped" or pending == "power_off":
            return f"The lease of *{row.label}* ended; it was already powered off."
        found = await operations.status_at_provider(services, row)
        if found is None or found == InstanceStatus.DELETING:
            return f"*{row.label}* was already gone at the provider when its lease ended."
        if found == InstanceStatus.STOPPED:
            return f"The lease of *{row.label}* ended; it was already powered off."
    outcome = await operations.execute(
        services,
        instance_id=row.id,
        team_id=row.team_id or "",
        user_id=row.created_by or "",
        action=action,
        by_vpsbot=True,
    )
    if not outcome.ok:
        return f"The lease of *{row.label}* ended. {outcome.message}"
    done = "powered off" if action == "power_off" else "deleted"
    return f"The lease of *{row.label}* ended; it is being {done}."


def lease_sweeper(services: Services) -> LeaseSweeper:
    return LeaseSweeper(services, end=end_lease)


async def expire_requests_forever(
    services: Services, stop: asyncio.Event, interval: float = 60.0
) -> None:
    """Expire undecided approval requests every ``interval`` seconds until ``stop``."""
    while not stop.is_set():
        try:
            await expire_requests(services)
        except Exception:
            log.exception("approval expiry failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
