"""The status watcher: follows servers until they settle, across replicas.

Work items are the ``vps_instances`` rows with ``watch_next_at`` set. Each
cycle leases due rows with ``FOR UPDATE SKIP LOCKED`` (so two replicas never
take the same row), lists each provider's vpsbot-tagged servers once (not one
request per server), follows pending actions, updates the rows and the channel
messages, and reschedules with backoff until the server settles.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.actions import word as action_word
from bot.core.services import Services
from bot.core.tags import VPSBOT_TAG
from bot.status import service as status
from db.models import ServiceProvider, VpsInstance
from db.repo import activity, drafts, instances, plans
from providers.errors import NotFoundError, ProviderError
from providers.models import Instance

__all__ = ["SETTLED", "StatusWatcher"]

log = logging.getLogger(__name__)

#: Statuses after which nothing more is expected to happen by itself.
SETTLED = frozenset({"running", "stopped", "error", "deleted"})


def _backoff(attempts: int) -> float:
    return float(min(2 ** max(attempts, 1), 60))


class StatusWatcher:
    """Polls providers for the servers that are changing; one instance per process."""

    def __init__(
        self,
        services: Services,
        *,
        interval: float = 3.0,
        batch: int = 200,
        grace: timedelta = timedelta(minutes=10),
    ) -> None:
        self.services = services
        self.interval = interval
        self.batch = batch
        self.grace = grace

    async def run(self, stop: asyncio.Event) -> None:
        """Cycle until ``stop`` is set; a failing cycle is logged, never fatal."""
        while not stop.is_set():
            try:
                await self.cycle()
            except Exception:
                log.exception("status watcher cycle failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    async def cycle(self, *, ignore_schedule: bool = False) -> int:
        """One pass over the due rows; returns how many were looked at."""
        async with self.services.db.session() as session, session.begin():
            rows = list(
                await instances.lease_due(
                    session, limit=self.batch, ignore_schedule=ignore_schedule
                )
            )
            await drafts.delete_expired(session, timedelta(hours=24))
        if not rows:
            return 0
        groups: dict[uuid.UUID | None, list[VpsInstance]] = defaultdict(list)
        for row in rows:
            groups[row.provider_id].append(row)
        await asyncio.gather(*(self._provider_pass(pid, group) for pid, group in groups.items()))
        return len(rows)

    async def _provider_pass(self, provider_id: uuid.UUID | None, rows: list[VpsInstance]) -> None:
        async with self.services.db.session() as session:
            prov = await session.get(ServiceProvider, provider_id) if provider_id else None
        if prov is None:
            for row in rows:
                await self._settle(
                    row, {"status": "error"}, note="Its provider was removed from vpsbot."
                )
            return
        provider = self.services.provider_for(prov)
        try:
            listing = await provider.list_instances(tag=VPSBOT_TAG)
        except ProviderError as exc:
            log.warning("watcher: listing %s failed: %s", prov.name, exc.message)
            for row in rows:
                await self._reschedule(row)
            return
        by_id = {server.id: server for server in listing}
        by_tag = {tag: server for server in listing for tag in server.tags}
        for row in rows:
            try:
                await self._follow(row, prov, provider, by_id, by_tag)
            except ProviderError as exc:
                log.warning("watcher: %s (%s): %s", row.label, prov.name, exc.message)
                await self._reschedule(row)

    async def _follow(
        self,
        row: VpsInstance,
        prov: ServiceProvider,
        provider: Any,
        by_id: dict[str, Instance],
        by_tag: dict[str, Instance],
    ) -> None:
        pending: dict[str, Any] | None = row.configuration.get("pending_action")
        if pending and pending.get("id") and pending.get("action") != "delete":
            result = await provider.get_action(row.provider_instance_id or "", pending["id"])
            if result.status in ("completed", "errored"):
                await self._finish_action(row, pending, ok=result.status == "completed")
                pending = None
            else:
                progress = f" ({result.progress}%)" if result.progress is not None else ""
                word = action_word(pending["action"], pending["action"])
                note = f"{word} in progress{progress}"
                await self._update(row, {}, note=note)
        server = by_id.get(row.provider_instance_id or "") or by_tag.get(row.tag or "")
        if server is None and row.provider_instance_id:
            try:
                server = await provider.get_instance(row.provider_instance_id)
            except NotFoundError:
                server = None
        if server is None:
            await self._missing(row, pending)
            return
        values: dict[str, Any] = {
            "status": server.status.value,
            "ip_address": server.ipv4,
            "ipv6_address": server.ipv6,
            "configuration": {"raw_status": server.raw_status},
        }
        if server.plan and server.plan != row.configuration.get("plan") and row.provider_id:
            # the provider's word on the size wins (a resize recorded on request
            # may have failed, or been made outside vpsbot)
            async with self.services.db.session() as session:
                plan_id = await plans.id_for(session, row.provider_id, server.plan)
            values["plan_id"] = plan_id
            values["configuration"]["plan"] = server.plan
        if row.provider_instance_id is None:
            values["provider_instance_id"] = server.id
            await self._record(
                row, "vps.create", "success", recovered=True, provider_instance_id=server.id
            )
            await status.creation_known(self.services, row, created=True)
        # without an action handle from the provider, the status settling is the signal
        if (
            pending
            and pending.get("action") != "delete"
            and not pending.get("id")
            and server.status.value in SETTLED
        ):
            await self._finish_action(row, pending, ok=True)
            pending = None
        if server.status.value in SETTLED and not pending:
            await self._settle(row, values)
        else:
            await self._update(row, values, reschedule=True)

    async def _missing(self, row: VpsInstance, pending: dict[str, Any] | None) -> None:
        if (pending and pending.get("action") == "delete") or row.status == "deleting":
            await self._settle(
                row, {"status": "deleted", "ip_address": None}, note="Deleted at the provider."
            )
            await status.post_event(self.services, row.id, f"*{row.label}* was deleted.")
            return
        if row.provider_instance_id is None:
            age = datetime.now(UTC) - row.created_at
            if age > self.grace:
                await self._settle(
                    row,
                    {"status": "error"},
                    note="The provider never confirmed this server; nothing was created. "
                    "Run `/vps create` again.",
                )
                await self._record(row, "vps.create", "error", reason="not found by tag")
                await status.creation_known(self.services, row, created=False)
                await status.post_event(
                    self.services,
                    row.id,
                    f":x: *{row.label}* was not created: the provider never confirmed it.",
                )
            else:
                await self._reschedule(row)
            return
        await self._settle(
            row,
            {"status": "deleted", "ip_address": None},
            note="No longer at the provider (deleted outside vpsbot?).",
        )

    async def _finish_action(self, row: VpsInstance, pending: dict[str, Any], *, ok: bool) -> None:
        word = action_word(pending.get("action", ""), pending.get("action", "Action"))
        row.configuration = {k: v for k, v in row.configuration.items() if k != "pending_action"}
        async with self.services.db.session() as session, session.begin():
            await instances.mark(
                session, row.id, configuration=instances.without_pending_action(pending)
            )
        await self._record(
            row, f"vps.{pending.get('action')}", "success" if ok else "error", by=pending.get("by")
        )
        await status.post_event(
            self.services,
            row.id,
            f":white_check_mark: {word} of *{row.label}* completed."
            if ok
            else f":x: {word} of *{row.label}* failed at the provider.",
        )

    async def _record(self, row: VpsInstance, event: str, result: str, **meta: Any) -> None:
        async with self.services.db.session() as session, session.begin():
            await activity.record(
                session,
                event_type=event,
                status=result,
                team_id=row.team_id,
                user_id=meta.pop("by", None) or row.created_by,
                entity_type="vps",
                entity_id=str(row.id),
                metadata={"label": row.label, **meta},
            )

    async def _update(
        self,
        row: VpsInstance,
        values: dict[str, Any],
        *,
        note: str | None = None,
        reschedule: bool = False,
    ) -> None:
        before = (row.status, row.ip_address, row.ipv6_address, row.provider_instance_id)
        async with self.services.db.session() as session, session.begin():
            extra: dict[str, Any] = {}
            if reschedule:
                extra = {
                    "watch_next_at": datetime.now(UTC)
                    + timedelta(seconds=_backoff(row.watch_attempts)),
                    "watch_lease_until": None,
                }
            patch = values.pop("configuration", None)
            if patch:
                # merged in SQL: a user's action recorded meanwhile is not overwritten
                extra["configuration"] = instances.merged_configuration(patch)
                row.configuration = {**row.configuration, **patch}
            if values or extra:
                await instances.mark(session, row.id, **values, **extra)
        for key, value in values.items():
            setattr(row, key, value)
        after = (row.status, row.ip_address, row.ipv6_address, row.provider_instance_id)
        if (
            after != before
            or note
            or not status.is_posted(row)
            or row.configuration.get("card_stale")
        ):
            await status.publish(self.services, row.id, note=note)
        if before[0] != row.status and row.status == "running":
            where = f" at `{row.ip_address}`" if row.ip_address else ""
            await status.post_event(
                self.services, row.id, f":large_green_circle: *{row.label}* is running{where}."
            )

    async def _settle(
        self, row: VpsInstance, values: dict[str, Any], *, note: str | None = None
    ) -> None:
        if note:
            values = {**values, "configuration": {**values.get("configuration", {}), "note": note}}
        values = {**values, "watch_next_at": None, "watch_lease_until": None}
        await self._update(row, values)

    async def _reschedule(self, row: VpsInstance) -> None:
        await self._update(row, {}, reschedule=True)
