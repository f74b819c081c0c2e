"""Linodes and their account events, from the API JSON to :mod:`providers.models`.

Why its own module: Linode reports a server's state, addresses and the progress of
a power action in its own words (statuses such as ``booting``, private addresses in
192.168.0.0/16, actions as account events with their own status names); this is
the translation table and the request bodies, apart from the calls that use them
(:class:`~providers.linode.provider.LinodeProvider`).
"""

from __future__ import annotations

import json
from typing import Any

from providers.errors import ValidationError
from providers.http_provider import integer_id
from providers.linode.catalog import parse_time
from providers.models import ActionResult, CreateRequest, Instance, InstanceStatus

__all__ = [
    "ACTIONS",
    "create_body",
    "event_filter",
    "event_from",
    "instance_from",
    "newest_event",
]

#: Linode status → normalised status. ``booting`` counts as provisioning: right
#: after a create (and after power-on) the server is not reachable yet.
_STATUSES = {
    "provisioning": InstanceStatus.PROVISIONING,
    "booting": InstanceStatus.PROVISIONING,
    "rebuilding": InstanceStatus.PROVISIONING,
    "migrating": InstanceStatus.PROVISIONING,
    "cloning": InstanceStatus.PROVISIONING,
    "restoring": InstanceStatus.PROVISIONING,
    "resizing": InstanceStatus.PROVISIONING,
    "busy": InstanceStatus.PROVISIONING,
    "running": InstanceStatus.RUNNING,
    "offline": InstanceStatus.STOPPED,
    "stopped": InstanceStatus.STOPPED,
    "shutting_down": InstanceStatus.STOPPED,
    "rebooting": InstanceStatus.REBOOTING,
    "deleting": InstanceStatus.DELETING,
    "billing_suspension": InstanceStatus.ERROR,
}

#: Normalised action → (endpoint suffix, event action).
ACTIONS = {
    "power_on": ("boot", "linode_boot"),
    "shutdown": ("shutdown", "linode_shutdown"),
    "power_off": ("shutdown", "linode_shutdown"),
    "reboot": ("reboot", "linode_reboot"),
    "power_cycle": ("reboot", "linode_reboot"),
    "rebuild": ("rebuild", "linode_rebuild"),
    "resize": ("resize", "linode_resize"),
}

_EVENT_ACTIONS = {
    "linode_boot": "power_on",
    "linode_shutdown": "shutdown",
    "linode_reboot": "reboot",
    "linode_rebuild": "rebuild",
    "linode_resize": "resize",
    "linode_create": "create",
    "linode_delete": "delete",
}

#: Every event status the API documents (the spec's five, plus ``canceled`` that the
#: official clients handle and ``completed`` seen in newer answers) → ActionResult.
_EVENT_STATUSES = {
    "scheduled": "in-progress",
    "started": "in-progress",
    "finished": "completed",
    "completed": "completed",
    "failed": "errored",
    "canceled": "canceled",
    "notification": "completed",
}


def _is_private(address: str) -> bool:
    """Linode private IPv4 addresses live in 192.168.0.0/16."""
    return address.startswith("192.168.")


def instance_from(raw: dict[str, Any], provider: str) -> Instance:
    """A Linode as an :class:`Instance` of provider type ``provider``."""
    ipv4 = [str(a) for a in raw.get("ipv4") or []]
    ipv6 = raw.get("ipv6")
    raw_status = str(raw.get("status") or "")
    return Instance(
        provider=provider,
        id=integer_id(raw["id"]),
        label=str(raw.get("label") or ""),
        status=_STATUSES.get(raw_status, InstanceStatus.UNKNOWN),
        raw_status=raw_status,
        ipv4=next((a for a in ipv4 if not _is_private(a)), None),
        ipv6=str(ipv6).split("/", 1)[0] if ipv6 else None,
        private_ipv4=next((a for a in ipv4 if _is_private(a)), None),
        region=str(raw.get("region") or ""),
        plan=str(raw.get("type") or ""),
        image=str(raw["image"]) if raw.get("image") else None,
        tags=[str(t) for t in raw.get("tags") or []],
        created_at=parse_time(raw.get("created")),
    )


def create_body(
    request: CreateRequest, root_pass: str, public_keys: list[str], *, provider: str
) -> dict[str, Any]:
    """``POST /v4/linode/instances`` for a checked ``request``; a StackScript's
    answers go as strings (JSON for anything else), its id must be numeric."""
    body: dict[str, Any] = {
        "label": request.label,
        "region": request.region,
        "type": request.plan,
        "image": request.image,
        "root_pass": root_pass,
        "authorized_keys": public_keys,
        "backups_enabled": request.backups,
        "private_ip": request.private_ip,
        "tags": [request.tag, *request.extra_tags],
        "booted": True,
    }
    if request.deployment_id:
        if not request.deployment_id.isdigit():
            raise ValidationError(
                "StackScript ids are numeric", provider=provider, field="deployment_id"
            )
        body["stackscript_id"] = int(request.deployment_id)
        body["stackscript_data"] = {
            str(k): v if isinstance(v, str) else json.dumps(v) if v is not None else ""
            for k, v in request.deployment_data.items()
        }
    return body


def event_from(
    raw: dict[str, Any], event_id: str, action: str | None, *, provider: str
) -> ActionResult:
    """An account event as an :class:`ActionResult` (``action`` when the caller
    knows it, else the event's own, normalised)."""
    raw_status = str(raw.get("status") or "")
    percent = raw.get("percent_complete")
    return ActionResult(
        provider=provider,
        id=event_id,
        action=action or _EVENT_ACTIONS.get(str(raw.get("action")), str(raw.get("action"))),
        status=_EVENT_STATUSES.get(raw_status, "in-progress"),
        progress=int(percent) if isinstance(percent, int | float) else None,
    )


def event_filter(instance_id: str, event_action: str) -> dict[str, Any]:
    """The X-Filter for one Linode's events of one kind, newest first."""
    return {
        "entity.id": int(instance_id) if instance_id.isdigit() else instance_id,
        "entity.type": "linode",
        "action": event_action,
        "+order_by": "created",
        "+order": "desc",
    }


def newest_event(body: Any, instance_id: str, event_action: str) -> dict[str, Any] | None:
    """The newest event of ``event_action`` on ``instance_id`` in an events page,
    checked here too (a server may ignore the filter); one without a numeric id
    is not taken."""
    data = body.get("data") if isinstance(body, dict) else None
    events = [
        e
        for e in (data if isinstance(data, list) else [])
        if isinstance(e, dict)
        and e.get("action") == event_action
        and str((e.get("entity") or {}).get("id")) == instance_id
    ]
    if not events:
        return None
    events = [e for e in events if str(e.get("id") or "").isdigit()]
    if not events:
        return None
    return max(events, key=lambda e: (str(e.get("created") or ""), int(e["id"])))
