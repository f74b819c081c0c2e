"""The ``vpsbot`` command line: serve, migrate, rotate-keys, sandbox, provider, plans.

Every failure ends with one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from bot.core.config import Settings, load_settings
from bot.core.errors import CliError, VpsbotError

__all__ = ["main"]

log = logging.getLogger("bot.cli")

SANDBOX_PORT = 3001
#: Overrides :data:`SANDBOX_PORT` (e.g. so parallel test runs do not collide).
SANDBOX_PORT_ENV = "VPSBOT_SANDBOX_PORT"


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run the service's event loop: uvloop where installed (faster socket I/O for
    an aiohttp server that is mostly Slack and database round trips), else asyncio."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        asyncio.run(main)
    else:
        uvloop.run(main)


def _fail(message: str, status: int = 1) -> NoReturn:
    print(f"vpsbot: error: {message}", file=sys.stderr)
    raise SystemExit(status)


# --------------------------------------------------------------------------- serve


async def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from bot.app.bolt import build_bolt_app
    from bot.app.http import settle_heap, start_serving
    from bot.app.spend_jobs import expire_requests_forever, lease_sweeper
    from bot.core.logs import configure_logging
    from bot.core.services import Services
    from bot.status.drift import Reconciler
    from bot.status.watcher import StatusWatcher
    from db import migrate

    configure_logging(settings.log_level)
    services = Services.build(settings)
    sandbox = None
    serving = None
    try:
        if args.migrate:
            await migrate.upgrade(services.db.engine)
        await services.start()
        if args.sandbox:
            sandbox = await _start_sandbox(services, _sandbox_port())
        bolt = build_bolt_app(services)
        app_token = settings.slack_app_token
        serving = await start_serving(
            services,
            bolt,
            host=settings.host,
            port=settings.port,
            app_token=app_token.get_secret_value() if app_token else None,
        )
        settle_heap()
        mode = serving.mode
        print(
            f"vpsbot is running ({mode}); health at http://{settings.host}:{settings.port}/healthz",
            flush=True,
        )
        stop = asyncio.Event()
        background = [
            asyncio.create_task(StatusWatcher(services).run(stop)),
            asyncio.create_task(Reconciler(services).run(stop)),
            asyncio.create_task(lease_sweeper(services).run(stop)),
            asyncio.create_task(expire_requests_forever(services, stop)),
        ]
        await _wait_for_stop()
        stop.set()
        await asyncio.gather(*background)
    finally:
        if serving is not None:
            await serving.stop()
        if sandbox is not None:
            await sandbox.stop()
        await services.aclose()
        from providers.http import close_session

        await close_session()


async def _wait_for_stop() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def _sandbox_port() -> int:
    """The sandbox's port: ``$VPSBOT_SANDBOX_PORT`` if set, else :data:`SANDBOX_PORT`."""
    raw = os.environ.get(SANDBOX_PORT_ENV, "").strip()
    if not raw:
        return SANDBOX_PORT
    port = int(raw) if raw.isdigit() else 0
    if not 1 <= port <= 65535:
        raise CliError(f"{SANDBOX_PORT_ENV}: must be a port number (1-65535), not {raw!r}")
    return port


async def _start_sandbox(services: Any, port: int = SANDBOX_PORT) -> Any:
    """Start the sandbox on ``port``; register it as the providers when none exist."""
    from bot.admin import service as admin_ops
    from db.repo import providers
    from providers.sandbox import Sandbox

    sandbox = Sandbox()
    await sandbox.start(host="127.0.0.1", port=port)
    async with services.db.session() as session:
        existing = await providers.list_all(session)
    if not existing:
        for type_, url, token in (
            ("digitalocean", sandbox.digitalocean_url, sandbox.tokens["digitalocean"]),
            ("linode", sandbox.linode_url, sandbox.tokens["linode"]),
        ):
            name = f"sandbox-{type_}"
            await admin_ops.add_provider(
                services, type=type_, name=name, token=token, api_url=url, actor="vpsbot"
            )
            await admin_ops.import_plans(
                services, name, admin_ops.Markup(percent=Decimal(20)), actor="vpsbot"
            )
        print(f"registered the sandbox providers (sandbox at {sandbox.url})", flush=True)
    return sandbox


def cmd_serve(args: argparse.Namespace) -> None:
    settings = load_settings()
    missing = settings.missing_slack()
    if missing:
        _fail(
            f"missing {' and '.join(missing)}: create the Slack app from manifest.yml "
            "(README, 'Slack app') and set them in the environment or .env"
        )
    if args.sandbox:
        _sandbox_port()  # a bad value fails here, before anything starts
    run_loop(_serve(settings, args))


# --------------------------------------------------------------------------- helpers


