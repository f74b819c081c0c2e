"""Provider and plan administration shared by the CLI and the Slack admin screens.

Tokens are validated live before anything is stored, stored only encrypted, and
every change is written to the audit log and invalidates that provider's caches.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, or_, select

from bot.core.logs import redactor
from bot.core.services import Services
from db.crypto import SecretError
from db.models import ActivityLog, Plan, ServiceProvider
from db.repo import activity, plans, providers
from providers.errors import (
    CredentialsError,
    OutageError,
    ProviderError,
    RateLimitedError,
)
from providers.registry import UnsupportedProviderError, build_provider, display_name

__all__ = [
    "AdminError",
    "CheckResult",
    "Markup",
    "add_provider",
    "check_provider",
    "import_plans",
    "provider_by_id",
    "recent_activity",
    "remove_provider",
    "rename_provider",
    "rotate_token",
    "set_allowlist",
    "set_plan_active",
    "set_plan_markup",
    "set_provider_active",
    "validation_problem",
]

_CENT = Decimal("0.01")


async def _audit(
    session: Any,
    event_type: str,
    row: ServiceProvider,
    *,
    actor: str | None,
    team_id: str | None,
    status: str = "success",
    metadata: dict[str, Any],
) -> None:
    """One audit entry about provider ``row``."""
    await activity.record(
        session,
        event_type=event_type,
        status=status,
        team_id=team_id,
        user_id=actor,
        entity_type="provider",
        entity_id=str(row.id),
        metadata=metadata,
    )


class AdminError(Exception):
    """An administrative request that cannot be carried out; the message says why.

    ``field`` names the form field at fault (``name``, ``token``, ``api_url``,
    ``type``) when there is one, so a form can show the message next to it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


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

    def describe(self) -> str:
        if self.amount is not None:
            return f"${self.amount.quantize(_CENT, ROUND_HALF_UP)}"
        if self.percent is not None:
            return f"{self.percent.normalize():f}%"
        return "none"


def _scrub(text: str, token: str) -> str:
    token = token.strip()
    return text.replace(token, "[redacted]") if token else text


async def _validated(
    type: str,
    name: str,
    token: str,
    configuration: dict[str, Any],
    timeout: float | None = None,
) -> None:
    redactor.add(token)  # from here on, no log line can carry it
    provider = build_provider(type, name=name, token=token, configuration=configuration)
    try:
        if timeout is None:
            await provider.validate_credentials()
        else:
            await asyncio.wait_for(provider.validate_credentials(), timeout)
    except TimeoutError:
        raise AdminError(
            f"{display_name(type)} did not answer within {timeout:g} s; "
            "check the API URL or try again",
            field="api_url" if configuration.get("api_url") else "token",
        ) from None
    finally:
        await provider.aclose()


def validation_problem(
    exc: Exception, *, type: str, token: str, api_url: str | None = None
) -> AdminError:
    """A live token validation's failure as one line for the form field at fault.

    The token is never part of the message, even if a provider echoed it.
    """
    if isinstance(exc, AdminError):
        return AdminError(_scrub(exc.message, token), field=exc.field)
    what = display_name(type)
    if isinstance(exc, UnsupportedProviderError):
        return AdminError(_scrub(str(exc), token), field="type")
    if isinstance(exc, CredentialsError):
        status = f" (HTTP {exc.status})" if exc.status else ""
        return AdminError(
            f"{what} rejected this token{status}: check it is a valid API token "
            "with read and write access.",
            field="token",
        )
    if isinstance(exc, RateLimitedError):
        return AdminError(_scrub(exc.user_message(), token), field="token")
    if isinstance(exc, OutageError):
        return AdminError(
            _scrub(f"could not reach {what}: {exc.message}", token),
            field="api_url" if api_url else "token",
        )
    if isinstance(exc, ProviderError):
        return AdminError(_scrub(f"{what}: {exc.message}", token), field="token")
    return AdminError(_scrub(f"{what}: {exc}", token), field="token")


async def add_provider(
    services: Services,
    *,
    type: str,
    name: str,
    token: str,
    api_url: str | None = None,
    actor: str | None = None,
    team_id: str | None = None,
    validate_timeout: float | None = None,
) -> ServiceProvider:
    """Validate ``token`` live, then store the provider active with the token encrypted.

    A failed validation raises (the provider's error, or :class:`AdminError` after
    ``validate_timeout`` seconds) and stores nothing.
    """
    name = name.strip()
    if not name:
        raise AdminError("a provider needs a name", field="name")
    if len(name) > _NAME_MAX:
        raise AdminError(f"a provider name has at most {_NAME_MAX} characters", field="name")
    if not token.strip():
        raise AdminError("the API token is empty", field="token")
    configuration: dict[str, Any] = {"api_url": api_url} if api_url else {}
    async with services.db.session() as session:
        if await providers.by_name(session, name) is not None:
            raise AdminError(f"a provider named {name!r} already exists", field="name")
    await _validated(type, name, token.strip(), configuration, validate_timeout)
    async with services.db.session() as session, session.begin():
        row = await providers.add(
            session,
            name=name,
            type=type,
            api_key_encrypted=services.box.encrypt(token.strip()),
            configuration=configuration,
        )
        await providers.record_check(session, row.id, valid=True)
        await session.refresh(row)
        await _audit(
            session,
            "provider.create",
            row,
            actor=actor,
            team_id=team_id,
            status="success",
            metadata={"name": name, "type": type},
        )
    services.offers.clear()
    return row


