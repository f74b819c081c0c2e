"""The status watcher: follows servers until they settle, across replicas.

Work items are the ``vps_instances`` rows with ``watch_next_at`` set; each cycle
leases due rows with ``FOR UPDATE SKIP LOCKED`` (two replicas never take the same
row), follows them and updates the rows and the channel cards. For k changing
servers among N, a poll reads each of the k (one request each) or the whole
tagged listing (ceil(N / page size) requests), whichever is fewer. Polls start
just before a change is expected to end (:mod:`bot.status.timing`), keeping the
card within seconds of the provider; a low rate-limit budget makes it wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core import actions as server_actions
from bot.core.blocks import esc
from bot.core.services import Services
from bot.core.tags import VPSBOT_TAG
from bot.status import service as status
from bot.status.timing import TICK, Durations, _backoff, change_of, next_delay
from db.models import ServiceProvider, VpsInstance
from db.repo import activity, drafts, instances, plans, providers
from providers.errors import NotFoundError, ProviderError
from providers.models import Instance
from providers.registry import capabilities_for

__all__ = ["SETTLED", "TICK", "Durations", "StatusWatcher", "next_delay"]


log = logging.getLogger(__name__)

#: Statuses after which nothing more is expected to happen by itself.
SETTLED = frozenset({"running", "stopped", "error", "deleted"})


class StatusWatcher:
    """Polls providers for the servers that are changing; one instance per process."""

    def __init__(
        self,
        services: Services,
        *,
        interval: float = 1.0,
        batch: int = 200,
        grace: timedelta = timedelta(minutes=10),
        durations: Durations | None = None,
    ) -> None:
        self.services = services
        self.interval = interval
        self.batch = batch
        self.grace = grace
        self.durations = durations or Durations()
        self._population: dict[uuid.UUID, tuple[float, int]] = {}
        self._drafts_swept = 0.0

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
            if time.monotonic() - self._drafts_swept > 60:  # not every second
                self._drafts_swept = time.monotonic()
                await drafts.delete_expired(session, timedelta(hours=24))
        if not rows:
            return 0
        groups: dict[uuid.UUID | None, list[VpsInstance]] = defaultdict(list)
        for row in rows:
            groups[row.provider_id].append(row)
        await asyncio.gather(*(self._provider_pass(pid, group) for pid, group in groups.items()))
        return len(rows)

    # ------------------------------------------------------------------ polling

    def _delay(self, row: VpsInstance, progress: int | None = None) -> float:
        """Seconds until ``row`` is worth asking about again."""
        change = change_of(row)
        if change is None:
            return _backoff(row.watch_attempts)
        account = str(row.provider_id)
        expected, learned = self.durations.expected(account, change.kind)
        elapsed = time.time() - change.since
        if progress is not None and 0 < progress < 100 and elapsed > 0:
            # the provider's own progress: the rest should take as long again
            # in proportion
            expected, learned = max(elapsed, elapsed * 100 / progress), True
        return next_delay(elapsed, expected, learned=learned)

    def _learn(self, row: VpsInstance) -> None:
        """Remember how long the row's change took (it just showed as done)."""
        change = change_of(row)
        if change is None:
            return
        took = time.time() - change.since - TICK / 2
        expected, _ = self.durations.expected(str(row.provider_id), change.kind)
        if took <= max(4 * expected, 600.0):  # not a row picked up again much later
            self.durations.observe(str(row.provider_id), change.kind, took)

    async def _servers_at(self, provider_id: uuid.UUID) -> int:
        """About how many vpsbot servers the provider holds (the database's
        count, refreshed every half minute): what a full listing would cost."""
        cached = self._population.get(provider_id)
        if cached is not None and time.monotonic() - cached[0] < 30:
            return cached[1]
        async with self.services.db.session() as session:
            count = await providers.count_instances(session, provider_id)
        self._population[provider_id] = (time.monotonic(), count)
        return count

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
        budget = getattr(provider, "rate_budget", None)
        now = time.time()
        if budget is not None and budget.low(now):
            # background work yields: what is left of the window is for users
            wait = max(5.0, (budget.reset_at or now + 30) - now)
            log.info("watcher: %s rate budget low; waiting %.0f s", prov.name, wait)
            for row in rows:
                await self._reschedule(row, wait)
            return
        actions = [row for row in rows if self._action_id(row)]
        others = [row for row in rows if not self._action_id(row)]
        # per poll, the cheaper of: one request per row, or one listing
        caps = capabilities_for(prov.type)
        page = caps.list_page_size if caps is not None else 100
        pages = max(1, math.ceil(await self._servers_at(prov.id) / page))
        listing: list[Instance] | None = None
        if others and self._prefer_listing(len(others), pages):
            try:
                listing = await provider.list_instances(tag=VPSBOT_TAG)
            except ProviderError as exc:
                log.warning("watcher: listing %s failed: %s", prov.name, exc.message)
                for row in others:
                    await self._reschedule(row)
                others = []
        for row in actions:
            try:
                await self._follow_action(row, provider)
            except ProviderError as exc:
                log.warning("watcher: %s (%s): %s", row.label, prov.name, exc.message)
                await self._reschedule(row)
        by_id = {server.id: server for server in listing or []}
        by_tag = {tag: server for server in listing or [] for tag in server.tags}
        for row in others:
            try:
                server = await self._lookup(row, provider, listing, by_id, by_tag)
                await self._follow(row, prov, server)
            except ProviderError as exc:
                log.warning("watcher: %s (%s): %s", row.label, prov.name, exc.message)
                await self._reschedule(row)

    def _prefer_listing(self, changing: int, pages: int) -> bool:
        """Whether one listing (``pages`` requests) beats a request per row."""
        return changing > pages

    @staticmethod
    def _action_id(row: VpsInstance) -> str:
        pending: dict[str, Any] | None = row.configuration.get("pending_action")
        if pending and pending.get("id") and pending.get("action") != "delete":
            return str(pending["id"])
        return ""

    async def _lookup(
        self,
        row: VpsInstance,
        provider: Any,
        listing: list[Instance] | None,
        by_id: dict[str, Instance],
        by_tag: dict[str, Instance],
    ) -> Instance | None:
        """The row's server: from the listing when there is one, else one request."""
        if listing is not None:
            server = by_id.get(row.provider_instance_id or "") or by_tag.get(row.tag or "")
            if server is not None or not row.provider_instance_id:
                return server
        if row.provider_instance_id:
            try:
                found: Instance = await provider.get_instance(row.provider_instance_id)
            except NotFoundError:
                return None
            return found
        if row.tag:
            tagged: Instance | None = await provider.find_by_tag(row.tag)
            return tagged
        return None

    async def _follow_action(self, row: VpsInstance, provider: Any) -> None:
        """One request: the action's state. When it is over, the server itself is
        read on the next cycle (a second request now would double this poll)."""
        pending: dict[str, Any] = row.configuration["pending_action"]
        result = await provider.get_action(row.provider_instance_id or "", pending["id"])
        if result.finished:
            self._learn(row)
            ok = result.status == "completed"
            await self._finish_action(row, pending, ok=ok, canceled=result.status == "canceled")
            await self._update(row, {}, delay=0.0)
            return
        progress = f" ({result.progress}%)" if result.progress is not None else ""
        word = server_actions.word(pending["action"], pending["action"])
        await self._update(
            row, {}, note=f"{word} in progress{progress}", delay=self._delay(row, result.progress)
        )

    async def _follow(
        self, row: VpsInstance, prov: ServiceProvider, server: Instance | None
    ) -> None:
        pending: dict[str, Any] | None = row.configuration.get("pending_action")
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
            # the provider's word on the size wins (a resize may have been made outside vpsbot)
            async with self.services.db.session() as session, session.begin():
                plan_id = await plans.id_for(session, row.provider_id, server.plan)
                if (row.configuration.get(instances.RESIZING) or {}).get("plan") == server.plan:
                    await instances.end_resize(session, row.id, done=True)  # prices too
            values["plan_id"] = plan_id
            values["configuration"]["plan"] = server.plan
        if row.provider_instance_id is None:
            values["provider_instance_id"] = server.id
            await self._record(
                row, "vps.create", "success", recovered=True, provider_instance_id=server.id
            )
            await status.creation_known(self.services, row, created=True)
        settled = server.status.value in SETTLED
        if settled:
            self._learn(row)
        # without an action handle from the provider, the status settling is the signal
        if pending and pending.get("action") != "delete" and not pending.get("id") and settled:
            await self._finish_action(row, pending, ok=True)
            pending = None
        if settled and not pending:
            await self._settle(row, values)
        else:
            await self._update(row, values, delay=self._delay(row))

    async def _missing(self, row: VpsInstance, pending: dict[str, Any] | None) -> None:
        if (pending and pending.get("action") == "delete") or row.status == "deleting":
            await self._settle(
                row, {"status": "deleted", "ip_address": None}, note="Deleted at the provider."
            )
            await status.post_event(self.services, row.id, f"*{esc(row.label)}* was deleted.")
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
                    f":x: *{esc(row.label)}* was not created: the provider never confirmed it.",
                )
            else:
                await self._reschedule(row)
            return
        await self._settle(
            row,
            {"status": "deleted", "ip_address": None},
            note="No longer at the provider (deleted outside vpsbot?).",
        )

    async def _finish_action(
        self, row: VpsInstance, pending: dict[str, Any], *, ok: bool, canceled: bool = False
    ) -> None:
        word = server_actions.word(pending.get("action", ""), pending.get("action", "Action"))
        row.configuration = {k: v for k, v in row.configuration.items() if k != "pending_action"}
        async with self.services.db.session() as session, session.begin():
            await instances.mark(
                session, row.id, configuration=instances.without_pending_action(pending)
            )
            if pending.get("action") == "resize":  # confirmed: the new plan and prices
                await instances.end_resize(session, row.id, done=ok)
        await self._record(
            row,
            f"vps.{pending.get('action')}",
            "success" if ok else "warning" if canceled else "error",
            by=pending.get("by"),
        )
        if ok:
            text = f":white_check_mark: {word} of *{esc(row.label)}* completed."
        elif canceled:
            text = f":heavy_minus_sign: {word} of *{esc(row.label)}* was canceled at the provider."
        else:
            text = f":x: {word} of *{esc(row.label)}* failed at the provider."
        await status.post_event(self.services, row.id, text)

    async def _record(self, row: VpsInstance, event: str, result: str, **meta: Any) -> None:
        async with self.services.db.session() as session, session.begin():
            await activity.record(
                session,
                event_type=event,
                status=result,
                team_id=row.team_id,
                user_id=server_actions.person(meta.pop("by", None) or row.created_by),
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
        delay: float | None = None,
    ) -> None:
        before = (row.status, row.ip_address, row.ipv6_address, row.provider_instance_id)
        async with self.services.db.session() as session, session.begin():
            extra: dict[str, Any] = {}
            if delay is not None:
                extra = {
                    "watch_next_at": datetime.now(UTC) + timedelta(seconds=delay),
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
            where = f" at `{esc(row.ip_address)}`" if row.ip_address else ""
            await status.post_event(
                self.services, row.id, f":large_green_circle: *{esc(row.label)}* is running{where}."
            )

    async def _settle(
        self, row: VpsInstance, values: dict[str, Any], *, note: str | None = None
    ) -> None:
        if note:
            values = {**values, "configuration": {**values.get("configuration", {}), "note": note}}
        values = {**values, "watch_next_at": None, "watch_lease_until": None}
        await self._update(row, values)

    async def _reschedule(self, row: VpsInstance, delay: float | None = None) -> None:
        await self._update(row, {}, delay=_backoff(row.watch_attempts) if delay is None else delay)