def _with_services(
    func: Callable[[Any, argparse.Namespace], Awaitable[None]],
) -> Callable[[argparse.Namespace], None]:
    def run(args: argparse.Namespace) -> None:
        async def inner() -> None:
            from bot.core.logs import configure_logging
            from bot.core.services import Services
            from db import migrate
            from providers.http import close_session

            settings = load_settings()
            quiet = settings.log_level == "INFO"  # the default: a command shows warnings only
            configure_logging("WARNING" if quiet else settings.log_level)
            if quiet:
                # A failing command already ends with its one line on stderr; the
                # per-request warnings behind it (a 401, a retry) would only repeat it.
                for name in ("providers", "stamina"):
                    logging.getLogger(name).setLevel(logging.ERROR)
            services = Services.build(settings)
            try:
                await migrate.upgrade(services.db.engine)
                await func(services, args)
            finally:
                await services.aclose()
                await close_session()

        asyncio.run(inner())

    return run


def cmd_migrate(args: argparse.Namespace) -> None:
    async def inner() -> None:
        from bot.core.services import resolve_database_url
        from db import migrate
        from db.engine import Database

        settings = load_settings()
        url, embedded = resolve_database_url(settings, None)
        database = Database(url)
        try:
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
    from providers.sandbox import main as sandbox_main

    port = args.port if args.port is not None else _sandbox_port()
    sandbox_main(["--host", args.host, "--port", str(port)])


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

    row = await admin_ops.add_provider(
        services, type=args.type, name=args.name, token=_read_token(args), api_url=args.api_url
    )
    print(f"provider {row.name!r} ({row.type}) added, token validated and stored encrypted")


@_with_services
async def cmd_provider_list(services: Any, args: argparse.Namespace) -> None:
    from db.repo import providers

    async with services.db.session() as session:
        rows = await providers.list_all(session)
        counts = {row.id: await providers.count_instances(session, row.id) for row in rows}
    if not rows:
        print("no providers; add one with: vpsbot provider add --type TYPE --name NAME")
        return
    print(f"{'NAME':24} {'TYPE':13} {'ACTIVE':7} {'SERVERS':8} API")
    for row in rows:
        url = row.configuration.get("api_url", "(default)")
        active = "yes" if row.active else "no"
        print(f"{row.name:24} {row.type:13} {active:7} {counts[row.id]:<8} {url}")


@_with_services
async def cmd_provider_enable(services: Any, args: argparse.Namespace) -> None:
    from bot.admin import service as admin_ops

    await admin_ops.set_provider_active(services, args.name, args.action == "enable")
    print(f"provider {args.name!r} {args.action}d")


@_with_services
async def cmd_provider_remove(services: Any, args: argparse.Namespace) -> None:
    from bot.admin import service as admin_ops

    await admin_ops.remove_provider(services, args.name, force=args.force)
    print(f"provider {args.name!r} removed")


@_with_services
async def cmd_provider_rotate(services: Any, args: argparse.Namespace) -> None:
    from bot.admin import service as admin_ops

    await admin_ops.rotate_token(services, args.name, _read_token(args))
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

    count = await admin_ops.import_plans(services, args.provider, _markup(args))
    print(f"imported {count} plan(s) from {args.provider!r}")


@_with_services
async def cmd_plans_list(services: Any, args: argparse.Namespace) -> None:
    from db.repo import plans, providers

    async with services.db.session() as session:
        rows = await providers.list_all(session)
        if args.provider:
            rows = [row for row in rows if row.name == args.provider]
            if not rows:
                raise CliError(f"no provider named {args.provider!r}")
        print(f"{'PROVIDER':20} {'PLAN':22} {'BASE':>8} {'MARKUP':>8} {'PRICE':>8} ACTIVE")
        for row in rows:
            for plan in await plans.list_for_provider(session, row.id):
                active = "yes" if plan.active else "no"
                print(
                    f"{row.name:20} {plan.provider_plan_id:22} {plan.base_price:>8} "
                    f"{plan.markup_price:>8} {plan.price_monthly:>8} {active}"
                )


async def _plan_target(services: Any, args: argparse.Namespace) -> Any:
    from db.repo import providers

    async with services.db.session() as session:
        row = await providers.by_name(session, args.provider)
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


@_with_services
async def cmd_policy_show(services: Any, args: argparse.Namespace) -> None:
    from bot.spend import manage
    from bot.spend.policy import FIELDS

    shown = manage.display(await manage.current(services, args.team))
    for name, (label, _) in FIELDS.items():
        print(f"{name:<24} {shown[name] or '-':<30} {label}")


def _assignments(items: Sequence[str]) -> dict[str, str]:
    raw: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"expected FIELD=VALUE, got {item[:40]!r}")
        raw[name.strip()] = value
    return raw


@_with_services
async def cmd_policy_set(services: Any, args: argparse.Namespace) -> None:
    from bot.core.errors import InputError
    from bot.spend import manage

    try:
        await manage.update(services, args.team, _assignments(args.assignments), "cli")
    except InputError as exc:
        raise CliError(f"{exc.field}: {exc.message}") from None
    print(f"policy of {args.team} updated")


