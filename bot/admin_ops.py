"""Provider and plan administration shared by the CLI and the Slack admin screens.

Tokens are validated live before anything is stored, stored only encrypted, and
every change is written to the audit log and invalidates that provider's caches.
"""

from __future__ import annotations


import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.services import Services
from db.models import ServiceProvider
from db.repo import activity, plans, providers
from providers.registry import build_provider

__all__ = [
    "AdminError",
    "Markup",
    "add_provider",
    "import_plans",
    "remove_provider",
    "rotate_token",
    "set_provider_active",
]

_CENT = Decimal("0.01")


class AdminError(Exception):
    """An administrative request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Markup:
    """A plan markup: a percentage of the base price or a fixed amount."""

    percent: Decimal | None = None
    amount: Decimal | None = None

    def apply(self, base: Decimal) -> Decimal:
        if self.amount is not None:
            return self.amount.quantize(_CENT, ROUND_HALF_UP)
        if self.percent is not None:
            return (base * self.percent / 100).quantize(_CENT, ROUND_HALF_UP)
        return Decimal("0.00")


async def _validated(type: str, name: str, token: str, configuration: dict[str, Any]) -> None:
    provider = build_provider(type, name=name, token=token, configuration=configuration)
    try:
        await provider.validate_credentials()
    finally:
        await provider.aclose()


async def add_provider(
    services: Services,
    *,
    type: str,
    name: str,
    token: str,
    api_url: str | None = None,
    actor: str | None = None,
    team_id: str | None = None,
) -> ServiceProvider:
    """Validate ``token`` live, then store the provider active with the token encrypted."""
    name = name.strip()
    if not name:
        raise AdminError("a provider needs a name")
    if not token.strip():
        raise AdminError("the API token is empty")
    configuration: dict[str, Any] = {"api_url": api_url} if api_url else {}
    async with services.db.session() as session:
        if await providers.by_name(session, name) is not None:
            raise AdminError(f"a provider named {name!r} already exists")
    await _validated(type, name, token.strip(), configuration)
    async with services.db.session() as session, session.begin():
        row = await providers.add(
            session,
            name=name,
            type=type,
            api_key_encrypted=services.box.encrypt(token.strip()),
            configuration=configuration,
        )
        await activity.record(
            session,
            event_type="provider.create",
            status="success",
            team_id=team_id,
            user_id=actor,
            entity_type="provider",
            entity_id=str(row.id),
            metadata={"name": name, "type": type},
        )
    return row


async def _row(services: Services, name: str) -> ServiceProvider:
    async with services.db.session() as session:
        row = await providers.by_name(session, name)
    if row is None:
        raise AdminError(f"no provider named {name!r}")
    return row


async def set_provider_active(
    services: Services, name: str, active: bool, *, actor: str | None = None
) -> ServiceProvider:
    row = await _row(services, name)
    async with services.db.session() as session, session.begin():
        await providers.set_active(session, row.id, active)
        await activity.record(
            session,
            event_type="provider.enable" if active else "provider.disable",
            status="success",
            user_id=actor,
            entity_type="provider",
            entity_id=str(row.id),
            metadata={"name": row.name},
        )
    services.registry.invalidate(str(row.id))
    return row


async def rotate_token(
    services: Services, name: str, token: str, *, actor: str | None = None
) -> None:
    row = await _row(services, name)
    await _validated(row.type, row.name, token.strip(), dict(row.configuration))
    async with services.db.session() as session, session.begin():
        await providers.update_fields(
            session, row.id, api_key_encrypted=services.box.encrypt(token.strip())
        )
        await activity.record(
            session,
            event_type="provider.update",
            status="success",
            user_id=actor,
            entity_type="provider",
            entity_id=str(row.id),
            metadata={"name": row.name, "change": "token"},
        )
    services.registry.invalidate(str(row.id))


async def remove_provider(
    services: Services, name: str, *, force: bool = False, actor: str | None = None
) -> None:
    row = await _row(services, name)
    async with services.db.session() as session, session.begin():
        try:
            await providers.remove(session, row.id, force=force)
        except providers.ProviderInUseError as exc:
            raise AdminError(f"{exc}; remove them first or confirm with --force") from None
        await activity.record(
            session,
            event_type="provider.delete",
            status="warning" if force else "success",
            user_id=actor,
            entity_type="provider",
            entity_id=str(row.id),
            metadata={"name": row.name, "forced": force},
        )
    services.registry.invalidate(str(row.id))


async def import_plans(
    services: Services, name: str, markup: Markup, *, actor: str | None = None
) -> int:
    """Turn the provider's sizes/types into ``vps_plans`` rows; re-import updates."""
    row = await _row(services, name)
    provider = services.provider_for(row)
    catalogue = await provider.get_plans()
    inputs = [
        plans.PlanInput(
            provider_plan_id=plan.id,
            name=plan.label,
            base_price=plan.price_monthly.quantize(_CENT, ROUND_HALF_UP),
            markup_price=markup.apply(plan.price_monthly),
            specifications={
                "vcpus": plan.vcpus,
                "memory_mb": plan.memory_mb,
                "disk_gb": plan.disk_gb,
                "transfer_gb": plan.transfer_gb,
                "price_hourly": str(plan.price_hourly),
                "regions": plan.regions,
            },
        )
        for plan in catalogue
    ]
    async with services.db.session() as session, session.begin():
        count = await plans.upsert(session, row.id, inputs)
        await activity.record(
            session,
            event_type="plans.import",
            status="success",
            user_id=actor,
            entity_type="provider",
            entity_id=str(row.id),
            metadata={"name": row.name, "plans": count},
        )
    return count


def hourly(monthly: Decimal) -> Decimal:
    """Hourly price from a monthly one, the way both providers bill (730 h a month)."""
    return (monthly / 730).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def provider_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