_NAME_MAX = 100


def _changed(services: Services, row: ServiceProvider) -> None:
    """Drop what this process cached about ``row`` at once: its client and catalogue, and
    the offer `/vps create` reads (other replicas hear of it through NOTIFY)."""
    services.registry.invalidate(str(row.id))
    services.offers.clear()


async def _row(services: Services, name: str) -> ServiceProvider:
    async with services.db.session() as session:
        row = await providers.by_name(session, name)
    if row is None:
        raise AdminError(f"no provider named {name!r}")
    return row


async def provider_by_id(services: Services, provider_id: str) -> ServiceProvider:
    """The provider row with id ``provider_id`` (untrusted text), or :class:`AdminError`."""
    parsed = provider_uuid(provider_id)
    row = None
    if parsed is not None:
        async with services.db.session() as session:
            row = await providers.get(session, parsed)
    if row is None:
        raise AdminError("that provider no longer exists")
    return row


async def set_provider_active(
    services: Services,
    name: str,
    active: bool,
    *,
    actor: str | None = None,
    team_id: str | None = None,
) -> ServiceProvider:
    """Offer the provider in `/vps create` or hide it; its servers stay manageable."""
    row = await _row(services, name)
    async with services.db.session() as session, session.begin():
        await providers.set_active(session, row.id, active)
        await _audit(
            session,
            "provider.enable" if active else "provider.disable",
            row,
            actor=actor,
            team_id=team_id,
            status="success",
            metadata={"name": row.name},
        )
    _changed(services, row)
    return row


async def rotate_token(
    services: Services,
    name: str,
    token: str,
    *,
    actor: str | None = None,
    team_id: str | None = None,
    validate_timeout: float | None = None,
) -> None:
    """Validate the new token live, then replace the stored one (the old one stays on error)."""
    if not token.strip():
        raise AdminError("the API token is empty", field="token")
    row = await _row(services, name)
    await _validated(row.type, row.name, token.strip(), dict(row.configuration), validate_timeout)
    async with services.db.session() as session, session.begin():
        await providers.update_fields(
            session, row.id, api_key_encrypted=services.box.encrypt(token.strip())
        )
        await providers.record_check(session, row.id, valid=True)
        await _audit(
            session,
            "provider.update",
            row,
            actor=actor,
            team_id=team_id,
            status="success",
            metadata={"name": row.name, "change": "token"},
        )
    _changed(services, row)


async def remove_provider(
    services: Services,
    name: str,
    *,
    force: bool = False,
    actor: str | None = None,
    team_id: str | None = None,
) -> None:
    row = await _row(services, name)
    async with services.db.session() as session, session.begin():
        try:
            await providers.remove(session, row.id, force=force)
        except providers.ProviderInUseError as exc:
            raise AdminError(f"{exc}; remove them first or confirm with --force") from None
        await _audit(
            session,
            "provider.delete",
            row,
            actor=actor,
            team_id=team_id,
            status="warning" if force else "success",
            metadata={"name": row.name, "forced": force},
        )
    _changed(services, row)


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
        count = await plans.upsert(
            session,
            row.id,
            inputs,
            update_markup=markup.percent is not None or markup.amount is not None,
        )
        await _audit(
            session,
            "plans.import",
            row,
            actor=actor,
            team_id=team_id,
            status="success",
            metadata={"name": row.name, "plans": count, "markup": markup.describe()},
        )
    services.offers.clear()
    return count


@dataclass(frozen=True)
class CheckResult:
    """The outcome of "Check now": ``valid`` is None when the provider could not tell."""

    valid: bool | None
    message: str


