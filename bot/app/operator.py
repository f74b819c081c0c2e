"""The operator's commands: migrate, rotate-keys, sandbox, provider, plans, policy,
workspaces. Each builds the services it needs, does one thing, and fails with one
line naming what failed."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.app.runner import note_api_url
from bot.app.serve import Shutdown, _sandbox_port, reach_database
from bot.core.config import load_settings
from bot.core.errors import CliError

__all__ = [
    "cmd_migrate",
    "cmd_plans_enable",
    "cmd_plans_import",
    "cmd_plans_list",
    "cmd_plans_set",
    "cmd_provider_add",
    "cmd_provider_enable",
    "cmd_provider_list",
    "cmd_provider_remove",
    "cmd_provider_rotate",
    "cmd_rotate_keys",
    "cmd_sandbox",
]

log = logging.getLogger("bot.cli")


def _with_services(
    func: Callable[[Any, argparse.Namespace], Awaitable[None]],
) -> Callable[[argparse.Namespace], None]:
    def run(args: argparse.Namespace) -> None:
        async def inner() -> None:
            from bot.core.logs import configure_logging
            from bot.core.services import Services
            from db import migrate

            # SIGTERM cancels the command and the finally cleans up; SIGINT keeps
            # asyncio.run's own handling (it cancels too, and a prompt stays interruptible)
            Shutdown().install((signal.SIGTERM,))
            settings = load_settings()
            quiet = settings.log_level == "INFO"  # the default: a command shows warnings only
            configure_logging("WARNING" if quiet else settings.log_level, settings.log_format)
            if quiet:
                # A failing command already ends with its one line on stderr; the
                # per-request warnings behind it (a 401, a retry) would only repeat it.
                for name in ("providers", "stamina"):
                    logging.getLogger(name).setLevel(logging.ERROR)
            services = Services.build(settings)
            try:
                await reach_database(services.db.url, settings)
                await migrate.upgrade(services.db.engine)
                await func(services, args)
            finally:
                await services.aclose()

        asyncio.run(inner())

    return run


def cmd_migrate(args: argparse.Namespace) -> None:
    async def inner() -> None:
        from bot.core.services import resolve_database_url
        from db import migrate
        from db.engine import Database

        Shutdown().install((signal.SIGTERM,))
        settings = load_settings()
        url, embedded = resolve_database_url(settings, None)
        database = Database(url)
        try:
            await reach_database(database.url, settings)
            if args.downgrade:
                await migrate.downgrade(database.engine, args.downgrade)
            else:
                await migrate.upgrade(database.engine, args.revision)
            print(f"database at revision {await migrate.current_revision(database.engine)}")
        finally:
            await database.dispose()
            if embedded is not None:
                embedded.stop()

    asyncio.run(inner())


@_with_services
async def cmd_rotate_keys(services: Any, args: argparse.Namespace) -> None:
    from db.repo import providers

    async with services.db.session() as session, session.begin():
        names = await providers.rotate_secrets(
            session, lambda token, what: services.box.rotate(token, what=what)
        )
    print(f"re-encrypted {len(names)} provider token(s) under the first key")


def cmd_sandbox(args: argparse.Namespace) -> None:
    from standins.sandbox import main as sandbox_main

    port = args.port if args.port is not None else _sandbox_port()
    network = ["--container-network"] if getattr(args, "container_network", False) else []
    sandbox_main([*network, "--host", args.host, "--port", str(port)])


def _workspace(value: str) -> str:
    """A Slack workspace (T…) or Grid org (E…) id, or :class:`CliError`."""
    if not _WORKSPACE.match(value):
        raise CliError(f"{value!r} is not a Slack workspace ID (like T012ABCDEF)")
    return value


def _team(args: argparse.Namespace) -> str | None:
    """The ``--workspace`` a command was given (checked), or None: the operator."""
    value = getattr(args, "workspace", None)
    return _workspace(value) if value else None


def _scope(services: Any, args: argparse.Namespace) -> Any:
    """How ``--workspace`` names providers, by Slack's rules (``Services.scope``):
    its own rows, plus the operator's in single-token mode; None: the operator's."""
    team_id = _team(args)
    return services.scope(team_id) if team_id else None


def _read_token(args: argparse.Namespace) -> str:
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            raise CliError(f"environment variable {args.token_env} is empty or unset")
        return token.strip()
    if sys.stdin is None or sys.stdin.isatty():
        import getpass

        return getpass.getpass("API token: ").strip()
    token = sys.stdin.readline().strip()
    if not token:
        raise CliError("no token on standard input (or use --token-env VAR)")
    return token


@_with_services
async def cmd_provider_add(services: Any, args: argparse.Namespace) -> None:
    from bot.admin import service as admin_ops

    team_id = _workspace(args.workspace) if args.workspace else None
    row = await admin_ops.add_provider(
        services,
        type=args.type,
        name=args.name,
        token=_read_token(args),
        api_url=args.api_url,
        team_id=team_id,
        trusted=bool(getattr(args, "trusted_endpoint", False)),
    )
    owner = f"workspace {team_id}" if team_id else "the operator (share it with --workspace)"
    print(
        f"provider {row.name!r} ({row.type}) added for {owner}, "
        "token validated and stored encrypted"
    )


_WORKSPACE = re.compile(r"^[TE][A-Z0-9]{2,31}$")


@_with_services
async def cmd_provider_list(services: Any, args: argparse.Namespace) -> None:
    from db.repo import providers

    async with services.db.session() as session:
        rows = await providers.list_all(session)
        counts = {row.id: await providers.count_instances(session, row.id) for row in rows}
    if not rows:
        print("no providers; add one with: vpsbot provider add --type TYPE --name NAME")
        return
    print(f"{'NAME':24} {'TYPE':13} {'WORKSPACE':12} {'ACTIVE':7} {'SERVERS':8} API")
    for row in rows:
        url = row.configuration.get("api_url", "(default)")
        active = "yes" if row.active else "no"
        owner = row.team_id or "(operator)"
        print(f"{row.name:24} {row.type:13} {owner:12} {active:7} {counts[row.id]:<8} {url}")


@_with_services
async def cmd_provider_enable(services: Any, args: argparse.Namespace) -> None:
    from bot.admin import service as admin_ops

    await admin_ops.set_provider_active(
        services, args.name, args.action == "enable", team_id=_team(args)
    )
    print(f"provider {args.name!r} {args.action}d")


@_with_services
async def cmd_provider_remove(services: Any, args: argparse.Namespace) -> None:
    from bot.admin import service as admin_ops

    await admin_ops.remove_provider(services, args.name, force=args.force, team_id=_team(args))
    print(f"provider {args.name!r} removed")


@_with_services
async def cmd_provider_rotate(services: Any, args: argparse.Namespace) -> None:
    from bot.admin import service as admin_ops

    await note_api_url(services, args, args.name, _scope(services, args))
    await admin_ops.rotate_token(services, args.name, _read_token(args), team_id=_team(args))
    print(f"provider {args.name!r}: new token validated and stored encrypted")


def _markup(args: argparse.Namespace) -> Any:
    from bot.admin.service import Markup

    try:
        if args.markup_percent is not None:
            return Markup(percent=Decimal(args.markup_percent))
        if args.markup is not None:
            return Markup(amount=Decimal(args.markup))
    except InvalidOperation:
        raise CliError("markup must be a number") from None
    return Markup()


@_with_services
async def cmd_plans_import(services: Any, args: argparse.Namespace) -> None:
    from bot.admin import service as admin_ops
    from bot.admin.plans_service import regionless_plans, unpriced_plans

    team_id = _team(args)
    await note_api_url(services, args, args.provider, _scope(services, args))
    count = await admin_ops.import_plans(services, args.provider, _markup(args), team_id=team_id)
    print(f"imported {count} plan(s) from {args.provider!r}")
    unpriced = await unpriced_plans(services, args.provider, team_id)
    regionless = await regionless_plans(services, args.provider, team_id)
    if unpriced:
        print(
            f"{len(unpriced)} plan(s) came without a price and were imported inactive "
            f"(never offered at $0.00): {', '.join(unpriced)}"
        )
    if regionless:
        print(
            f"{len(regionless)} plan(s) skipped: no region can run them now (sold out or "
            f"no region with what they need), so they are not offered: {', '.join(regionless)}"
        )


@_with_services
async def cmd_plans_list(services: Any, args: argparse.Namespace) -> None:
    from db.repo import plans, providers

    scope = _scope(services, args)
    async with services.db.session() as session:
        rows = await providers.list_all(session)
        if scope is not None:
            mine = await providers.list_all(session, scope=scope, owned_only=True)
            owned = {row.id for row in mine}
            rows = [row for row in rows if row.id in owned]
        if args.provider:
            named = await providers.by_name(session, args.provider, scope)
            rows = [row for row in rows if named is not None and row.id == named.id]
            if not rows:
                raise CliError(f"no provider named {args.provider!r}")
        print(
            f"{'PROVIDER':20} {'PLAN':22} {'REGION':10} {'BASE':>8} {'MARKUP':>8} "
            f"{'PRICE':>8} {'BACKUPS':>8} ACTIVE"
        )
        for row in rows:
            for plan in await plans.list_for_provider(session, row.id):
                active = "yes" if plan.active else "no"
                # the base price, then each region whose price (or backups price) differs
                backups_regions = (plan.backups_prices or {}).get("region_prices") or {}
                for region in [None, *sorted({*(plan.region_prices or {}), *backups_regions})]:
                    backups = plan.backups_in(region)
                    print(
                        f"{row.name:20} {plan.provider_plan_id:22} {region or '(base)':10} "
                        f"{plan.base_in(region):>8} {plan.markup_in(region):>8} "
                        f"{plan.price_in(region):>8} "
                        f"{'-' if backups is None else backups[0]:>8} {active}"
                    )


async def _plan_target(services: Any, args: argparse.Namespace) -> Any:
    from db.repo import providers

    async with services.db.session() as session:
        row = await providers.by_name(session, args.provider, _scope(services, args))
    if row is None:
        raise CliError(f"no provider named {args.provider!r}")
    return row


@_with_services
async def cmd_plans_set(services: Any, args: argparse.Namespace) -> None:
    from db.repo import plans

    row = await _plan_target(services, args)
    markup = _markup(args)
    async with services.db.session() as session, session.begin():
        plan = next(
            (
                p
                for p in await plans.list_for_provider(session, row.id)
                if p.provider_plan_id == args.plan
            ),
            None,
        )
        if plan is None:
            raise CliError(f"no plan {args.plan!r} for provider {args.provider!r}")
        await plans.set_markup(session, row.id, args.plan, markup.apply(plan.base_price))
    print(f"plan {args.plan!r} markup set")


@_with_services
async def cmd_plans_enable(services: Any, args: argparse.Namespace) -> None:
    from db.repo import plans

    row = await _plan_target(services, args)
    async with services.db.session() as session, session.begin():
        if not await plans.set_active(session, row.id, args.plan, args.action == "enable"):
            raise CliError(f"no plan {args.plan!r} for provider {args.provider!r}")
    print(f"plan {args.plan!r} {args.action}d")
