"""How vpsbot marks the servers it creates at a provider.

Every server gets the shared tag ``vpsbot`` and a unique one, ``vpsbot-<row id>``,
written into the ``vps_instances`` row before the create is sent. Neither API
takes an idempotency key, so the unique tag is how a create whose answer was
lost is found again (the status watcher, drift reconciliation).
"""

from __future__ import annotations

import uuid

__all__ = ["VPSBOT_TAG", "instance_tag", "is_instance_tag"]

#: The tag on every server vpsbot created.
VPSBOT_TAG = "vpsbot"


def instance_tag(instance_id: uuid.UUID) -> str:
    """The unique tag of the server of row ``instance_id``."""
    return f"{VPSBOT_TAG}-{instance_id}"


def is_instance_tag(tag: str) -> bool:
    """Whether ``tag`` is some row's unique tag."""
    return tag.startswith(f"{VPSBOT_TAG}-")