async def check_provider(
    services: Services, name: str, *, actor: str | None = None, team_id: str | None = None
) -> CheckResult:
    """Validate the stored token live and record the verdict on the row and in the log."""
    row = await _row(services, name)
    what = display_name(row.type)
    valid: bool | None
    try:
        await services.provider_for(row).validate_credentials()
    except CredentialsError as exc:
        valid = False
        status = f" (HTTP {exc.status})" if exc.status else ""
        message = f"{what} rejected the stored token{status}; rotate it."
    except ProviderError as exc:
        valid = None
        message = f"could not check: {exc.user_message()}"
    except UnsupportedProviderError as exc:
        valid = None
        message = str(exc)
    except SecretError:
        valid = None
        message = "the stored token cannot be decrypted with the configured keys; rotate it."
    else:
        valid = True
        message = "credentials valid"
    async with services.db.session() as session, session.begin():
        await providers.record_check(session, row.id, valid=valid)
        await _audit(
            session,
            "provider.check",
            row,
            actor=actor,
            team_id=team_id,
            status={True: "success", False: "error", None: "warning"}[valid],
            metadata={"name": row.name, "result": message},
        )
    return CheckResult(valid=valid, message=message)


async def rename_provider(
    services: Services,
    name: str,
    new_name: str,
    *,
    actor: str | None = None,
    team_id: str | None = None,
) -> ServiceProvider:
    row = await _row(services, name)
    new_name = new_name.strip()
    if not new_name:
        raise AdminError("a provider needs a name", field="name")
    if len(new_name) > _NAME_MAX:
        raise AdminError(f"a provider name has at most {_NAME_MAX} characters", field="name")
    if new_name == row.name:
        return row
    async with services.db.session() as session, session.begin():
        other = await providers.by_name(session, new_name)
        if other is not None:
            raise AdminError(f"a provider named {new_name!r} already exists", field="name")
        await providers.update_fields(session, row.id, name=new_name)
        await _audit(
            session,
            "provider.update",
            row,
            actor=actor,
            team_id=team_id,
            status="success",
            metadata={"name": new_name, "change": "name", "previous": row.name},
        )
    _changed(services, row)
    return await _row(services, new_name)


async def set_allowlist(
    services: Services,
    name: str,
    allowed: Sequence[str] | None,
    *,
    actor: str | None = None,
    team_id: str | None = None,
) -> None:
    """Which 1-Click apps / StackScripts users may deploy; None allows all of them."""
    row = await _row(services, name)
    configuration = dict(row.configuration)
    if allowed is None:
        configuration.pop("allowed_deployments", None)
    else:
        configuration["allowed_deployments"] = sorted({str(item) for item in allowed})
    async with services.db.session() as session, session.begin():
        await providers.update_fields(session, row.id, configuration=configuration)
        await _audit(
            session,
            "allowlist.update",
            row,
            actor=actor,
            team_id=team_id,
            status="success",
            metadata={
                "name": row.name,
                "allowed": "all" if allowed is None else len(configuration["allowed_deployments"]),
            },
        )
    _changed(services, row)


async def _plan(services: Services, row: ServiceProvider, provider_plan_id: str) -> Plan:
    async with services.db.session() as session:
        found = [
            p
            for p in await plans.list_for_provider(session, row.id)
            if p.provider_plan_id == provider_plan_id
        ]
    if not found:
        raise AdminError(f"{row.name!r} has no plan {provider_plan_id!r}")
    return found[0]


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
    row = await _row(services, name)
    plan = await _plan(services, row, provider_plan_id)
    value = markup.apply(plan.base_price)
    if value < 0:
        raise AdminError("the markup cannot be negative", field="markup")
    async with services.db.session() as session, session.begin():
        await plans.set_markup(session, row.id, provider_plan_id, value)
        await _audit(
            session,
            "plans.update",
            row,
            actor=actor,
            team_id=team_id,
            status="success",
            metadata={
                "name": row.name,
                "plan": provider_plan_id,
                "change": "markup",
                "markup": str(value),
                "previous": str(plan.markup_price),
            },
        )
    services.offers.clear()
    return await _plan(services, row, provider_plan_id)


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
    row = await _row(services, name)
    await _plan(services, row, provider_plan_id)
    async with services.db.session() as session, session.begin():
        await plans.set_active(session, row.id, provider_plan_id, active)
        await _audit(
            session,
            "plans.update",
            row,
            actor=actor,
            team_id=team_id,
            status="success",
            metadata={
                "name": row.name,
                "plan": provider_plan_id,
                "change": "enable" if active else "disable",
            },
        )
    services.offers.clear()
    return await _plan(services, row, provider_plan_id)


async def recent_activity(
    services: Services, team_id: str, *, limit: int = 20
) -> list[ActivityLog]:
    """The workspace's latest activity, newest first.

    Providers and plans are shared by every workspace, so provider events recorded
    without a workspace (e.g. from the CLI) are part of every workspace's log.
    """
    query = (
        select(ActivityLog)
        .where(
            or_(
                ActivityLog.team_id == team_id,
                and_(ActivityLog.team_id.is_(None), ActivityLog.entity_type == "provider"),
            )
        )
        .order_by(ActivityLog.created_at.desc(), ActivityLog.id.desc())
        .limit(limit)
    )
    async with services.db.session() as session:
        return list((await session.execute(query)).scalars())


def provider_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
