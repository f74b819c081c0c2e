"""Providers, administered from the CLI and the Slack admin screens: add, rename,
rotate the token, check, activate or deactivate, remove.

Tokens are validated live before anything is stored, stored only encrypted, and
every change is written to the audit log and invalidates that provider's caches.
Plans and allowlists are :mod:`bot.admin.plans_service`; its changes are
re-exported here so the CLI reaches every administrative change through one module.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.admin.changes import audit, changed, provider_by_id, provider_named, provider_uuid
from bot.admin.endpoint_rules import (
    WHAT_TO_DO,
    disable_refused,
    not_allowed,
    refuse_if_not_allowed,
)
from bot.admin.plans_service import (
    Markup,
    import_plans,
    set_allowlist,
    set_plan_active,
    set_plan_markup,
)
from bot.core.errors import AdminError
from bot.core.logs import redactor
from bot.core.services import Services
from db.crypto import SecretError
from db.models import ServiceProvider
from db.repo import providers
from providers.errors import (
    CredentialsError,
    OutageError,
    ProviderError,
    RateLimitedError,
    UnreadableAnswerError,
)
from providers.registry import UnsupportedProviderError, build_provider, display_name

__all__ = [
    "NAME_MAX",
    "WHAT_TO_DO",
    "CheckResult",
    "Markup",
    "add_provider",
    "check_api_url",
    "check_provider",
    "disable_refused",
    "import_plans",
    "not_allowed",
    "provider_by_id",
    "provider_uuid",
    "remove_provider",
    "rename_provider",
    "rotate_token",
    "set_allowlist",
    "set_plan_active",
    "set_plan_markup",
    "set_provider_active",
    "validation_problem",
]

#: Longest provider name (the column allows more; Slack shows less).
NAME_MAX = 100


def _checked_name(name: str) -> str:
    """``name`` trimmed, or :class:`AdminError` at the ``name`` field."""
    name = name.strip()
    if not name:
        raise AdminError("a provider needs a name", field="name")
    if len(name) > NAME_MAX:
        raise AdminError(f"a provider name has at most {NAME_MAX} characters", field="name")
    return name


def check_api_url(raw: str | None) -> str | None:
    """An API URL as stored (no trailing slash; None when empty), or :class:`AdminError`
    at the ``api_url`` field when it is not an http(s) URL."""
    raw = (raw or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AdminError("an API URL starts with https:// (or http://)", field="api_url")
    return raw.rstrip("/")


def _scrub(text: str, token: str) -> str:
    token = token.strip()
    return text.replace(token, "[redacted]") if token else text


async def _validated(
    services: Services,
    type: str,
    name: str,
    token: str,
    configuration: dict[str, Any],
    timeout: float | None = None,
) -> None:
    redactor.add(token)  # from here on, no log line can carry it
    # through the registry's transport: the operator's allowlist applies to the check too
    provider = build_provider(
        type,
        name=name,
        token=token,
        configuration=configuration,
        transport=services.registry.transport,
    )
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
    if isinstance(exc, UnreadableAnswerError):
        return AdminError(
            _scrub(f"{what} answered something vpsbot could not read: {exc.message}", token),
            field="api_url" if api_url else "token",
        )
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
    trusted: bool = False,
) -> ServiceProvider:
    """Validate ``token`` live, then store the provider active with the token encrypted.

    A failed validation raises (the provider's error, or :class:`AdminError` after
    ``validate_timeout`` seconds) and stores nothing. ``trusted`` is the operator's
    word (CLI only) that ``api_url`` may be on a private network; Slack never sets it,
    and chooses ``api_url`` among :func:`bot.core.endpoints.slack_choices` only.
    """
    name = _checked_name(name)
    api_url = check_api_url(api_url)
    if not token.strip():
        raise AdminError("the API token is empty", field="token")
    configuration: dict[str, Any] = {"api_url": api_url} if api_url else {}
    if trusted and api_url:
        configuration["trusted"] = True
    async with services.db.session() as session:
        owner = services.scope(team_id) if team_id else None
        if await providers.by_name(session, name, owner) is not None:
            raise AdminError(f"a provider named {name!r} already exists", field="name")
    await _validated(services, type, name, token.strip(), configuration, validate_timeout)
    async with services.db.session() as session, session.begin():
        row = await providers.add(
            session,
            name=name,
            type=type,
            api_key_encrypted=services.box.encrypt(token.strip()),
            configuration=configuration,
            team_id=team_id,
        )
        await providers.record_check(session, row.id, valid=True)
        await session.refresh(row)
        await audit(
            session,
            "provider.create",
            row,
            actor=actor,
            team_id=team_id,
            metadata={"name": name, "type": type},
        )
    await changed(services, row)
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
    row = await provider_named(services, name, team_id)
    if active:
        refuse_if_not_allowed(services, row)
    async with services.db.session() as session, session.begin():
        await providers.set_active(session, row.id, active)
        await audit(
            session,
            "provider.enable" if active else "provider.disable",
            row,
            actor=actor,
            team_id=team_id,
            metadata={"name": row.name},
        )
    await changed(services, row)
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
    row = await provider_named(services, name, team_id)
    refuse_if_not_allowed(services, row)
    await _validated(
        services, row.type, row.name, token.strip(), dict(row.configuration), validate_timeout
    )
    async with services.db.session() as session, session.begin():
        await providers.update_fields(
            session, row.id, api_key_encrypted=services.box.encrypt(token.strip())
        )
        await providers.record_check(session, row.id, valid=True)
        await audit(
            session,
            "provider.update",
            row,
            actor=actor,
            team_id=team_id,
            metadata={"name": row.name, "change": "token"},
        )
    await changed(services, row)


async def remove_provider(
    services: Services,
    name: str,
    *,
    force: bool = False,
    actor: str | None = None,
    team_id: str | None = None,
) -> None:
    row = await provider_named(services, name, team_id)
    async with services.db.session() as session, session.begin():
        try:
            await providers.remove(session, row.id, force=force)
        except providers.ProviderInUseError as exc:
            raise AdminError(f"{exc}; remove them first or confirm with --force") from None
        await audit(
            session,
            "provider.delete",
            row,
            actor=actor,
            team_id=team_id,
            status="warning" if force else "success",
            metadata={"name": row.name, "forced": force},
        )
    await changed(services, row)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of "Check now": ``valid`` is None when the provider could not tell."""

    valid: bool | None
    message: str


