"""``vpsbot serve`` and ``vpsbot playground``: starting the bot and stopping it cleanly.

Start-up runs in an exit stack from its first moment: a signal or a failure at any
phase (the embedded database, migrations, Slack, the port) stops exactly what was
started, newest first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import logging
import os
import signal
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.app.runner import SANDBOX_PORT, SANDBOX_PORT_ENV, fail, run_loop
from bot.core.config import Settings, load_settings
from bot.core.errors import CliError

if TYPE_CHECKING:
    from bot.core.services import Services

__all__ = ["Shutdown", "check_slack", "cmd_playground", "cmd_serve", "reach_database"]

log = logging.getLogger("bot.cli")


class Shutdown:
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
    settings: Settings, args: argparse.Namespace, shutdown: Shutdown, playground: Any = None
) -> None:
    shutdown.install()
    from bot.app.bolt import build_bolt_app
    from bot.app.http import settle_heap, start_serving
    from bot.app.spend_jobs import expire_requests_forever, lease_sweeper
    from bot.core.logs import configure_logging
    from bot.status.drift import Reconciler
    from bot.status.watcher import StatusWatcher
    from bot.workspaces.states import sweep_states_forever

    configure_logging(settings.log_level, settings.log_format)
    async with contextlib.AsyncExitStack() as stack:
        # Each part is pushed as soon as it exists: a failure or a signal at any
        # later point unwinds exactly what was started, newest first.
        if playground is not None:  # vpsbot's Slack: up before vpsbot calls it
            shutdown.enter("playground")
            await playground.playground.start()
            stack.push_async_callback(playground.playground.stop)
        services = await _start_services(settings, args, shutdown, stack)
        if not settings.oauth:
            shutdown.enter("Slack")
            print(await check_slack(services), flush=True)
        if args.sandbox:
            shutdown.enter("sandbox")
            sandbox = await _start_sandbox(services, _sandbox_port())
            stack.push_async_callback(sandbox.stop)
            if (ec2 := await _start_ec2_sandbox(services, _sandbox_port() + 2)) is not None:
                stack.push_async_callback(ec2.stop)
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
            playground_url=playground.playground.url if playground is not None else None,
        )
        stack.push_async_callback(serving.stop)
        settle_heap()
        shutdown.running = True
        print(
            f"vpsbot is running ({serving.mode}); "
            f"health at http://{settings.host}:{settings.port}/healthz",
            flush=True,
        )
        if playground is not None:  # last, once everything answers: the line to act on
            print(playground.banner(), flush=True)
        stop = asyncio.Event()
        background = [
            asyncio.create_task(StatusWatcher(services).run(stop)),
            asyncio.create_task(Reconciler(services).run(stop)),
            asyncio.create_task(lease_sweeper(services).run(stop)),
            asyncio.create_task(expire_requests_forever(services, stop)),
        ]
        if services.installations is not None:  # OAuth mode: installs leave states behind
            background.append(asyncio.create_task(sweep_states_forever(services, stop)))
        await shutdown.stop.wait()
        log.info("stopping")
        stop.set()
        await asyncio.gather(*background)


async def _start_services(
    settings: Settings,
    args: argparse.Namespace,
    shutdown: Shutdown,
    stack: contextlib.AsyncExitStack,
) -> Services:
    """The database (embedded when configured; migrated with ``--migrate``) and the
    services on it, started; each pushed on ``stack`` as soon as it exists."""
    from bot.core.services import Services, resolve_database_url
    from db import migrate
    from db.embedded import EmbeddedPostgres

    shutdown.enter("database")
    embedded = None
    if settings.embedded_database:
        embedded = EmbeddedPostgres(Path(settings.vpsbot_data_dir))
        stack.callback(embedded.stop)
    url, _ = resolve_database_url(settings, embedded)
    services = Services.build(settings, database_url=url)
    stack.push_async_callback(services.aclose)
    await reach_database(services.db.url, settings)
    if args.migrate:
        shutdown.enter("migrations")
        await migrate.upgrade(services.db.engine)
    shutdown.enter("services")
    await services.start()
    await _disable_refused(services)
    return services


async def _disable_refused(services: Any) -> None:
    """Deactivate the workspace providers whose API URL is not allowed any more; a
    database not migrated yet only gets a line (requests will say the same)."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.admin.endpoint_rules import disable_refused

    try:
        await disable_refused(services)
    except SQLAlchemyError as exc:
        log.warning(
            "could not check the providers' API URLs (%s); is the database migrated?",
            type(exc).__name__,
        )


