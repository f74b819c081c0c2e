"""What a provider offers to users: its plans (imported with a markup, enabled or
not) and the 1-Click apps / StackScripts people may deploy.

Shared by the CLI and the Slack admin screens. Every change is audited and
clears the offer `/vps create` reads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.changes import audit, changed, client_of, provider_named, provider_uuid
from bot.core.errors import AdminError
from bot.core.services import Services
from db.models import Plan, ServiceProvider
from db.repo import plans, providers

__all__ = [
    "MARKUP_MAX",
    "Markup",
    "import_plans",
    "plan_of",
    "regionless_plans",
    "set_allowlist",
    "set_plan_active",
    "set_plan_markup",
    "unpriced_plans",
]

_CENT = Decimal("0.01")
#: The largest markup a form accepts, percent or dollars.
MARKUP_MAX = Decimal(100000)


@dataclass(frozen=True)
class Markup:
    """A plan markup: a percentage of the base price or a fixed amount."""

    percent: Decimal | None = None
    amount: Decimal | None = None

    @classmethod
    def parse(cls, kind: str | None, raw: str) -> Markup:
        """The markup a form asks for (``kind`` "percent" or "amount"), or
        :class:`AdminError` at the ``markup`` field."""
        cleaned = raw.replace("$", "").replace("%", "").strip()
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise AdminError("enter a number, e.g. 20 or 1.50", field="markup") from None
        if not value.is_finite() or value < 0 or value > MARKUP_MAX:
            raise AdminError("enter a number from 0 to 100000", field="markup")
        return cls(amount=value) if kind == "amount" else cls(percent=value)

    def apply(self, base: Decimal) -> Decimal:
        if self.amount is not None:
            return self.amount.quantize(_CENT, ROUND_HALF_UP)
        if self.percent is not None:
            return (base * self.percent / 100).quantize(_CENT, ROUND_HALF_UP)
        return Decimal("0.00")

    def describe(self) -> str:
        if self.amount is not None:
            return f"${self.amount.quantize(_CENT, ROUND_HALF_UP)}"
        if self.percent is not None:
            return f"{self.percent.normalize():f}%"
        return "none"


async def import_plans(
    services: Services,
    name: str,
    markup: Markup,
    *,
    actor: str | None = None,
    team_id: str | None = None,
) -> int:
    """Turn the provider's sizes/types into ``vps_plans`` rows; re-import updates.

    Without a markup (neither percent nor amount) a re-import refreshes prices and
    specs but keeps the markups already set; new plans start at no markup.
    """
    row = await provider_named(services, name, team_id)
    catalogue = await client_of(services, row).get_plans()
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
                "family": plan.family,
                "storage": plan.storage,
                "price_hourly": str(plan.price_hourly),
                "regions": plan.regions,
            },
            region_prices=plan.region_prices_json(),
            backups_prices=plan.backups_prices_json(),
        )
        for plan in catalogue
    ]
    async with services.db.session() as session, session.begin():
        count = await plans.upsert(
            session,
            row.id,
            inputs,
            update_markup=markup.percent is not None or markup.amount is not None,
        )
        await audit(
            session,
            "plans.import",
            row,
            actor=actor,
            team_id=team_id,
            metadata={"name": row.name, "plans": count, "markup": markup.describe()},
        )
    await changed(services, row)
    return count


async def unpriced_plans(services: Services, name: str, team_id: str | None = None) -> list[str]:
    """Plans of provider ``name`` (as ``team_id`` names it, like :func:`import_plans`)
    that came without a price (stored inactive)."""
    row = await provider_named(services, name, team_id)
    async with services.db.session() as session:
        return await plans.unpriced(session, row.id)


async def regionless_plans(services: Services, name: str, team_id: str | None = None) -> list[str]:
    """Plans of provider ``name`` (as ``team_id`` names it) that no region can run now
    (so never offered)."""
    row = await provider_named(services, name, team_id)
    async with services.db.session() as session:
        return await plans.regionless(session, row.id)


async def plan_of(services: Services, row: ServiceProvider, plan_id: object) -> Plan | None:
    """The plan with id ``plan_id`` (untrusted) if it belongs to provider ``row``."""
    parsed = provider_uuid(plan_id)
    if parsed is None:
        return None
    async with services.db.session() as session:
        return await plans.get_for_provider(session, row.id, parsed)


async def _plan(services: Services, row: ServiceProvider, provider_plan_id: str) -> Plan:
    async with services.db.session() as session:
        found = await plans.by_provider_plan_id(session, row.id, provider_plan_id)
    if found is None:
        raise AdminError(f"{row.name!r} has no plan {provider_plan_id!r}")
    return found


async def _change_plan(
    services: Services,
    row: ServiceProvider,
    provider_plan_id: str,
    write: Callable[[AsyncSession], Awaitable[object]],
    metadata: dict[str, str],
    *,
    actor: str | None,
    team_id: str | None,
) -> Plan:
    """``write`` one plan's change and its audit entry in one transaction, clear the
    offer, and read the plan again."""
    async with services.db.session() as session, session.begin():
        await write(session)
        await audit(
            session,
            "plans.update",
            row,
            actor=actor,
            team_id=team_id,
            metadata={"name": row.name, "plan": provider_plan_id, **metadata},
        )
    await changed(services, row)
    return await _plan(services, row, provider_plan_id)


async def set_plan_markup(
    services: Services,
    name: str,
    provider_plan_id: str,
    markup: Markup,
    *,
    actor: str | None = None,
    team_id: str | None = None,
) -> Plan:
    """Change one plan's markup (a percentage of its base price or a fixed amount)."""
    row = await provider_named(services, name, team_id)
    plan = await _plan(services, row, provider_plan_id)
    value = markup.apply(plan.base_price)
    if value < 0:
        raise AdminError("the markup cannot be negative", field="markup")
    return await _change_plan(
        services,
        row,
        provider_plan_id,
        lambda session: plans.set_markup(session, row.id, provider_plan_id, value),
        {"change": "markup", "markup": str(value), "previous": str(plan.markup_price)},
        actor=actor,
        team_id=team_id,
    )


async def set_plan_active(
    services: Services,
    name: str,
    provider_plan_id: str,
    active: bool,
    *,
    actor: str | None = None,
    team_id: str | None = None,
) -> Plan:
    """Offer a plan in `/vps create` or withdraw it (servers on it are unaffected)."""
    row = await provider_named(services, name, team_id)
    await _plan(services, row, provider_plan_id)
    return await _change_plan(
        services,
        row,
        provider_plan_id,
        lambda session: plans.set_active(session, row.id, provider_plan_id, active),
        {"change": "enable" if active else "disable"},
        actor=actor,
        team_id=team_id,
    )


async def set_allowlist(
    services: Services,
    name: str,
    allowed: Sequence[str] | None,
    *,
    actor: str | None = None,
    team_id: str | None = None,
) -> None:
    """Which 1-Click apps / StackScripts users may deploy; None allows all of them."""
    row = await provider_named(services, name, team_id)
    configuration = dict(row.configuration)
    if allowed is None:
        configuration.pop("allowed_deployments", None)
    else:
        configuration["allowed_deployments"] = sorted({str(item) for item in allowed})
    async with services.db.session() as session, session.begin():
        await providers.update_fields(session, row.id, configuration=configuration)
        await audit(
            session,
            "allowlist.update",
            row,
            actor=actor,
            team_id=team_id,
            metadata={
                "name": row.name,
                "allowed": "all" if allowed is None else len(configuration["allowed_deployments"]),
            },
        )
    await changed(services, row)
