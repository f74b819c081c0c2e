"""One workspace floods a shared provider account; does another still get through?

Run: ``.venv/bin/python bench/bench_fair_share.py [--flood 600]`` (about a minute).

An operator-level DigitalOcean provider shared by several workspaces is one account:
one budget of 250 requests a minute, enforced by the sandbox (as by DigitalOcean)
and by vpsbot's own limiter. Workspace T1 fires ``--flood`` concurrent server
listings (a burst of `/vps list` refreshes); while they run, workspace T2 lists its
servers and creates one, the provider calls behind its `/vps list` and create.
Each scenario has a fresh sandbox (fresh budget) and a fresh transport:

* baseline   — T2 alone on the shared account;
* fair share — the flood, with the account shared (``shared=True``, as vpsbot builds
               operator-level providers in OAuth mode): T1 is held to its share;
* no share   — the flood, the account not divided (how vpsbot behaved before):
               T2's calls wait behind T1's queue (each capped at ``--cap`` seconds).

Prints T2's latencies (p50, max) per call kind, their ratio to the baseline, and
what became of T1's flood.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import percentile
from providers.base import Provider
from providers.errors import ProviderError
from providers.fairshare import ShareUsedError, acting_for
from providers.http import Transport
from providers.models import CreateRequest
from providers.registry import build_provider
from standins.sandbox import Sandbox

LISTS = 10
CREATES = 3


def _client(sandbox: Sandbox, transport: Transport, *, shared: bool) -> Provider:
    return build_provider(
        "digitalocean",
        name="shared-do",
        token=sandbox.tokens["digitalocean"],
        # the sandbox is on loopback: vouched for, as `make run` does
        configuration={"api_url": sandbox.digitalocean_url, "trusted": True, "shared": shared},
        transport=transport,
    )


def _create(label: str) -> CreateRequest:
    return CreateRequest(
        label=label,
        region="nyc3",
        plan="s-1vcpu-1gb",
        image="ubuntu-24-04-x64",
        tag=f"vpsbot-bench-{secrets.token_hex(4)}",
    )


async def _timed(call: Callable[[], Awaitable[Any]], cap: float) -> float:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(call(), cap)
    except TimeoutError:
        return float("inf")
    return time.perf_counter() - started


async def _victim(client: Provider, cap: float, lists: int, creates: int) -> dict[str, list[float]]:
    """T2's calls, one after another, as a person's commands would come."""
    out: dict[str, list[float]] = {"list": [], "create": []}
    with acting_for("T2"):
        for _ in range(lists):
            out["list"].append(await _timed(client.list_instances, cap))
        for i in range(creates):
            request = _create(f"t2-{i}")
            out["create"].append(await _timed(partial(client.create_instance, request), cap))
    return out


async def _scenario(
    flood: int, *, shared: bool | None, cap: float
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """``shared`` None: the baseline (no flood)."""
    sandbox = Sandbox(provision_seconds=60.0, action_seconds=5.0)
    await sandbox.start()
    sandbox.seed_instances("digitalocean", 40)
    transport = Transport()
    client = _client(sandbox, transport, shared=bool(shared))
    outcome = {"ok": 0, "share_refused": 0, "other_errors": 0, "unfinished": 0}

    async def one() -> None:
        try:
            await client.list_instances()
        except ShareUsedError:
            outcome["share_refused"] += 1
        except ProviderError:
            outcome["other_errors"] += 1
        else:
            outcome["ok"] += 1

    tasks: list[asyncio.Task[None]] = []
    if shared is not None:
        with acting_for("T1"):
            tasks = [asyncio.create_task(one()) for _ in range(flood)]
        await asyncio.sleep(0.2)  # the burst is under way
    lists, creates = (LISTS, CREATES) if shared is not False else (3, 1)
    try:
        times = await _victim(client, cap, lists, creates)
    finally:
        outcome["unfinished"] = sum(1 for t in tasks if not t.done())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.aclose()
        await transport.aclose()
        await sandbox.stop()
    return times, outcome


def _fmt(values: list[float]) -> str:
    if any(v == float("inf") for v in values):
        done = [v for v in values if v != float("inf")]
        return f"{len(values) - len(done)} of {len(values)} not answered within the cap"
    return f"p50 {percentile(values, 50) * 1000:8.1f} ms  max {max(values) * 1000:8.1f} ms"


def _ratio(values: list[float], base: list[float]) -> str:
    if any(v == float("inf") for v in values):
        return "     ∞ x"
    return f"{percentile(values, 50) / percentile(base, 50):6.2f}x"


async def main(flood: int, cap: float) -> None:
    logging.disable(logging.WARNING)  # the flood's refusals would flood the console
    print(f"T1 floods {flood} concurrent listings; T2 lists {LISTS}x then creates {CREATES}x")
    base, _ = await _scenario(flood, shared=None, cap=cap)
    fair, fair_flood = await _scenario(flood, shared=True, cap=cap)
    plain, plain_flood = await _scenario(flood, shared=False, cap=cap)
    for kind in ("list", "create"):
        print(f"  T2 {kind:<6} baseline   {_fmt(base[kind])}")
        for name, got in (("fair share", fair), ("no share  ", plain)):
            ratio = _ratio(got[kind], base[kind])
            print(f"  T2 {kind:<6} {name} {_fmt(got[kind])}   ratio {ratio}")
    print(f"  T1 flood with fair share: {fair_flood}")
    print(f"  T1 flood without:         {plain_flood}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=600, help="T1's concurrent listings")
    parser.add_argument("--cap", type=float, default=10.0, help="seconds T2 waits per call at most")
    args = parser.parse_args()
    asyncio.run(main(args.flood, args.cap))
