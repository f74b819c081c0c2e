"""Drift reconciliation: make the database agree with what the providers report.

Once per period across all replicas (``job_runs``), each active provider's
servers are listed with list calls (never one request per server) and compared
with the rows: status and IP changes are applied, servers deleted outside vpsbot
are marked ``deleted`` (not dropped), and servers carrying a vpsbot tag that no
row knows are reported to the admins. Changes that matter go to the server's
thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter

from bot.core.blocks import date, esc
from bot.core.services import Services
from bot.core.tags import is_instance_tag
from bot.status import service as status
from db.models import ServiceProvider
from db.repo import activity, jobs, providers, reconcile, workspaces
from providers.errors import ProviderError
from providers.models import Instance

__all__ = ["DriftReport", "Reconciler"]


def _change(
    row: Any, status_: str, ipv4: str | None, ipv6: str | None, configuration: dict[str, Any]
) -> dict[str, Any]:
    return {
        "row_id": row.id,
        "status": status_,
        "ip_address": ipv4,
        "ipv6_address": ipv6,
        "configuration": configuration,
    }


def _event(row: Any, prov: ServiceProvider, result: str, **meta: Any) -> dict[str, Any]:
    return {
        "team_id": row.team_id,
        "user_id": None,
        "event_type": "vps.drift",
        "entity_type": "vps",
        "entity_id": str(row.id),
        "status": result,
        "metadata": {"label": row.label, "provider": prov.name, **meta},
    }


@dataclass(frozen=True)
class _Drift:
    """One row's drift: ``deleted`` or ``changed``, its row change and audit event,
    and what its thread is told (empty: only the card is refreshed)."""

    kind: str
    change: dict[str, Any]
    event: dict[str, Any]
    text: str


def _deleted(row: Any, prov: ServiceProvider, stamp: str) -> _Drift:
    """A row whose server the provider no longer lists."""
    note = f"Deleted outside vpsbot (noticed {stamp})."
    return _Drift(
        "deleted",
        _change(
            row, "deleted", None, None, {**row.configuration, "note": note, "drift": "deleted"}
        ),
        _event(row, prov, "warning", drift="deleted"),
        f":warning: *{esc(row.label)}* no longer exists at {esc(prov.name)}: "
        "it was deleted outside vpsbot.",
    )


def _changed(row: Any, prov: ServiceProvider, server: Instance) -> _Drift | None:
    """A row whose server's status or addresses differ from what the provider says."""
    status_changed = server.status.value != row.status
    if not status_changed and (server.ipv4, server.ipv6) == (row.ip_address, row.ipv6_address):
        return None
    text = (
        f":information_source: *{esc(row.label)}* is now *{server.status.value}* at "
        f"{esc(prov.name)} (was {esc(row.status)}); the change was made outside vpsbot."
        if status_changed
        else ""
    )
    return _Drift(
        "changed",
        _change(
            row,
            server.status.value,
            server.ipv4,
            server.ipv6,
            {**row.configuration, "raw_status": server.raw_status},
        ),
        _event(
            row,
            prov,
            "info",
            drift="changed",
            to=server.status.value,
            ip=server.ipv4,
            **{"from": row.status},
        ),
        text,
    )


log = logging.getLogger(__name__)

DRIFT = Counter("vpsbot_drift_total", "Drift found by reconciliation", ["provider", "kind"])
JOB = "drift-reconciliation"


