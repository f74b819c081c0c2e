"""What following one new server costs, and how late its channel card is.

For each provider and N = 0, 2,000 and 10,000 vpsbot servers already at the
provider (seeded in an in-process sandbox, each with its database row), one
server is created and followed by the status watcher, in real time, from the
create to "running" (the sandbox boots it in 50 s). Printed per case: provider
calls the watcher made for that lifecycle, calls per minute against the
provider's documented limit (DigitalOcean 250, Linode 800), and the card's lag
(when the row showed "running" minus when the provider's status changed).

Two watchers, measured in the same run:
- baseline: the watcher as it was before issue 13 (the whole tagged listing on
  every poll, a 2 → 60 s backoff, a 3 s cycle);
- current: :class:`bot.status.watcher.StatusWatcher` — per poll the cheaper of
  one request per changing server or one listing, polls timed by the change's
  expected duration. Its first create on an account is "cold" (no duration
  learned yet); a second create on the same account shows the steady state.

All cases run concurrently (one sandbox and provider account per N), so a run
takes about three minutes. Run: ``.venv/bin/python bench/bench_watcher.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROVIDERS = ("digitalocean", "linode")
LIMITS = {"digitalocean": 250, "linode": 800}
PAGE = {"digitalocean": 200, "linode": 500}
SETUP = {
    "digitalocean": ("s-1vcpu-1gb", "nyc3", "ubuntu-24-04-x64"),
    "linode": ("g6-nanode-1", "us-east", "linode/ubuntu24.04"),
}
BOOT = 50.0


@dataclass
class Result:
    provider: str
    n: int
    watcher: str
    calls: int
    seconds: float
    lag: float

    def line(self) -> str:
        per_minute = self.calls / self.seconds * 60 if self.seconds else 0.0
        return (
            f"  {self.provider:12} N={self.n:6d} {self.watcher:8} calls {self.calls:4d} "
            f"(listing would be {math.ceil(self.n / PAGE[self.provider]) or 1} per poll) "
            f"{per_minute:6.1f}/min of {LIMITS[self.provider]}  card lag {self.lag:5.1f} s"
        )


async def _bench(sizes: list[int]) -> None:
    from cryptography.fernet import Fernet
    from sqlalchemy import insert

    from bench._common import scratch_database
    from bot.admin import service as admin_ops
    from bot.core.config import Settings
    from bot.core.services import Services
    from bot.core.tags import VPSBOT_TAG
    from bot.status.watcher import StatusWatcher, _backoff
    from db import migrate
    from db.models import ServiceProvider, VpsInstance
    from db.repo import instances, providers
    from providers.models import CreateRequest
    from standins.playground.slack_api import SlackStandIn
    from standins.sandbox import Sandbox

    class Baseline(StatusWatcher):
        """The watcher before issue 13: list everything every poll, blind backoff."""

        def _prefer_listing(self, changing: int, pages: int) -> bool:
            return True

        def _delay(self, row: VpsInstance, progress: int | None = None) -> float:
            return _backoff(row.watch_attempts)

    logging.basicConfig(level=logging.ERROR)
    async with scratch_database("vpsbot_bench_watcher") as database_url:
        api = await SlackStandIn(bot_token="xoxb-bench").start()
        settings = Settings(
            slack_bot_token="xoxb-bench",
            slack_signing_secret="s",
            slack_api_url=api.base_url,
            database_url=database_url,
            vpsbot_encryption_keys=Fernet.generate_key().decode(),
            _env_file=None,  # type: ignore[call-arg]
        )
        services = Services.build(settings, database_url=database_url)
        await migrate.upgrade(services.db.engine)
        await services.start()
        sandboxes: list[Sandbox] = []
        accounts: dict[tuple[str, int], tuple[Sandbox, ServiceProvider]] = {}
        try:
            for n in sizes:
                # the documented per-token limits stay on: a watcher that spends
                # too much is slowed down as it would be in production
                sandbox = Sandbox(provision_seconds=BOOT, linode_create_limit=None)
                await sandbox.start()
                sandboxes.append(sandbox)
                for type_ in PROVIDERS:
                    url = (
                        sandbox.digitalocean_url if type_ == "digitalocean" else sandbox.linode_url
                    )
                    name = f"{type_}-{n}"
                    await admin_ops.add_provider(
                        services,
                        type=type_,
                        name=name,
                        token=sandbox.tokens[type_],
                        api_url=url,
                        trusted=True,
                    )
                    await admin_ops.import_plans(
                        services, name, admin_ops.Markup(percent=Decimal(0))
                    )
                    async with services.db.session() as session:
                        row = await providers.by_name(session, name)
                    assert row is not None
                    ids = sandbox.seed_instances(type_, n, tag=VPSBOT_TAG)
                    values = [
                        {
                            "id": uuid.uuid4(),
                            "label": f"seed-{server_id}",
                            "status": "running",
                            "provider_id": row.id,
                            "provider_type": type_,
                            "provider_instance_id": server_id,
                            "configuration": {},
                        }
                        for server_id in ids
                    ]
                    async with services.db.engine.begin() as conn:
                        for start in range(0, len(values), 2000):
                            await conn.execute(insert(VpsInstance), values[start : start + 2000])
                    accounts[(type_, n)] = (sandbox, row)

            async def lifecycle(type_: str, n: int, label: str, watcher: str) -> Result:
                """Create one server the way /vps create does and wait for its card."""
                sandbox, row = accounts[(type_, n)]
                plan, region, image = SETUP[type_]
                instance_id = uuid.uuid4()
                tag = f"vpsbot-{instance_id}"
                async with services.db.session() as session, session.begin():
                    await instances.create_pending(
                        session,
                        instance_id=instance_id,
                        team_id="T0001",
                        created_by="U0001",
                        label=label,
                        provider_id=row.id,
                        provider_type=type_,
                        plan_id=None,
                        region=region,
                        tag=tag,
                        channel_id="C0001",
                        configuration={"plan": plan},
                    )
                server = await services.provider_for(row).create_instance(
                    CreateRequest(
                        label=label,
                        region=region,
                        plan=plan,
                        image=image,
                        tag=tag,
                        root_password="Bench-Pass-12345",
                        extra_tags=[VPSBOT_TAG],
                    )
                )
                changed_at = time.monotonic() + BOOT  # when the sandbox flips it
                before = sandbox.request_count(type_)
                async with services.db.session() as session, session.begin():
                    stored = await instances.get(session, instance_id)
                    assert stored is not None
                    stored.provider_instance_id = server.id
                    stored.status = server.status.value
                    await instances.schedule_watch(session, instance_id, delay=2.0)
                started = time.monotonic()
                while True:
                    await asyncio.sleep(0.1)
                    async with services.db.session() as session:
                        current = await instances.get(session, instance_id)
                    if current is not None and current.status == "running":
                        seen = time.monotonic()
                        break
                    if time.monotonic() - started > 600:
                        raise RuntimeError(f"{label} never ran")
                while True:  # wait for the watcher to let go of the row
                    async with services.db.session() as session:
                        current = await instances.get(session, instance_id)
                    if current is None or current.watch_next_at is None:
                        break
                    await asyncio.sleep(0.2)
                calls = sandbox.request_count(type_) - before
                return Result(type_, n, watcher, calls, seen - started, seen - changed_at)

            async def run_with(watcher: StatusWatcher, cases: list[Any]) -> list[Any]:
                stop = asyncio.Event()
                task = asyncio.create_task(watcher.run(stop))
                try:
                    return list(await asyncio.gather(*cases))
                finally:
                    stop.set()
                    await task

            cases = [(t, n) for n in sizes for t in PROVIDERS]
            print(f"watcher: one create followed to running (boot {BOOT:.0f} s), per N")
            baseline = await run_with(
                Baseline(services, interval=3.0),
                [lifecycle(t, n, f"base-{t[:2]}-{n}", "baseline") for t, n in cases],
            )
            current = StatusWatcher(services)

            async def two(t: str, n: int) -> list[Result]:
                cold = await lifecycle(t, n, f"cold-{t[:2]}-{n}", "cold")
                warm = await lifecycle(t, n, f"warm-{t[:2]}-{n}", "current")
                return [cold, warm]

            pairs = await run_with(current, [two(t, n) for t, n in cases])
            results = baseline + [r for pair in pairs for r in pair]
            for type_ in PROVIDERS:
                for n in sizes:
                    rows = [r for r in results if r.provider == type_ and r.n == n]
                    for result in rows:
                        print(result.line())
                    base = next(r for r in rows if r.watcher == "baseline")
                    warm = next(r for r in rows if r.watcher == "current")
                    print(
                        f"  {'':12} {'':8} current/baseline: calls "
                        f"{warm.calls / max(base.calls, 1):.2f}, lag {warm.lag / base.lag:.2f}"
                        if base.lag > 0
                        else ""
                    )
        finally:
            await services.aclose()
            for sandbox in sandboxes:
                await sandbox.stop()
            await api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0,2000,10000", help="comma-separated N values")
    args = parser.parse_args()
    asyncio.run(_bench([int(x) for x in args.sizes.split(",")]))


if __name__ == "__main__":
    main()
