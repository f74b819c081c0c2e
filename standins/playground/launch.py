"""Starting the playground: beside ``vpsbot serve`` (no Slack credentials) or on its own.

``vpsbot serve`` without Slack credentials calls :func:`for_serve` and uses what it returns as
vpsbot's Slack settings; ``vpsbot playground`` calls :func:`run_standalone` to join a vpsbot
that already runs with ``SLACK_API_URL`` pointing here. Both refuse anything that could reach
a real workspace: the playground binds loopback only and stands in for Slack only where
``SLACK_API_URL`` is on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass
from urllib.parse import urlsplit

from .web import Playground, PlaygroundError, is_loopback

__all__ = [
    "DEFAULT_PORT",
    "PORT_ENV",
    "PlaygroundPlan",
    "for_serve",
    "playground_port",
    "run_standalone",
    "standalone_port",
]

DEFAULT_PORT = 3002
#: Overrides :data:`DEFAULT_PORT` (e.g. so parallel runs do not collide).
PORT_ENV = "VPSBOT_PLAYGROUND_PORT"


@dataclass(frozen=True)
class PlaygroundPlan:
    """A playground not yet started, and the Slack settings vpsbot must use with it."""

    playground: Playground
    bot_token: str
    signing_secret: str
    api_url: str

    def banner(self) -> str:
        """The one line ``serve`` prints."""
        return (
            f"no Slack credentials: local playground (not Slack) at {self.playground.url} "
            "- open it in a browser"
        )


def playground_port() -> int:
    """``$VPSBOT_PLAYGROUND_PORT`` if set, else :data:`DEFAULT_PORT`."""
    raw = os.environ.get(PORT_ENV, "").strip()
    if not raw:
        return DEFAULT_PORT
    port = int(raw) if raw.isdigit() else 0
    if not 1 <= port <= 65535:
        raise PlaygroundError(f"{PORT_ENV}: must be a port number (1-65535), not {raw!r}")
    return port


def _events_url(vpsbot_host: str, vpsbot_port: int) -> str:
    host = "127.0.0.1" if vpsbot_host in ("", "0.0.0.0", "::") else vpsbot_host  # noqa: S104
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{vpsbot_port}/slack/events"


def for_serve(vpsbot_host: str, vpsbot_port: int, port: int | None = None) -> PlaygroundPlan:
    """A playground for ``vpsbot serve`` on ``vpsbot_host:vpsbot_port``, with fresh secrets."""
    playground = Playground(
        _events_url(vpsbot_host, vpsbot_port),
        port=playground_port() if port is None else port,
    )
    return PlaygroundPlan(
        playground, playground.bot_token, playground.signing_secret, playground.api_url
    )


def standalone_port(api_url: str) -> int:
    """The port to serve on for ``SLACK_API_URL=api_url``; refuses a real Slack."""
    parts = urlsplit(api_url)
    if not parts.hostname or not is_loopback(parts.hostname):
        raise PlaygroundError(
            f"SLACK_API_URL is {api_url}: these are real Slack settings, and the playground "
            "only stands in for Slack on this machine (SLACK_API_URL=http://127.0.0.1:"
            f"{DEFAULT_PORT}/api/)"
        )
    if parts.scheme != "http":
        raise PlaygroundError("SLACK_API_URL: the playground serves plain http on loopback")
    return parts.port or 80


async def run_standalone(
    vpsbot_url: str, api_url: str, signing_secret: str, bot_token: str
) -> None:
    """Serve the playground for a vpsbot already running at ``vpsbot_url`` until a signal."""
    port = standalone_port(api_url)
    base = vpsbot_url.rstrip("/")
    playground = Playground(
        f"{base}/slack/events", signing_secret=signing_secret, bot_token=bot_token, port=port
    )
    await playground.start()
    print(f"local playground (not Slack) at {playground.url} for the vpsbot at {base}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await playground.stop()