@dataclass
class DriftReport:
    """What one reconciliation pass found and did."""

    providers: int = 0
    servers_seen: int = 0
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    #: the orphans again, by the workspace owning their provider (None: operator's)
    orphans_by_team: dict[str | None, list[str]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    #: providers skipped this pass because their rate-limit budget was low
    deferred: list[str] = field(default_factory=list)


class Reconciler:
    """Periodic reconciliation; ``cycle()`` runs one pass if this replica wins the period."""

    def __init__(self, services: Services, *, every: timedelta = timedelta(minutes=10)) -> None:
        self.services = services
        self.every = every

    async def run(self, stop: asyncio.Event, *, poll: float = 30.0) -> None:
        while not stop.is_set():
            try:
                await self.cycle()
            except Exception:
                log.exception("drift reconciliation failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll)

    async def cycle(self, *, force: bool = False) -> DriftReport | None:
        """One pass, or None when another replica already ran this period."""
        if not force:
            async with self.services.db.session() as session, session.begin():
                if not await jobs.claim_run(session, JOB, self.every):
                    return None
        report = DriftReport()
        async with self.services.db.session() as session:
            rows = await providers.list_all(session, active_only=True)
        for row in rows:
            report.providers += 1
            try:
                await self._provider(row, report)
            except ProviderError as exc:
                log.warning("drift: %s unavailable: %s", row.name, exc.message)
                report.failed.append(row.name)
        if report.orphans:
            await self._tell_admins(report)
        return report

    async def _provider(self, prov: ServiceProvider, report: DriftReport) -> None:
        provider = self.services.provider_for(prov)
        budget = getattr(provider, "rate_budget", None)
        if budget is not None and budget.low(time.time()):
            # a full listing would spend what users' own requests need; next period
            log.info("drift: %s deferred, its rate-limit budget is low", prov.name)
            report.deferred.append(prov.name)
            return
        listing = await provider.list_instances()
        report.servers_seen += len(listing)
        by_id = {server.id: server for server in listing}
        async with self.services.db.session() as session:
            rows = await reconcile.known_for_provider(session, prov.id)
        changes: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        told: list[tuple[Any, str]] = []  # (row, thread text) for rows with a message
        stamp = date(datetime.now(UTC))  # in each reader's own time zone
        for row in rows:
            server = by_id.get(row.provider_instance_id or "")
            drift = _deleted(row, prov, stamp) if server is None else _changed(row, prov, server)
            if drift is None:
                continue
            changes.append(drift.change)
            events.append(drift.event)
            (report.deleted if drift.kind == "deleted" else report.changed).append(row.label)
            DRIFT.labels(prov.type, drift.kind).inc()
            told.append((row, drift.text))
        if changes:
            async with self.services.db.session() as session, session.begin():
                await reconcile.apply_changes(session, changes, events)
        for row, text in told:
            if status.is_posted(row):  # only servers that have a channel card are told
                await status.publish(self.services, row.id)
                if text:
                    await status.post_event(self.services, row.id, text)
        await self._orphans(prov, listing, report)

    async def _orphans(
        self, prov: ServiceProvider, listing: list[Instance], report: DriftReport
    ) -> None:
        """The servers in ``listing`` carrying a vpsbot tag that no row knows."""
        tagged = [tag for server in listing for tag in server.tags if is_instance_tag(tag)]
        async with self.services.db.session() as session:
            known = await reconcile.known_tags(session, tagged)
        for server in listing:
            lost = [t for t in server.tags if is_instance_tag(t) and t not in known]
            if lost:
                orphan = f"{server.label} ({prov.name}, id {server.id})"
                report.orphans.append(orphan)
                report.orphans_by_team.setdefault(prov.team_id, []).append(orphan)
                DRIFT.labels(prov.type, "orphan").inc()

    async def _tell_admins(self, report: DriftReport) -> None:
        """Each workspace's orphans go to that workspace's named vpsbot admins with its
        own token; the operator's (and all of them in single-token mode) to the
        notify channel or ``VPSBOT_ADMINS`` as before."""
        single = self.services.single_workspace
        groups = {None: report.orphans} if single else report.orphans_by_team
        for team_id, orphans in groups.items():
            await self._tell(team_id, orphans)

    async def _tell(self, team_id: str | None, orphans: list[str]) -> None:
        lines = "\n".join(f"• {esc(orphan)}" for orphan in orphans[:40])
        more = len(orphans) - 40
        text = (
            ":mag: Servers tagged by vpsbot but unknown to its database "
            f"(created and lost?):\n{lines}" + (f"\n…and {more} more" if more > 0 else "")
        )
        services = self.services
        targets: list[str] = []
        client = None
        if team_id is None:
            if services.single_workspace:
                client = services.slack
                channel = services.settings.vpsbot_notify_channel
                targets = [channel] if channel else sorted(services.admins)
            else:
                log.warning("drift: %d orphan(s) of operator-level providers", len(orphans))
        else:
            client = await services.slack_for(team_id)
            if client is None:
                log.warning("drift: workspace %s has no installation; orphans logged only", team_id)
            else:
                async with services.db.session() as session:
                    targets = await workspaces.admins_of(session, team_id)
        for target in targets:
            try:
                assert client is not None
                await client.chat_postMessage(channel=target, text=text)
            except Exception as exc:
                log.warning("drift: cannot report orphans to %s: %s", target, exc)
        async with services.db.session() as session, session.begin():
            await activity.record(
                session,
                event_type="vps.orphans",
                status="warning",
                team_id=team_id,
                metadata={"servers": orphans[:200]},
            )
