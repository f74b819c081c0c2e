"""Droplets and their actions, from the API JSON to :mod:`providers.models` and back.

Why its own module: DigitalOcean reports a droplet's state and addresses in its own
shape (networks by version and type, image and region as objects) and sets a root
password only through cloud-init user data; this is the translation, and the
request body of a create, apart from the calls that use them
(:class:`~providers.digitalocean.provider.DigitalOceanProvider`).
"""

from __future__ import annotations

from typing import Any

from providers.digitalocean.catalog import parse_time
from providers.http_provider import integer_id
from providers.models import ActionResult, CreateRequest, Instance, InstanceStatus

__all__ = [
    "action_from",
    "cloud_config_for_password",
    "create_body",
    "image_ref",
    "instance_from",
]

_STATUSES = {
    "new": InstanceStatus.PROVISIONING,
    "active": InstanceStatus.RUNNING,
    "off": InstanceStatus.STOPPED,
    # "archive": the droplet was destroyed and is being archived.
    "archive": InstanceStatus.DELETING,
}


def cloud_config_for_password(password: str) -> str:
    """The ``#cloud-config`` user data that sets root's password on first boot.

    The password sits in a literal block scalar, so YAML never interprets it.
    """
    return (
        "#cloud-config\n"
        "chpasswd:\n"
        "  expire: false\n"
        "  list: |\n"
        f"    root:{password}\n"
        "ssh_pwauth: true\n"
    )


def image_ref(value: str) -> str | int:
    """Numeric image ids go as integers, slugs as strings."""
    return int(value) if value.isdigit() else value


def instance_from(raw: dict[str, Any], provider: str) -> Instance:
    """A droplet as an :class:`Instance` of provider type ``provider``."""
    networks = raw.get("networks") or {}
    v4 = [n for n in networks.get("v4") or [] if isinstance(n, dict)]
    v6 = [n for n in networks.get("v6") or [] if isinstance(n, dict)]
    public4 = next((n["ip_address"] for n in v4 if n.get("type") == "public"), None)
    private4 = next((n["ip_address"] for n in v4 if n.get("type") == "private"), None)
    public6 = next((n["ip_address"] for n in v6 if n.get("type", "public") == "public"), None)
    image = raw.get("image") or {}
    region = raw.get("region") or {}
    raw_status = str(raw.get("status") or "")
    image_id = image.get("slug") or image.get("id")
    return Instance(
        provider=provider,
        id=integer_id(raw["id"]),
        label=str(raw.get("name") or ""),
        status=_STATUSES.get(raw_status, InstanceStatus.UNKNOWN),
        raw_status=raw_status,
        ipv4=public4,
        ipv6=public6,
        private_ipv4=private4,
        region=str(region.get("slug") or "") if isinstance(region, dict) else str(region),
        plan=str(raw.get("size_slug") or (raw.get("size") or {}).get("slug") or ""),
        image=str(image_id) if image_id is not None else None,
        tags=[str(t) for t in raw.get("tags") or []],
        created_at=parse_time(raw.get("created_at")),
    )


def create_body(request: CreateRequest, image: str) -> dict[str, Any]:
    """``POST /v2/droplets`` for a checked ``request``; ``image`` is the image or
    1-Click app, the root password goes as cloud-config user data."""
    body: dict[str, Any] = {
        "name": request.label,
        "region": request.region,
        "size": request.plan,
        "image": image_ref(image),
        "ssh_keys": [int(k) if k.isdigit() else k for k in request.ssh_key_ids],
        "backups": request.backups,
        "ipv6": request.ipv6,
        "monitoring": request.monitoring,
        "tags": [request.tag, *request.extra_tags],
    }
    if request.vpc_id:
        body["vpc_uuid"] = request.vpc_id
    if request.root_password:
        body["user_data"] = cloud_config_for_password(request.root_password)
    return body


def action_from(
    raw: dict[str, Any], action_id: str, action: str | None, *, provider: str
) -> ActionResult:
    """A droplet action as an :class:`ActionResult` (``action`` when the caller
    knows it, else the action's own type)."""
    return ActionResult(
        provider=provider,
        id=action_id,
        action=action or str(raw.get("type") or ""),
        status=str(raw.get("status") or "in-progress"),
        progress=100 if raw.get("status") == "completed" else None,
    )