async def check_slack(services: Any) -> str:
    """Ask Slack who the bot token is (``auth.test``): one line for the console.

    A token Slack refuses stops start-up with that line (nothing would work);
    Slack unreachable is only reported, since commands need Slack, not start-up,
    and every request answers cleanly while it is away.
    """
    import aiohttp
    from slack_sdk.errors import SlackApiError

    from bot.core.slack import slack_error

    where = services.settings.slack_api_url
    try:
        answer = await asyncio.wait_for(services.slack.auth_test(), 5.0)
    except SlackApiError as exc:
        error = slack_error(exc)
        if error in ("invalid_auth", "not_authed", "account_inactive", "token_revoked"):
            raise CliError(f"SLACK_BOT_TOKEN: Slack refused it ({error})") from None
        return f"Slack answered auth.test with {error} at {where}; carrying on"
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"cannot reach Slack at {where} ({type(exc).__name__}); carrying on"
    return f"connected as @{answer.get('user')} to {answer.get('team')}"


async def reach_database(url: str, settings: Settings) -> None:
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
    from standins.sandbox import Sandbox

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
                services,
                type=type_,
                name=name,
                token=token,
                api_url=url,
                actor="vpsbot",
                trusted=True,  # the operator started it on loopback: vouched for explicitly
            )
            await admin_ops.import_plans(
                services, name, admin_ops.Markup(percent=Decimal(20)), actor="vpsbot"
            )
        print(f"registered the sandbox providers (sandbox at {sandbox.url})", flush=True)
    return sandbox


async def _start_ec2_sandbox(services: Any, port: int) -> Any:
    """Start moto's EC2 behind the AWS sandbox on ``port`` when moto is installed (the
    ``sandbox`` extra); register it while only sandbox providers exist."""
    if importlib.util.find_spec("moto") is None:
        print("no EC2 sandbox: moto is not installed (pip install 'vpsbot[sandbox]')", flush=True)
        return None
    from bot.admin import service as admin_ops
    from db.repo import providers
    from standins.sandbox.aws import AwsSandbox

    sandbox = AwsSandbox()
    await sandbox.start(host="127.0.0.1", port=port)
    async with services.db.session() as session:
        names = {row.name for row in await providers.list_all(session)}
    if "sandbox-aws" not in names and all(n.startswith("sandbox-") for n in names):
        await admin_ops.add_provider(
            services, type="aws", name="sandbox-aws", token=sandbox.token, api_url=sandbox.url
        )
        await admin_ops.import_plans(
            services, "sandbox-aws", admin_ops.Markup(percent=Decimal(20)), actor="vpsbot"
        )
        print(f"registered the EC2 sandbox (moto behind {sandbox.url})", flush=True)
    return sandbox


def cmd_serve(args: argparse.Namespace) -> None:
    settings = load_settings()
    conflict = settings.slack_mode_conflict()
    if conflict:
        fail(conflict)
    playground = None
    no_slack = not settings.oauth and not settings.slack_app_token
    if no_slack and len(settings.missing_slack()) == 2:
        settings, playground = _playground_settings(settings)
    missing = settings.missing_slack()
    if missing:
        fail(
            f"missing {' and '.join(missing)}: create the Slack app from manifest.yml "
            "(README, 'Slack app') and set them in the environment or .env"
        )
    if args.sandbox:
        _sandbox_port()  # a bad value fails here, before anything starts
    shutdown = Shutdown()
    try:
        run_loop(_serve(settings, args, shutdown, playground))
    except asyncio.CancelledError:
        if shutdown.signal is None:
            raise
        fail(
            f"stopped by {shutdown.signal.name} during start-up ({shutdown.phase}); "
            "everything it had started is stopped",
            128 + shutdown.signal.value,
        )


def _playground_settings(settings: Settings) -> tuple[Settings, Any]:
    """No Slack credentials at all: the local playground stands in for Slack (loopback only),
    with a signing secret and bot token made up for this run."""
    from pydantic import SecretStr

    from standins.playground import launch
    from standins.playground.web import PlaygroundError

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
    from standins.playground import launch
    from standins.playground.web import PlaygroundError

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
