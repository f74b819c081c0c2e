"""EC2 servers as vpsbot sees them: ids, tags, states, first-boot user data, and
the per-region things a create needs (a key pair, a security group allowing SSH).

Why: EC2 instance ids are unique only within a region and its tags are key/value
pairs, while vpsbot keeps one id per server and plain string tags. A server's id
here is ``<region>/<instance id>``; a vpsbot tag is an EC2 tag key with an empty
value, and the label is the ``Name`` tag.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from providers.ec2.api import DISPLAY, Ec2Api
from providers.errors import NotFoundError, ValidationError
from providers.models import ActionResult, Instance, InstanceStatus

__all__ = [
    "IMAGE_TAG",
    "SECURITY_GROUP",
    "Regional",
    "action_progress",
    "cloud_config",
    "instance_from",
    "split_id",
    "status_of",
]

#: The tag that remembers which release a server was made from.
IMAGE_TAG = "vpsbot:image"
SECURITY_GROUP = "vpsbot-ssh"

_STATUSES = {
    "pending": InstanceStatus.PROVISIONING,
    "running": InstanceStatus.RUNNING,
    "stopped": InstanceStatus.STOPPED,
    "shutting-down": InstanceStatus.DELETING,
    "terminated": InstanceStatus.DELETING,
}


def status_of(state: str) -> InstanceStatus:
    """EC2's state name as vpsbot's status (``stopping``: unknown until it settles)."""
    return _STATUSES.get(state, InstanceStatus.UNKNOWN)


def split_id(instance_id: str, home_region: str) -> tuple[str, str]:
    """(region, EC2 instance id) of a vpsbot id; a bare id is in the home region."""
    region, _, bare = instance_id.rpartition("/")
    bare = bare.strip()
    if not bare.startswith("i-") or not bare[2:].isalnum():
        raise NotFoundError(
            f"there is no EC2 instance {instance_id!r}", provider=DISPLAY, status=404
        )
    return region or home_region, bare


def _yaml_scalar(value: str) -> str:
    """A YAML double-quoted scalar: JSON's string escaping is valid YAML."""
    import json

    return json.dumps(value)


def cloud_config(password: str | None, public_keys: Sequence[str]) -> str | None:
    """``#cloud-config`` for first boot: root's password (SSH password login on)
    and the chosen public keys for root; None when there is nothing to set.

    The password sits in a literal block scalar, as on DigitalOcean, so YAML never
    interprets it."""
    if password is None and not public_keys:
        return None
    lines = ["#cloud-config", "disable_root: false"]
    if public_keys:
        lines.append("ssh_authorized_keys:")
        lines += [f"  - {_yaml_scalar(key.strip())}" for key in public_keys]
    if password is not None:
        lines += ["chpasswd:", "  expire: false", "  list: |", f"    root:{password}"]
        lines.append("ssh_pwauth: true")
    return "\n".join(lines) + "\n"


def action_progress(
    instance: Instance | None, action: str, goal: str, action_id: str
) -> ActionResult:
    """An action's state from the server's: done when it shows the ``goal`` state
    (``resize``: the goal type, running again); errored when the server is gone."""
    if instance is None:
        done, status = False, "errored"
    else:
        if action == "resize":
            done = instance.plan == goal and instance.status == InstanceStatus.RUNNING
        else:
            done = instance.raw_status == goal
        status = "completed" if done else "in-progress"
    return ActionResult(
        provider="aws", id=action_id, action=action, status=status, progress=100 if done else None
    )


def instance_from(raw: dict[str, Any], region: str) -> Instance:
    """One DescribeInstances/RunInstances item as an :class:`Instance`."""
    tags = {str(t.get("Key")): str(t.get("Value") or "") for t in raw.get("Tags") or []}
    state = str((raw.get("State") or {}).get("Name") or "")
    ipv6 = next(
        (
            str(a["Ipv6Address"])
            for n in raw.get("NetworkInterfaces") or []
            for a in n.get("Ipv6Addresses") or []
            if a.get("Ipv6Address")
        ),
        None,
    )
    launched = raw.get("LaunchTime")
    return Instance(
        provider="aws",
        id=f"{region}/{raw['InstanceId']}",
        label=tags.get("Name", ""),
        status=status_of(state),
        raw_status=state,
        ipv4=raw.get("PublicIpAddress") or None,
        ipv6=ipv6,
        private_ipv4=raw.get("PrivateIpAddress") or None,
        region=region,
        plan=str(raw.get("InstanceType") or ""),
        image=tags.get(IMAGE_TAG) or raw.get("ImageId"),
        tags=[k for k in tags if k != "Name" and not k.startswith(("aws:", "vpsbot:"))],
        created_at=launched if isinstance(launched, datetime) else None,
    )


class Regional:
    """What a create needs in one region, looked up or made once per client."""

    def __init__(self, api: Ec2Api) -> None:
        self.api = api
        self._groups: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def security_group(self, region: str) -> str:
        """The id of ``vpsbot-ssh`` in the region's default VPC (made when missing):
        SSH (22/tcp) from anywhere, IPv4 and IPv6."""
        async with self._lock:
            if region in self._groups:
                return self._groups[region]
            answer = await self.api.call(
                "ec2",
                "describe_security_groups",
                region=region,
                Filters=[{"Name": "group-name", "Values": [SECURITY_GROUP]}],
            )
            found = answer.get("SecurityGroups") or []
            if found:
                group = str(found[0]["GroupId"])
            else:
                made = await self.api.call(
                    "ec2",
                    "create_security_group",
                    region=region,
                    write=True,
                    GroupName=SECURITY_GROUP,
                    Description="SSH for servers made by vpsbot",
                )
                group = str(made["GroupId"])
                await self.api.call(
                    "ec2",
                    "authorize_security_group_ingress",
                    region=region,
                    write=True,
                    GroupId=group,
                    IpPermissions=[
                        {
                            "IpProtocol": "tcp",
                            "FromPort": 22,
                            "ToPort": 22,
                            "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "SSH"}],
                            "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "SSH"}],
                        }
                    ],
                )
            self._groups[region] = group
            return group

    async def public_keys(self, names: Sequence[str]) -> dict[str, str]:
        """The public key of each named key pair (home region), or a field error."""
        if not names:
            return {}
        answer = await self.api.call(
            "ec2", "describe_key_pairs", KeyNames=list(names), IncludePublicKey=True
        )
        keys = {
            str(k["KeyName"]): str(k.get("PublicKey") or "") for k in answer.get("KeyPairs") or []
        }
        missing = [n for n in names if not keys.get(n)]
        if missing:
            raise ValidationError(
                f"no SSH key pair named {missing[0]!r} with a public key",
                provider=DISPLAY,
                field="ssh_key_ids",
            )
        return keys

    async def key_pair(self, region: str, name: str, public_key: str) -> str:
        """The key pair ``name`` in ``region``, imported there from the home region's
        public key when the region lacks it (key pairs are regional)."""
        if region == self.api.home_region:
            return name
        answer = await self.api.call(
            "ec2",
            "describe_key_pairs",
            region=region,
            Filters=[{"Name": "key-name", "Values": [name]}],
        )
        if not answer.get("KeyPairs"):
            await self.api.call(
                "ec2",
                "import_key_pair",
                region=region,
                write=True,
                KeyName=name,
                PublicKeyMaterial=public_key.encode(),
            )
        return name
