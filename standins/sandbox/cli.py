"""Run the sandbox as a process: ``python -m standins.sandbox`` / ``vpsbot sandbox``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import signal
from collections.abc import Sequence
from typing import Any

from standins.sandbox.server import DEFAULT_DO_TOKEN, DEFAULT_LINODE_TOKEN, Sandbox

__all__ = ["DEFAULT_PORT", "build_parser", "main", "parse_args", "serve_forever"]

DEFAULT_PORT = 3001  # the same fixed port `vpsbot serve --sandbox` uses


async def serve_forever(host: str = "127.0.0.1", port: int = DEFAULT_PORT, **kw: Any) -> None:
    """Start a :class:`Sandbox` (``kw`` goes to its constructor), print how to reach it,
    and serve until cancelled."""
    seed: dict[str, int] = kw.pop("seed", None) or {}
    sandbox = Sandbox(**kw)
    for provider, n in seed.items():
        if n:
            sandbox.seed_instances(provider, n)
    await sandbox.start(host=host, port=port)
    info = sandbox.info()
    print(f"vpsbot sandbox listening on {sandbox.url}", flush=True)
    print(
        f"  DigitalOcean  url={info['digitalocean']['url']}  token={info['digitalocean']['token']}"
    )
    print(f"  Linode        url={info['linode']['url']}  token={info['linode']['token']}")
    print(f"  control API   {sandbox.url}/_sandbox  (faults, advance, seed, requests, reset)")
    print("Press Ctrl+C to stop.", flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # e.g. Windows, non-main thread
        loop.add_signal_handler(signal.SIGTERM, done.set)
    try:
        await done.wait()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)
        await sandbox.stop()


def _rate(value: str) -> tuple[int, float]:
    limit, _, window = value.partition("/")
    try:
        return int(limit), float(window or 60)
    except ValueError:
        raise argparse.ArgumentTypeError("expected LIMIT/SECONDS, e.g. 250/60") from None


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_host(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``--host``: a loopback address only. The sandbox accepts made-up tokens and
    lets anyone inject faults, so it must never be reachable from another machine.
    ``--container-network`` is the one exception, said out loud: inside a container
    (compose), the other containers reach it on the container's own network, and
    its port must not be published beyond that network."""
    if _is_loopback(args.host) or args.container_network:
        return
    parser.error(
        f"{args.host!r} is not a loopback address; the sandbox only listens on 127.0.0.1 "
        "or ::1 (inside a container, --container-network lets the other containers reach "
        "it; never publish its port)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m standins.sandbox",
        description=(
            "Local DigitalOcean v2 + Linode v4 look-alike for trying vpsbot without cloud "
            "accounts. Prints its URLs and tokens."
        ),
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="loopback interface to bind (default %(default)s)",
    )
    parser.add_argument(
        "--container-network",
        action="store_true",
        help="inside a container only: allow a non-loopback --host (e.g. 0.0.0.0) so the "
        "other containers of its network reach it; the control API has no authentication, "
        "so never publish the port",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s; 0 = any)"
    )
    parser.add_argument("--do-token", default=DEFAULT_DO_TOKEN, help="accepted DigitalOcean token")
    parser.add_argument(
        "--linode-token", default=DEFAULT_LINODE_TOKEN, help="accepted Linode token"
    )
    parser.add_argument(
        "--provision-seconds", type=float, default=20.0, help="time to provision a server"
    )
    parser.add_argument("--action-seconds", type=float, default=5.0, help="time an action takes")
    parser.add_argument(
        "--rate-limit",
        type=_rate,
        default=None,
        metavar="LIMIT/SECONDS",
        help="per-token budget for both providers (default: DO 250/60, Linode 800/60)",
    )
    parser.add_argument(
        "--seed-digitalocean", type=int, default=0, metavar="N", help="pre-create N droplets"
    )
    parser.add_argument(
        "--seed-linode", type=int, default=0, metavar="N", help="pre-create N Linodes"
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``argv`` parsed, the address checked (a usage error exits, as argparse does)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_host(parser, args)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse ``argv`` and serve until interrupted."""
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve_forever(
                args.host,
                args.port,
                do_token=args.do_token,
                linode_token=args.linode_token,
                provision_seconds=args.provision_seconds,
                action_seconds=args.action_seconds,
                rate_limit=args.rate_limit,
                seed={"digitalocean": args.seed_digitalocean, "linode": args.seed_linode},
            )
        )
    return 0