async def check_provider(
    services: Services, name: str, *, actor: str | None = None, team_id: str | None = None
) -> CheckResult:
    """Validate the stored token live and record the verdict on the row and in the log."""
    row = await provider_named(services, name, team_id)
    refuse_if_not_allowed(services, row)
    what = display_name(row.type)
    valid: bool | None
    try:
        await services.provider_for(row).validate_credentials()
    except CredentialsError as exc:
        valid = False
        status = f" (HTTP {exc.status})" if exc.status else ""
        message = f"{what} rejected the stored token{status}; rotate it."
    except UnsupportedProviderError as exc:
        valid = None
        message = str(exc)
    except ProviderError as exc:
        valid = None
        message = f"could not check: {exc.user_message()}"
    except SecretError:
        valid = None
        message = "the stored token cannot be decrypted with the configured keys; rotate it."
    else:
        valid = True
        message = "credentials valid"
    async with services.db.session() as session, session.begin():
        await providers.record_check(session, row.id, valid=valid)
        await audit(
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
    row = await provider_named(services, name, team_id)
    new_name = _checked_name(new_name)
    if new_name == row.name:
        return row
    async with services.db.session() as session, session.begin():
        other = await providers.by_name(session, new_name, row.team_id)
        if other is not None:
            raise AdminError(f"a provider named {new_name!r} already exists", field="name")
        await providers.update_fields(session, row.id, name=new_name)
        await audit(
            session,
            "provider.update",
            row,
            actor=actor,
            team_id=team_id,
            metadata={"name": new_name, "change": "name", "previous": row.name},
        )
    await changed(services, row)
    return await provider_named(services, new_name, team_id)
