"""The sandbox's in-memory accounts: servers, actions and events for both providers.

Lifecycles are lazy: each record keeps its pending transitions with the
virtual instant they happen, and :meth:`settle` applies the ones that are due
whenever the state is read. The clock only moves forward, so this is exact.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from standins.sandbox.catalog import DOCatalog, LinodeCatalog, do_catalog, linode_catalog
from standins.sandbox.clock import Clock

__all__ = [
    "SEEDED_HISTORY",
    "DOAction",
    "DOState",
    "Droplet",
    "LinodeEvent",
    "LinodeInstance",
    "LinodeState",
    "public",
]

#: Seconds of metric readings a seeded server has from before it was seeded.
SEEDED_HISTORY = 8 * 86400.0


def public(obj: dict[str, Any]) -> dict[str, Any]:
    """A catalogue object without its sandbox-internal ``_keys``."""
    return {k: v for k, v in obj.items() if not k.startswith("_")}


# --------------------------------------------------------------------------- DigitalOcean

#: Droplet status after each action completes (None: unchanged).
DO_ACTION_RESULT: dict[str, str | None] = {
    "create": "active",
    "power_on": "active",
    "power_off": "off",
    "shutdown": "off",
    "reboot": "active",
    "power_cycle": "active",
    "rebuild": "active",
    "resize": None,
    "rename": None,
    "enable_ipv6": None,
    "enable_backups": None,
    "disable_backups": None,
    "password_reset": None,
}


@dataclass
class DOAction:
    id: int
    type: str
    droplet_id: int
    region: str
    started: float
    completes: float
    params: dict[str, Any] = field(default_factory=dict)
    status: str = "in-progress"


@dataclass
class Droplet:
    id: int
    name: str
    region: str
    size: str
    image: dict[str, Any]
    created: float
    tags: list[str]
    vpc_uuid: str
    ipv6: bool = False
    backups: bool = False
    monitoring: bool = False
    agent: bool = True
    user_data: str | None = None
    ssh_keys: list[int] = field(default_factory=list)
    status: str = "new"
    pending: list[DOAction] = field(default_factory=list)
    action_ids: list[int] = field(default_factory=list)
    disk: int | None = None
    #: seconds of metric readings before ``created`` (a seeded server pre-existed)
    history: float = 0.0


class DOState:
    """One DigitalOcean account."""

    def __init__(self, clock: Clock, provision_seconds: float, action_seconds: float) -> None:
        self.clock = clock
        self.provision_seconds = provision_seconds
        self.action_seconds = action_seconds
        self.catalog: DOCatalog = do_catalog()
        self.droplets: dict[int, Droplet] = {}
        self.actions: dict[int, DOAction] = {}
        self._busy: set[int] = set()
        self._next_droplet = 400_000_001
        self._next_action = 2_000_000_001

    # -- lifecycle
    def settle(self, droplet: Droplet) -> None:
        """Apply every transition of ``droplet`` that is due by now."""
        if not droplet.pending:
            return
        now = self.clock.now()
        while droplet.pending and droplet.pending[0].completes <= now:
            action = droplet.pending.pop(0)
            self._apply(droplet, action)
        if not droplet.pending:
            self._busy.discard(droplet.id)

    def settle_all(self) -> None:
        for droplet_id in list(self._busy):
            droplet = self.droplets.get(droplet_id)
            if droplet is None:
                self._busy.discard(droplet_id)
            else:
                self.settle(droplet)

    def _apply(self, droplet: Droplet, action: DOAction) -> None:
        action.status = "completed"
        result = DO_ACTION_RESULT.get(action.type)
        if action.type == "rebuild":
            droplet.image = action.params["image"]
        elif action.type == "resize":
            droplet.size = action.params["size"]
            if action.params.get("disk"):
                droplet.disk = self.catalog.by_size[droplet.size]["disk"]
        elif action.type == "rename":
            droplet.name = action.params["name"]
        elif action.type == "enable_ipv6":
            droplet.ipv6 = True
        elif action.type in ("enable_backups", "disable_backups"):
            droplet.backups = action.type == "enable_backups"
        if result is not None:
            droplet.status = result

    def start_action(
        self,
        droplet: Droplet,
        kind: str,
        params: dict[str, Any] | None = None,
        *,
        seconds: float | None = None,
    ) -> DOAction:
        """Begin an action; it completes (and takes effect) after ``seconds``."""
        now = self.clock.now()
        duration = self.action_seconds if seconds is None else seconds
        action = DOAction(
            id=self._next_action,
            type=kind,
            droplet_id=droplet.id,
            region=droplet.region,
            started=now,
            completes=now + duration,
            params=params or {},
        )
        self._next_action += 1
        self.actions[action.id] = action
        droplet.action_ids.append(action.id)
        droplet.pending.append(action)
        self._busy.add(droplet.id)
        return action

    # -- records
    def new_droplet(
        self,
        *,
        name: str,
        region: str,
        size: str,
        image: dict[str, Any],
        tags: list[str],
        vpc_uuid: str,
        **extra: Any,
    ) -> tuple[Droplet, DOAction]:
        droplet = Droplet(
            id=self._next_droplet,
            name=name,
            region=region,
            size=size,
            image=image,
            created=self.clock.now(),
            tags=tags,
            vpc_uuid=vpc_uuid,
            **extra,
        )
        self._next_droplet += 1
        self.droplets[droplet.id] = droplet
        action = self.start_action(droplet, "create", seconds=self.provision_seconds)
        return droplet, action

    def seed(self, n: int, *, tag: str | None, status: str, monitoring: bool = True) -> list[int]:
        """Create ``n`` droplets that are already provisioned (no actions), with a
        week of metrics behind them (``monitoring``: the agent runs on them)."""
        image = self.catalog.images[0]
        vpc = self.catalog.default_vpc("nyc3")
        vpc_id = vpc["id"] if vpc else ""
        now = self.clock.now() - self.provision_seconds
        ids = []
        for _ in range(n):
            droplet_id = self._next_droplet
            self._next_droplet += 1
            self.droplets[droplet_id] = Droplet(
                id=droplet_id,
                name=f"seed-{droplet_id}",
                region="nyc3",
                size="s-1vcpu-1gb",
                image=image,
                created=now,
                tags=[tag] if tag else [],
                vpc_uuid=vpc_id,
                status=status,
                monitoring=monitoring,
                history=SEEDED_HISTORY,
            )
            ids.append(droplet_id)
        return ids

    def set_status(self, droplet: Droplet, status: str) -> None:
        """Force a status "outside vpsbot": pending actions end without effect."""
        self.settle(droplet)
        for action in droplet.pending:
            action.status = "completed"
        droplet.pending.clear()
        self._busy.discard(droplet.id)
        droplet.status = status

    def delete(self, droplet_id: int) -> None:
        droplet = self.droplets.pop(droplet_id)
        self._busy.discard(droplet_id)
        for action in droplet.pending:
            action.status = "errored"

    # -- rendering
    def _networks(self, droplet: Droplet) -> dict[str, Any]:
        if droplet.status == "new":
            return {"v4": [], "v6": []}
        n = droplet.id - 400_000_000
        region_index = list(self.catalog.by_region).index(droplet.region)
        public_ip = ipaddress.IPv4Address(0x9FCB0000 + n % 65000 + 1)  # 159.203.x.y
        v4 = [
            {
                "ip_address": str(public_ip),
                "netmask": "255.255.240.0",
                "gateway": str(ipaddress.IPv4Address((int(public_ip) & 0xFFFFF000) + 1)),
                "type": "public",
            },
            {
                "ip_address": f"10.{100 + region_index}.{(n >> 8) % 16}.{n % 256}",
                "netmask": "255.255.240.0",
                "gateway": f"10.{100 + region_index}.0.1",
                "type": "private",
            },
        ]
        v6 = []
        if droplet.ipv6:
            v6.append(
                {
                    "ip_address": f"2604:a880:400:d1::{n:x}:1001",
                    "netmask": 64,
                    "gateway": "2604:a880:400:d1::1",
                    "type": "public",
                }
            )
        return {"v4": v4, "v6": v6}

    def render(self, droplet: Droplet) -> dict[str, Any]:
        """The droplet as ``GET /v2/droplets/{id}`` shows it."""
        self.settle(droplet)
        size = self.catalog.by_size[droplet.size]
        region = self.catalog.by_region[droplet.region]
        disk = droplet.disk or size["disk"]
        features = ["private_networking"]
        if droplet.backups:
            features.append("backups")
        if droplet.ipv6:
            features.append("ipv6")
        if droplet.monitoring:
            features.append("monitoring")
        if droplet.agent:
            features.append("droplet_agent")
        return {
            "id": droplet.id,
            "name": droplet.name,
            "memory": size["memory"],
            "vcpus": size["vcpus"],
            "disk": disk,
            "disk_info": [{"type": "local", "size": {"amount": disk, "unit": "gib"}}],
            "locked": bool(droplet.pending) and droplet.pending[0].type != "create",
            "status": droplet.status,
            "kernel": None,
            "created_at": self.clock.iso_do(droplet.created),
            "features": features,
            "backup_ids": [],
            "next_backup_window": (
                {
                    "start": self.clock.iso_do(droplet.created + 86400),
                    "end": self.clock.iso_do(droplet.created + 86400 + 7 * 3600),
                }
                if droplet.backups
                else None
            ),
            "snapshot_ids": [],
            "image": public(droplet.image),
            "volume_ids": [],
            "size": public(size),
            "size_slug": droplet.size,
            "networks": self._networks(droplet),
            "region": public(region),
            "tags": list(droplet.tags),
            "vpc_uuid": droplet.vpc_uuid,
        }

    def render_action(self, action: DOAction) -> dict[str, Any]:
        droplet = self.droplets.get(action.droplet_id)
        if droplet is not None:
            self.settle(droplet)
        elif action.status == "in-progress" and action.completes <= self.clock.now():
            action.status = "completed"
        done = action.status != "in-progress"
        return {
            "id": action.id,
            "status": action.status,
            "type": action.type,
            "started_at": self.clock.iso_do(action.started),
            "completed_at": self.clock.iso_do(action.completes) if done else None,
            "resource_id": action.droplet_id,
            "resource_type": "droplet",
            "region": public(self.catalog.by_region[action.region]),
            "region_slug": action.region,
        }


# --------------------------------------------------------------------------- Linode

#: Status while an action runs, and (for boot-like actions) after.
LINODE_BUSY = {
    "linode_boot": ("booting", "running"),
    "linode_shutdown": ("shutting_down", "offline"),
    "linode_reboot": ("rebooting", "running"),
    "linode_rebuild": ("rebuilding", "running"),
    "linode_resize": ("resizing", None),  # None: back to the status it had before
}


@dataclass
class LinodeEvent:
    id: int
    action: str
    entity_id: int
    entity_label: str
    start: float
    duration: float
    secondary: dict[str, Any] | None = None
    #: a status set from the control API (e.g. "canceled"), shown as is
    forced_status: str | None = None


#: Every status the live API gives an event (the spec's five, plus "canceled" that
#: the official clients handle and "completed").
LINODE_EVENT_STATUSES = (
    "scheduled",
    "started",
    "finished",
    "failed",
    "notification",
    "canceled",
    "completed",
)
_BUSY_STATUSES = {"booting", "rebooting", "shutting_down", "rebuilding", "resizing"}


@dataclass
class Transition:
    at: float
    status: str
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass
class LinodeInstance:
    id: int
    label: str
    region: str
    type: str
    image: str | None
    created: float
    updated: float
    tags: list[str]
    status: str
    private_ip: bool = False
    has_user_data: bool = False
    backups_enabled: bool = False
    watchdog_enabled: bool = True
    group: str = ""
    transitions: list[Transition] = field(default_factory=list)
    #: seconds of metric readings before ``created`` (a seeded server pre-existed)
    history: float = 0.0


class LinodeState:
    """One Linode account."""

    def __init__(self, clock: Clock, provision_seconds: float, action_seconds: float) -> None:
        self.clock = clock
        self.provision_seconds = provision_seconds
        self.action_seconds = action_seconds
        self.catalog: LinodeCatalog = linode_catalog(clock.datetime())
        self.instances: dict[int, LinodeInstance] = {}
        self.events: dict[int, LinodeEvent] = {}
        self._busy: set[int] = set()
        self._next_instance = 60_000_001
        self._next_event = 800_000_001

    # -- lifecycle
    def settle(self, inst: LinodeInstance) -> None:
        if not inst.transitions:
            return
        now = self.clock.now()
        while inst.transitions and inst.transitions[0].at <= now:
            step = inst.transitions.pop(0)
            inst.status = step.status
            for key, value in step.changes.items():
                setattr(inst, key, value)
            inst.updated = step.at
        if not inst.transitions:
            self._busy.discard(inst.id)

    def settle_all(self) -> None:
        for inst_id in list(self._busy):
            inst = self.instances.get(inst_id)
            if inst is None:
                self._busy.discard(inst_id)
            else:
                self.settle(inst)

    def event(
        self,
        action: str,
        inst: LinodeInstance,
        *,
        start: float | None = None,
        duration: float | None = None,
        secondary: dict[str, Any] | None = None,
    ) -> LinodeEvent:
        ev = LinodeEvent(
            id=self._next_event,
            action=action,
            entity_id=inst.id,
            entity_label=inst.label,
            start=self.clock.now() if start is None else start,
            duration=self.action_seconds if duration is None else duration,
            secondary=secondary,
        )
        self._next_event += 1
        self.events[ev.id] = ev
        return ev

    def new_instance(self, *, booted: bool, **fields: Any) -> LinodeInstance:
        now = self.clock.now()
        inst = LinodeInstance(
            id=self._next_instance, created=now, updated=now, status="provisioning", **fields
        )
        self._next_instance += 1
        if not inst.label:
            inst.label = f"linode{inst.id}"
        self.instances[inst.id] = inst
        half = self.provision_seconds / 2
        self.event("linode_create", inst, start=now, duration=half)
        if booted:
            inst.transitions = [
                Transition(now + half, "booting"),
                Transition(now + 2 * half, "running"),
            ]
            self.event("linode_boot", inst, start=now + half, duration=half)
        else:
            inst.transitions = [Transition(now + half, "offline")]
        self._busy.add(inst.id)
        return inst

    def run_action(
        self, inst: LinodeInstance, action: str, changes: dict[str, Any] | None = None
    ) -> LinodeEvent:
        """Start ``action`` (e.g. ``linode_reboot``) on a settled, idle instance."""
        now = self.clock.now()
        busy, after = LINODE_BUSY[action]
        final = after or inst.status
        inst.status = busy
        inst.updated = now
        steps = changes or {}
        if action == "linode_rebuild":
            inst.image = steps.pop("image", inst.image)
        inst.transitions = [Transition(now + self.action_seconds, final, steps)]
        self._busy.add(inst.id)
        return self.event(action, inst)

    def seed(self, n: int, *, tag: str | None, status: str) -> list[int]:
        now = self.clock.now() - self.provision_seconds
        ids = []
        for _ in range(n):
            inst_id = self._next_instance
            self._next_instance += 1
            self.instances[inst_id] = LinodeInstance(
                id=inst_id,
                label=f"seed-{inst_id}",
                region="us-east",
                type="g6-nanode-1",
                image="linode/ubuntu24.04",
                created=now,
                updated=now,
                tags=[tag] if tag else [],
                status=status,
                history=SEEDED_HISTORY,
            )
            ids.append(inst_id)
        return ids

    def set_status(self, inst: LinodeInstance, status: str) -> None:
        self.settle(inst)
        inst.transitions.clear()
        self._busy.discard(inst.id)
        inst.status = status
        inst.updated = self.clock.now()

    def delete(self, inst_id: int) -> LinodeInstance:
        inst = self.instances.pop(inst_id)
        self._busy.discard(inst_id)
        return inst

    def label_taken(self, label: str, *, besides: int | None = None) -> bool:
        wanted = label.lower()
        return any(i.label.lower() == wanted and i.id != besides for i in self.instances.values())

    # -- rendering
    def render(self, inst: LinodeInstance) -> dict[str, Any]:
        """The instance as ``GET /v4/linode/instances/{id}`` shows it."""
        self.settle(inst)
        spec = self.catalog.by_type[inst.type]
        n = inst.id - 60_000_000
        region_index = list(self.catalog.by_region).index(inst.region)
        ipv4 = [f"172.{104 + region_index}.{(n >> 8) % 256}.{n % 256}"]
        if inst.private_ip:
            ipv4.append(f"192.168.{128 + (n >> 8) % 64}.{n % 256}")
        return {
            "id": inst.id,
            "label": inst.label,
            "group": inst.group,
            "status": inst.status,
            "created": self.clock.iso_linode(inst.created),
            "updated": self.clock.iso_linode(inst.updated),
            "type": inst.type,
            "ipv4": ipv4,
            "ipv6": f"2600:3c0{region_index}::f03c:95ff:fe{(n >> 8) % 256:02x}:{n % 256:02x}00/128",
            "image": inst.image,
            "region": inst.region,
            "specs": {
                "disk": spec["disk"],
                "memory": spec["memory"],
                "vcpus": spec["vcpus"],
                "gpus": spec["gpus"],
                "transfer": spec["transfer"],
            },
            "alerts": {
                "cpu": 90 * spec["vcpus"],
                "network_in": 10,
                "network_out": 10,
                "transfer_quota": 80,
                "io": 10000,
            },
            "backups": {
                "enabled": inst.backups_enabled,
                "available": False,
                "schedule": {"day": None, "window": None},
                "last_successful": None,
            },
            "hypervisor": "kvm",
            "watchdog_enabled": inst.watchdog_enabled,
            "tags": list(inst.tags),
            "host_uuid": f"{inst.id:040x}",
            "has_user_data": inst.has_user_data,
            "placement_group": None,
            "lke_cluster_id": None,
            "capabilities": [],
        }

    def set_event_status(self, event_id: int, status: str) -> None:
        """Give an event a status directly (e.g. "canceled": the job was called off).

        A canceled or failed job ends its instance's pending change where it is,
        as the live API does (a canceled boot leaves the Linode offline); a
        finished or completed one takes the instance to the job's end state.
        """
        if status not in LINODE_EVENT_STATUSES:
            raise ValueError(f"status must be one of {', '.join(LINODE_EVENT_STATUSES)}")
        ev = self.events[event_id]
        ev.forced_status = status
        inst = self.instances.get(ev.entity_id)
        if inst is not None and status in ("finished", "completed"):
            # done now: the instance reaches the job's end state at once
            for step in inst.transitions:
                inst.status = step.status
                for key, value in step.changes.items():
                    setattr(inst, key, value)
            inst.transitions.clear()
            self._busy.discard(inst.id)
            inst.updated = self.clock.now()
        elif inst is not None and status in ("canceled", "failed"):
            self.settle(inst)
            inst.transitions.clear()
            self._busy.discard(inst.id)
            if inst.status in _BUSY_STATUSES or inst.status == "provisioning":
                inst.status = "offline"
            inst.updated = self.clock.now()

    def render_event(self, ev: LinodeEvent) -> dict[str, Any]:
        now = self.clock.now()
        if ev.forced_status is not None:
            status, elapsed = ev.forced_status, min(max(now - ev.start, 0.0), ev.duration)
            percent = (
                100
                if status in ("finished", "completed")
                else min(99, int(100 * elapsed / ev.duration))
                if ev.duration > 0
                else 0
            )
        elif now < ev.start:
            status, percent, elapsed = "scheduled", 0, 0.0
        elif ev.duration <= 0 or now >= ev.start + ev.duration:
            status, percent, elapsed = "finished", 100, ev.duration
        else:
            elapsed = now - ev.start
            status, percent = "started", min(99, int(100 * elapsed / ev.duration))
        return {
            "id": ev.id,
            "action": ev.action,
            "created": self.clock.iso_linode(ev.start),
            "duration": round(elapsed, 2),
            "entity": {
                "id": ev.entity_id,
                "label": ev.entity_label,
                "type": "linode",
                "url": f"/v4/linode/instances/{ev.entity_id}",
            },
            "secondary_entity": ev.secondary,
            "message": None,
            "percent_complete": percent,
            "rate": None,
            "read": False,
            "seen": False,
            "status": status,
            "time_remaining": None,
            "username": "sandbox-user",
        }
