"""What every ``vpsbot`` command shares: the event loop it runs on and how it fails
(one line on stderr, a non-zero status, never a traceback)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn

from bot.core.errors import VpsbotError

__all__ = [
    "SANDBOX_PORT",
    "SANDBOX_PORT_ENV",
    "fail",
    "note_api_url",
    "one_line",
    "run_loop",
]

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


def fail(message: str, status: int = 1) -> NoReturn:
    print(f"vpsbot: error: {message}", file=sys.stderr)
    raise SystemExit(status)


def one_line(exc: BaseException, args: argparse.Namespace | None = None) -> str:
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


async def note_api_url(
    services: Any, args: argparse.Namespace, name: str, scope: Any = None
) -> None:
    """Remember the stored provider's API URL, for an error line about it (``scope``:
    the workspace naming it, see ``providers.by_name``)."""
    from db.repo import providers

    async with services.db.session() as session:
        row = await providers.by_name(session, name, scope)
    if row is not None:
        args.type = row.type
        args.resolved_api_url = row.configuration.get("api_url")


def _provider_line(exc: Any, url: str | None) -> str:
    """A provider failure for the admin at the terminal: which API (URL), what it
    answered (HTTP status and its own message), and what to check. Slack users
    get :meth:`ProviderError.user_message` instead."""
    from providers.errors import CredentialsError, RateLimitedError, UnreadableAnswerError

    api = f"the {exc.provider} API" + (f" at {url}" if url else "")
    said = exc.message.rstrip(".")
    if isinstance(exc, UnreadableAnswerError):
        return f"{api} answered something vpsbot could not read: {said}"
    if exc.status is None:
        line = f"cannot reach {api}: {said}"
        if url:
            line += " (check the URL and that this machine can reach it)"
        return line
    status = f"HTTP {exc.status}"
    # a message that is only the status ("HTTP 502 Bad Gateway") is not said twice
    line = f"{api} answered " + (said if said.startswith(status) else f"{status}: {said}")
    if isinstance(exc, CredentialsError):
        return line + " (the token is wrong, expired or lacks read/write scope)"
    if isinstance(exc, RateLimitedError) and exc.retry_after:
        return line + f" (retry in about {int(exc.retry_after)} s)"
    if exc.request_id:
        line += f" (request id {exc.request_id})"
    return line
