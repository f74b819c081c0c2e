"""Per-provider step definitions, looked up by provider type."""

from __future__ import annotations

from bot.create.flows.base import FieldSpot, ProviderFlow, Toggle, flatten_state
from bot.create.flows.digitalocean import DigitalOceanFlow
from bot.create.flows.ec2 import Ec2Flow
from bot.create.flows.linode import LinodeFlow

__all__ = ["FLOWS", "FieldSpot", "ProviderFlow", "Toggle", "flatten_state", "flow_for"]

FLOWS: dict[str, ProviderFlow] = {
    flow.type: flow for flow in (DigitalOceanFlow(), LinodeFlow(), Ec2Flow())
}


def flow_for(provider_type: str) -> ProviderFlow:
    try:
        return FLOWS[provider_type]
    except KeyError:
        raise LookupError(f"no create flow for provider type {provider_type!r}") from None