@_with_services
async def cmd_policy_member(services: Any, args: argparse.Namespace) -> None:
    from bot.core.errors import InputError
    from bot.spend import manage

    try:
        await manage.set_member(
            services,
            args.team,
            args.user,
            budget=args.budget or "",
            max_servers=args.max_servers or "",
            by="cli",
        )
    except InputError as exc:
        raise CliError(f"{exc.field}: {exc.message}") from None
    print(f"overrides of {args.user} in {args.team} saved")


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vpsbot", description="Slack chat-ops for VPS servers on DigitalOcean and Linode."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the bot (HTTP or Socket Mode)")
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument(
        "--sandbox",
        action="store_true",
        help=f"run the sandbox providers on 127.0.0.1:{SANDBOX_PORT} (or ${SANDBOX_PORT_ENV}) "
        "and register them when no provider is configured",
    )
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="apply (or revert) database migrations")
    mig.add_argument("--revision", default="head", help="target revision (default head)")
    mig.add_argument("--downgrade", metavar="REV", help="revert down to REV (e.g. base)")
    mig.set_defaults(func=cmd_migrate)

    rot = sub.add_parser("rotate-keys", help="re-encrypt stored secrets under the first key")
    rot.set_defaults(func=cmd_rotate_keys)

    sbx = sub.add_parser("sandbox", help="run the local DigitalOcean/Linode sandbox")
    sbx.add_argument("--host", default="127.0.0.1")
    sbx.add_argument(
        "--port", type=int, default=None, help=f"default ${SANDBOX_PORT_ENV} or {SANDBOX_PORT}"
    )
    sbx.set_defaults(func=cmd_sandbox)

    prov = sub.add_parser("provider", help="manage cloud provider accounts")
    psub = prov.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = psub.add_parser("add", help="validate a token live and store it encrypted")
    add.add_argument("--type", required=True, choices=["digitalocean", "linode"])
    add.add_argument("--name", required=True)
    add.add_argument("--api-url", help="API base URL (the sandbox, a proxy)")
    add.add_argument("--token-env", metavar="VAR", help="read the token from $VAR, not stdin")
    add.set_defaults(func=cmd_provider_add)
    psub.add_parser("list", help="list providers (never shows tokens)").set_defaults(
        func=cmd_provider_list
    )
    for action in ("enable", "disable"):
        p = psub.add_parser(action, help=f"{action} a provider")
        p.add_argument("name")
        p.set_defaults(func=cmd_provider_enable)
    rm = psub.add_parser("remove", help="remove a provider (refused while it has servers)")
    rm.add_argument("name")
    rm.add_argument("--force", action="store_true", help="remove even if servers use it")
    rm.set_defaults(func=cmd_provider_remove)
    rt = psub.add_parser("rotate-token", help="validate and store a new token")
    rt.add_argument("name")
    rt.add_argument("--token-env", metavar="VAR")
    rt.set_defaults(func=cmd_provider_rotate)

    plans = sub.add_parser("plans", help="manage the plans users can order")
    lsub = plans.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = lsub.add_parser("import", help="import a provider's sizes with a markup")
    imp.add_argument("--provider", required=True)
    group = imp.add_mutually_exclusive_group()
    group.add_argument("--markup-percent", metavar="N")
    group.add_argument("--markup", metavar="AMOUNT")
    imp.set_defaults(func=cmd_plans_import)
    pl = lsub.add_parser("list", help="list plans and prices")
    pl.add_argument("--provider")
    pl.set_defaults(func=cmd_plans_list)
    st = lsub.add_parser("set", help="change a plan's markup")
    st.add_argument("plan")
    st.add_argument("--provider", required=True)
    group = st.add_mutually_exclusive_group(required=True)
    group.add_argument("--markup-percent", metavar="N")
    group.add_argument("--markup", metavar="AMOUNT")
    st.set_defaults(func=cmd_plans_set)
    for action in ("enable", "disable"):
        p = lsub.add_parser(action, help=f"{action} a plan")
        p.add_argument("plan")
        p.add_argument("--provider", required=True)
        p.set_defaults(func=cmd_plans_enable)

    pol = sub.add_parser("policy", help="the spend policy of a workspace (budgets, approvals)")
    posub = pol.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = posub.add_parser("show", help="every field and its value")
    show.add_argument("--team", required=True, help="the Slack workspace id (T…)")
    show.set_defaults(func=cmd_policy_show)
    pset = posub.add_parser("set", help="change fields: FIELD=VALUE … (empty value: none)")
    pset.add_argument("--team", required=True)
    pset.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    pset.set_defaults(func=cmd_policy_set)
    mem = posub.add_parser("member", help="one member's budget and server cap ('' to drop)")
    mem.add_argument("--team", required=True)
    mem.add_argument("--user", required=True)
    mem.add_argument("--budget", metavar="DOLLARS")
    mem.add_argument("--max-servers", metavar="N")
    mem.set_defaults(func=cmd_policy_member)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except SystemExit:
        raise
    except Exception as exc:  # one line, never a traceback
        _fail(_one_line(exc))


def _one_line(exc: BaseException) -> str:
    from db.crypto import SecretError
    from providers.errors import ProviderError

    if isinstance(exc, ProviderError):
        return f"{exc.provider}: {exc.user_message()}"
    if isinstance(exc, VpsbotError | SecretError):
        return str(exc)
    name = type(exc).__name__
    text = str(exc).splitlines()[0] if str(exc) else name
    return f"{name}: {text}"


if __name__ == "__main__":  # pragma: no cover
    main()
