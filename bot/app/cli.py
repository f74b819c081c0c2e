"""The ``vpsbot`` command line: serve, migrate, rotate-keys, sandbox, provider, plans.

Every failure ends with one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
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


class _Shutdown:
    """SIGINT/SIGTERM handling for ``serve``, from its first moment on the loop.

    Until the bot is up a signal cancels start-up, wherever it is (starting the
    embedded PostgreSQL, migrating, connecting to Slack): the exit stack then
    stops everything already started, the embedded server above all. Once the
    bot is up a signal asks for a graceful stop. Later signals are ignored, so a
    second Ctrl-C cannot cut the clean-up short.
    """

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None
        self.phase = "start-up"
        self.running = False
        self.stop = asyncio.Event()
        self._task: asyncio.Task[Any] | None = None

    def install(
        self, signals: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
    ) -> None:
        """Handle ``signals`` on the running loop for the current task."""
        loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        for sig in signals:
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self._received, sig)

    def enter(self, phase: str) -> None:
        """Note the start-up phase (logged, and named if start-up is interrupted)."""
        self.phase = phase
        log.info("start-up: %s", phase)

    def _received(self, signum: int) -> None:
        if self.signal is not None:
            return
        self.signal = signal.Signals(signum)
        log.info(
            "%s received during %s", self.signal.name, "service" if self.running else self.phase
        )
        if self.running:
            self.stop.set()
        elif self._task is not None:
            self._task.cancel()


async def _serve(
    settings: Settings, args: argparse.Namespace, shutdown: _Shutdown, playground: Any = None
) -> None:
    shutdown.install()
    from bot.app.bolt import build_bolt_app
    from bot.app.http import settle_heap, start_serving
    from bot.app.spend_jobs import expire_requests_forever, lease_sweeper
    from bot.core.logs import configure_logging
    from bot.core.services import Services, resolve_database_url
    from bot.status.drift import Reconciler
    from bot.status.watcher import StatusWatcher
    from db import migrate
    from db.embedded import EmbeddedPostgres

    configure_logging(settings.log_level, settings.log_format)
    async with contextlib.AsyncExitStack() as stack:
        # Each part is pushed as soon as it exists: a failure or a signal at any
        # later point unwinds exactly what was started, newest first.
        if playground is not None:  # vpsbot's Slack: up before vpsbot calls it
            shutdown.enter("playground")
            await playground.playground.start()
            stack.push_async_callback(playground.playground.stop)
            print(playground.banner(), flush=True)
        shutdown.enter("database")
        embedded = None
        if settings.embedded_database:
            embedded = EmbeddedPostgres(Path(settings.vpsbot_data_dir))
            stack.callback(embedded.stop)
        url, _ = resolve_database_url(settings, embedded)
        services = Services.build(settings, database_url=url)
        stack.push_async_callback(services.aclose)
        await _reach_database(services.db.url, settings)
        if args.migrate:
            shutdown.enter("migrations")
            await migrate.upgrade(services.db.engine)
        shutdown.enter("services")
        await services.start()
        if args.sandbox:
            shutdown.enter("sandbox")
            sandbox = await _start_sandbox(services, _sandbox_port())
            stack.push_async_callback(sandbox.stop)
        bolt = build_bolt_app(services)
        shutdown.enter("listening")
        app_token = settings.slack_app_token
        serving = await start_serving(
            services,
            bolt,
            host=settings.host,
            port=settings.port,
            metrics_port=settings.metrics_port,
            app_token=app_token.get_secret_value() if app_token else None,
            phase=shutdown.enter,
        )
        stack.push_async_callback(serving.stop)
        settle_heap()
        shutdown.running = True
        print(
            f"vpsbot is running ({serving.mode}); "
            f"health at http://{settings.host}:{settings.port}/healthz",
            flush=True,
        )
        stop = asyncio.Event()
        background = [
            asyncio.create_task(StatusWatcher(services).run(stop)),
            asyncio.create_task(Reconciler(services).run(stop)),
            asyncio.create_task(lease_sweeper(services).run(stop)),
            asyncio.create_task(expire_requests_forever(services, stop)),
        ]
        await shutdown.stop.wait()
        log.info("stopping")
        stop.set()
        await asyncio.gather(*background)


async def _reach_database(url: str, settings: Settings) -> None:
    """Connect once, so an unreachable or refusing database ends in one line that
    names DATABASE_URL (or the embedded server) and the reason, not a traceback."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if settings.embedded_database:
        where = f"the embedded PostgreSQL in {settings.vpsbot_data_dir}"
    else:
        host = parsed.host or parsed.query.get("host") or "localhost"
        where = f"DATABASE_URL ({host}:{parsed.port or 5432}/{parsed.database})"
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        conn = await asyncpg.connect(plain, timeout=10)
    except TimeoutError:
        raise CliError(f"cannot reach the database at {where}: no answer within 10 s") from None
    except ConnectionRefusedError:
        raise CliError(
            f"cannot reach the database at {where}: connection refused (is PostgreSQL running?)"
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CliError(f"cannot reach the database at {where}: {reason}") from None
    except asyncpg.PostgresError as exc:
        raise CliError(f"the database at {where} refused the connection: {exc}") from None
    await conn.close()


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
    conflict = settings.slack_mode_conflict()
    if conflict:
        _fail(conflict)
    playground = None
    no_slack = not settings.oauth and not settings.slack_app_token
    if no_slack and len(settings.missing_slack()) == 2:
        settings, playground = _playground_settings(settings)
    missing = settings.missing_slack()
    if missing:
        _fail(
            f"missing {' and '.join(missing)}: create the Slack app from manifest.yml "
            "(README, 'Slack app') and set them in the environment or .env"
        )
    if args.sandbox:
        _sandbox_port()  # a bad value fails here, before anything starts
    shutdown = _Shutdown()
    try:
        run_loop(_serve(settings, args, shutdown, playground))
    except asyncio.CancelledError:
        if shutdown.signal is None:
            raise
        _fail(
            f"stopped by {shutdown.signal.name} during start-up ({shutdown.phase}); "
            "everything it had started is stopped",
            128 + shutdown.signal.value,
        )


def _playground_settings(settings: Settings) -> tuple[Settings, Any]:
    """No Slack credentials at all: the local playground stands in for Slack (loopback only),
    with a signing secret and bot token made up for this run."""
    from pydantic import SecretStr

    from bot.playground import launch
    from bot.playground.web import PlaygroundError

    try:
        plan = launch.for_serve(settings.host, settings.port)
    except PlaygroundError as exc:
        raise CliError(str(exc)) from None
    secrets = {
        "slack_bot_token": SecretStr(plan.bot_token),
        "slack_signing_secret": SecretStr(plan.signing_secret),
        "slack_api_url": plan.api_url,
    }
    return settings.model_copy(update=secrets), plan


def cmd_playground(args: argparse.Namespace) -> None:
    from bot.playground import launch
    from bot.playground.web import PlaygroundError

    settings = load_settings()
    token, secret = settings.slack_bot_token, settings.slack_signing_secret
    if token is None or secret is None:
        raise CliError(
            "vpsbot playground joins a vpsbot started with SLACK_API_URL=http://127.0.0.1:"
            f"{launch.DEFAULT_PORT}/api/ and a SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET of your "
            "choosing: set the same three here (or run `vpsbot serve` without Slack "
            "credentials, which starts the playground itself)"
        )
    vpsbot = args.vpsbot or f"http://127.0.0.1:{settings.port}"
    try:
        run_loop(
            launch.run_standalone(
                vpsbot, settings.slack_api_url, secret.get_secret_value(), token.get_secret_value()
            )
        )
    except PlaygroundError as exc:
        raise CliError(str(exc)) from None


# --------------------------------------------------------------------------- helpers


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
            _Shutdown().install((signal.SIGTERM,))
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
                await _reach_database(services.db.url, settings)
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

        _Shutdown().install((signal.SIGTERM,))
        settings = load_settings()
        url, embedded = resolve_database_url(settings, None)
        database = Database(url)
        try:
            await _reach_database(database.url, settings)
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

    team_id = _workspace(args.workspace) if args.workspace else None
    row = await admin_ops.add_provider(
        services,
        type=args.type,
        name=args.name,
        token=_read_token(args),
        api_url=args.api_url,
        team_id=team_id,
    )
    owner = f"workspace {team_id}" if team_id else "the operator (share it with --workspace)"
    print(
        f"provider {row.name!r} ({row.type}) added for {owner}, "
        "token validated and stored encrypted"
    )


_WORKSPACE = re.compile(r"^[TE][A-Z0-9]{2,31}$")


def _workspace(value: str) -> str:
    """A Slack workspace (T…) or Grid org (E…) id, or :class:`CliError`."""
    if not _WORKSPACE.match(value):
        raise CliError(f"{value!r} is not a Slack workspace ID (like T012ABCDEF)")
    return value


@_with_services
async def cmd_provider_share(services: Any, args: argparse.Namespace) -> None:
    """Share a provider (the operator's, or ``--owner``'s) with another workspace."""
    from db.repo import providers

    team_id = _workspace(args.workspace)
    owner = _workspace(args.owner) if args.owner else None
    async with services.db.session() as session, session.begin():
        row = await providers.by_name(session, args.name, owner)
        if row is None:
            whose = f"of workspace {owner}" if owner else "of the operator"
            raise CliError(f"no provider named {args.name!r} {whose}")
        if args.action == "share":
            await providers.share(session, row.id, team_id)
            done = f"shared with {team_id}"
        else:
            if not await providers.unshare(session, row.id, team_id):
                raise CliError(f"provider {args.name!r} was not shared with {team_id}")
            done = f"no longer shared with {team_id}"
    services.offers.clear()
    print(f"provider {args.name!r} {done}")


_USER = re.compile(r"^[UW][A-Z0-9]{2,31}$")


@_with_services
async def cmd_workspaces_admins(services: Any, args: argparse.Namespace) -> None:
    """List a workspace's named vpsbot admins, or add/remove one."""
    from db.repo import workspaces

    team_id = _workspace(args.workspace)
    user = args.add or args.remove
    if user and not _USER.match(user):
        raise CliError(f"{user!r} is not a Slack user ID (like U012ABCDEF)")
    async with services.db.session() as session, session.begin():
        if args.add:
            await workspaces.add_admin(session, team_id, args.add, added_by="operator")
        elif args.remove and not await workspaces.remove_admin(session, team_id, args.remove):
            raise CliError(f"{args.remove} is not a named vpsbot admin of {team_id}")
        names = await workspaces.admins_of(session, team_id)
    print(f"vpsbot admins of {team_id}: {', '.join(names) if names else '(none named)'}")


@_with_services
async def cmd_workspaces_list(services: Any, args: argparse.Namespace) -> None:
    from db.repo import workspaces

    async with services.db.session() as session:
        rows = await workspaces.summaries(session)
    if not rows:
        print("no workspaces yet; install vpsbot at /slack/install (OAuth mode)")
        return
    print(f"{'WORKSPACE':12} {'NAME':24} {'INSTALLED':20} {'ADMINS':7} {'PROVIDERS':10} SERVERS")
    for row in rows:
        when = row.installed_at.strftime("%Y-%m-%d %H:%M") if row.installed_at else "-"
        if not row.installed:
            when = "uninstalled" if row.installed_at is None else f"{when} (revoked)"
        name = (row.name or "-")[:24]
        print(
            f"{row.team_id:12} {name:24} {when:20} {row.admins:<7} {row.providers:<10} "
            f"{row.servers}"
        )


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

    await _note_api_url(services, args, args.name)
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
    from db.repo import plans, providers

    await _note_api_url(services, args, args.provider)
    count = await admin_ops.import_plans(services, args.provider, _markup(args))
    print(f"imported {count} plan(s) from {args.provider!r}")
    async with services.db.session() as session:
        row = await providers.by_name(session, args.provider)
        unpriced = await plans.unpriced(session, row.id) if row is not None else []
    if unpriced:
        print(
            f"{len(unpriced)} plan(s) came without a price and were imported inactive "
            f"(never offered at $0.00): {', '.join(unpriced)}"
        )


@_with_services
async def cmd_plans_list(services: Any, args: argparse.Namespace) -> None:
    from db.repo import plans, providers

    async with services.db.session() as session:
        rows = await providers.list_all(session)
        if args.provider:
            rows = [row for row in rows if row.name == args.provider]
            if not rows:
                raise CliError(f"no provider named {args.provider!r}")
        print(
            f"{'PROVIDER':20} {'PLAN':22} {'REGION':10} {'BASE':>8} {'MARKUP':>8} "
            f"{'PRICE':>8} ACTIVE"
        )
        for row in rows:
            for plan in await plans.list_for_provider(session, row.id):
                active = "yes" if plan.active else "no"
                # the base price, then each region whose price differs from it
                for region in [None, *sorted(plan.region_prices or {})]:
                    print(
                        f"{row.name:20} {plan.provider_plan_id:22} {region or '(base)':10} "
                        f"{plan.base_in(region):>8} {plan.markup_in(region):>8} "
                        f"{plan.price_in(region):>8} {active}"
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


def _version() -> str:
    from importlib import metadata

    try:
        version = metadata.version("vpsbot")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        version = "unknown"
    return f"vpsbot {version} (Python {sys.version.split()[0]})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vpsbot",
        description="Slack chat-ops for VPS servers on DigitalOcean and Linode. "
        "Configuration comes from the environment or .env (README, 'Configuration').",
    )
    parser.add_argument(
        "--version", action="version", version=_version(), help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the bot (HTTP or Socket Mode)")
    serve.add_argument(
        "--migrate", action="store_true", help="apply database migrations before starting"
    )
    serve.add_argument(
        "--sandbox",
        action="store_true",
        help=f"run the sandbox providers on 127.0.0.1:{SANDBOX_PORT} (or ${SANDBOX_PORT_ENV}) "
        "and register them when no provider is configured",
    )
    serve.set_defaults(func=cmd_serve)

    pg = sub.add_parser("playground", help="the local Slack stand-in in a browser, for a vpsbot")
    pg.add_argument("--vpsbot", metavar="URL", help="vpsbot's base URL (default 127.0.0.1:$PORT)")
    pg.set_defaults(func=cmd_playground)

    mig = sub.add_parser("migrate", help="apply (or revert) database migrations")
    mig.add_argument("--revision", default="head", help="target revision (default: head)")
    mig.add_argument("--downgrade", metavar="REV", help="revert down to REV (e.g. base)")
    mig.set_defaults(func=cmd_migrate)

    rot = sub.add_parser("rotate-keys", help="re-encrypt stored secrets under the first key")
    rot.set_defaults(func=cmd_rotate_keys)

    sbx = sub.add_parser("sandbox", help="run the local DigitalOcean/Linode sandbox")
    sbx.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    sbx.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port to listen on (default: ${SANDBOX_PORT_ENV} or {SANDBOX_PORT})",
    )
    sbx.set_defaults(func=cmd_sandbox)

    token_env = "read the token from the environment variable VAR instead of standard input"
    prov = sub.add_parser("provider", help="manage cloud provider accounts")
    psub = prov.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = psub.add_parser("add", help="validate a token live and store it encrypted")
    add.add_argument(
        "--type", required=True, choices=["digitalocean", "linode"], help="the cloud provider"
    )
    add.add_argument("--name", required=True, help="a name for this account, unique in vpsbot")
    add.add_argument(
        "--api-url", help="API base URL, for the sandbox or a proxy (default: the provider's)"
    )
    add.add_argument("--token-env", metavar="VAR", help=token_env)
    add.add_argument(
        "--workspace", metavar="T…", help="the workspace that owns it (default: the operator)"
    )
    add.set_defaults(func=cmd_provider_add)
    for action in ("share", "unshare"):
        sh = psub.add_parser(action, help=f"{action} a provider with a workspace")
        sh.add_argument("name", help="the provider's name (see: vpsbot provider list)")
        sh.add_argument(
            "--workspace", metavar="T…", required=True, help="the workspace (Slack team) ID"
        )
        sh.add_argument(
            "--owner", metavar="T…", help="the workspace owning NAME (default: operator)"
        )
        sh.set_defaults(func=cmd_provider_share)
    ws = sub.add_parser("workspaces", help="the Slack workspaces vpsbot is installed in")
    wsub = ws.add_subparsers(dest="action", required=True, metavar="ACTION")
    wsub.add_parser(
        "list", help="install date, admins, providers and servers of each workspace"
    ).set_defaults(func=cmd_workspaces_list)
    adm = wsub.add_parser("admins", help="a workspace's named vpsbot admins (add, remove)")
    adm.add_argument("workspace", metavar="T…", help="the workspace (Slack team) ID")
    change = adm.add_mutually_exclusive_group()
    change.add_argument("--add", metavar="U…", help="name this Slack user a vpsbot admin")
    change.add_argument("--remove", metavar="U…", help="take this user's vpsbot admin rights")
    adm.set_defaults(func=cmd_workspaces_admins)
    psub.add_parser("list", help="list providers (never shows tokens)").set_defaults(
        func=cmd_provider_list
    )
    for action in ("enable", "disable"):
        p = psub.add_parser(action, help=f"{action} a provider")
        p.add_argument("name", help="the provider's name (see: vpsbot provider list)")
        p.set_defaults(func=cmd_provider_enable)
    rm = psub.add_parser("remove", help="remove a provider (refused while it has servers)")
    rm.add_argument("name", help="the provider's name (see: vpsbot provider list)")
    rm.add_argument("--force", action="store_true", help="remove even if servers use it")
    rm.set_defaults(func=cmd_provider_remove)
    rt = psub.add_parser("rotate-token", help="validate and store a new token")
    rt.add_argument("name", help="the provider's name (see: vpsbot provider list)")
    rt.add_argument("--token-env", metavar="VAR", help=token_env)
    rt.set_defaults(func=cmd_provider_rotate)

    provider_name = "the provider's name (see: vpsbot provider list)"
    percent = "markup as a percentage of the provider's price (e.g. 20)"
    amount = "markup as a fixed monthly amount in USD (e.g. 3.50)"
    plans = sub.add_parser("plans", help="manage the plans users can order")
    lsub = plans.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = lsub.add_parser("import", help="import a provider's sizes with a markup")
    imp.add_argument("--provider", required=True, help=provider_name)
    group = imp.add_mutually_exclusive_group()
    group.add_argument("--markup-percent", metavar="N", help=percent)
    group.add_argument("--markup", metavar="AMOUNT", help=amount)
    imp.set_defaults(func=cmd_plans_import)
    pl = lsub.add_parser("list", help="list plans and prices")
    pl.add_argument("--provider", help="only this provider's plans")
    pl.set_defaults(func=cmd_plans_list)
    st = lsub.add_parser("set", help="change a plan's markup")
    st.add_argument("plan", help="the provider's plan id (see: vpsbot plans list)")
    st.add_argument("--provider", required=True, help=provider_name)
    group = st.add_mutually_exclusive_group(required=True)
    group.add_argument("--markup-percent", metavar="N", help=percent)
    group.add_argument("--markup", metavar="AMOUNT", help=amount)
    st.set_defaults(func=cmd_plans_set)
    for action in ("enable", "disable"):
        p = lsub.add_parser(action, help=f"{action} a plan")
        p.add_argument("plan", help="the provider's plan id (see: vpsbot plans list)")
        p.add_argument("--provider", required=True, help=provider_name)
        p.set_defaults(func=cmd_plans_enable)

    pol = sub.add_parser("policy", help="the spend policy of a workspace (budgets, approvals)")
    posub = pol.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = posub.add_parser("show", help="every field and its value")
    show.add_argument("--team", required=True, help="the Slack workspace id (T…)")
    show.set_defaults(func=cmd_policy_show)
    pset = posub.add_parser("set", help="change fields: FIELD=VALUE … (empty value: none)")
    team = "the Slack workspace id (T…)"
    pset.add_argument("--team", required=True, help=team)
    pset.add_argument(
        "assignments", nargs="+", metavar="FIELD=VALUE", help="fields to set (see: policy show)"
    )
    pset.set_defaults(func=cmd_policy_set)
    mem = posub.add_parser("member", help="one member's budget and server cap ('' to drop)")
    mem.add_argument("--team", required=True, help=team)
    mem.add_argument("--user", required=True, help="the member's Slack user id (U…)")
    mem.add_argument("--budget", metavar="DOLLARS", help="monthly budget ('' for the default)")
    mem.add_argument("--max-servers", metavar="N", help="most servers at once ('' for the default)")
    mem.set_defaults(func=cmd_policy_member)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (KeyboardInterrupt, asyncio.CancelledError):
        _fail("interrupted; whatever the command had started is stopped", 130)
    except SystemExit:
        raise
    except Exception as exc:  # one line, never a traceback
        _fail(_one_line(exc, args))


def _one_line(exc: BaseException, args: argparse.Namespace | None = None) -> str:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.core.logs import redactor
    from db.crypto import SecretError
    from providers.errors import ProviderError

    if isinstance(exc, ProviderError):
        text = _provider_line(exc, _api_url(args))
    elif isinstance(exc, VpsbotError | SecretError):
        text = str(exc)
    elif isinstance(exc, SQLAlchemyError):
        # the statement and driver text are for a debug log, never the terminal
        log.debug("database error", exc_info=exc)
        text = "the database refused the request (run with LOG_LEVEL=DEBUG for the details)"
    else:
        name = type(exc).__name__
        text = f"{name}: {str(exc).splitlines()[0]}" if str(exc) else name
    return redactor.redact(" ".join(text.split()))  # one line, and never a secret


def _api_url(args: argparse.Namespace | None) -> str | None:
    """The provider API base URL the failed command spoke to, when it is known."""
    if args is None:
        return None
    url = getattr(args, "api_url", None) or getattr(args, "resolved_api_url", None)
    if url:
        return str(url).rstrip("/")
    kind = getattr(args, "type", None)
    if kind == "digitalocean":
        from providers.digitalocean import DigitalOceanApi

        return DigitalOceanApi.default_base_url
    if kind == "linode":
        from providers.linode import LinodeApi

        return LinodeApi.default_base_url
    return None


async def _note_api_url(services: Any, args: argparse.Namespace, name: str) -> None:
    """Remember the stored provider's API URL, for an error line about it."""
    from db.repo import providers

    async with services.db.session() as session:
        row = await providers.by_name(session, name)
    if row is not None:
        args.type = row.type
        args.resolved_api_url = row.configuration.get("api_url")


def _provider_line(exc: Any, url: str | None) -> str:
    """A provider failure for the admin at the terminal: which API (URL), what it
    answered (HTTP status and its own message), and what to check. Slack users
    get :meth:`ProviderError.user_message` instead."""
    from providers.errors import CredentialsError, RateLimitedError

    api = f"the {exc.provider} API" + (f" at {url}" if url else "")
    said = exc.message.rstrip(".")
    if exc.status is None:
        line = f"cannot reach {api}: {said}"
        if url:
            line += " (check the URL and that this machine can reach it)"
        return line
    line = f"{api} answered HTTP {exc.status}: {said}"
    if isinstance(exc, CredentialsError):
        return line + " (the token is wrong, expired or lacks read/write scope)"
    if isinstance(exc, RateLimitedError) and exc.retry_after:
        return line + f" (retry in about {int(exc.retry_after)} s)"
    if exc.request_id:
        line += f" (request id {exc.request_id})"
    return line


if __name__ == "__main__":  # pragma: no cover
    main()
