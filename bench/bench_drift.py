"""Drift reconciliation over 10,000 sandbox servers per provider.

Seeds N servers per provider in an in-process sandbox and N matching rows in a
scratch database, changes 1% behind vpsbot's back (half deleted, half powered
off), then times one reconciliation pass and counts the provider calls it made.
Baseline, measured in the same run: the same comparison done the naive way,
one GET per server, on a sample, extrapolated per server.

Run: .venv/bin/python bench/bench_drift.py [--servers 10000] [--sample 100]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


async def _bench(servers: int, sample: int) -> None:
    from cryptography.fernet import Fernet
    from sqlalchemy import insert

    from bench._common import scratch_database
    from bot.admin import service as admin_ops
    from bot.core.config import Settings
    from bot.core.services import Services
    from bot.status.drift import Reconciler
    from db import migrate
    from db.models import VpsInstance
    from db.repo import providers
    from standins.playground.slack_api import SlackStandIn
    from standins.sandbox import Sandbox

    logging.basicConfig(level=logging.ERROR)
    async with scratch_database("vpsbot_bench_drift") as database_url:
        api = await SlackStandIn(bot_token="xoxb-bench").start()
        # the sandbox's own budget is lifted; the client still paces itself
        sandbox = Sandbox(linode_create_limit=None, rate_limit=(1_000_000, 60.0))
        await sandbox.start()
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
        try:
            for type_, url in (
                ("digitalocean", sandbox.digitalocean_url),
                ("linode", sandbox.linode_url),
            ):
                await admin_ops.add_provider(
                    services,
                    type=type_,
                    name=type_,
                    token=sandbox.tokens[type_],
                    api_url=url,
                    trusted=True,
                )
                await admin_ops.import_plans(services, type_, admin_ops.Markup(percent=Decimal(0)))
            async with services.db.session() as session:
                rows = {row.type: row for row in await providers.list_all(session)}
            print(f"drift reconciliation, {servers} servers per provider")
            for type_, row in rows.items():
                sandbox.seed_instances(type_, servers, tag="vpsbot")
                client = services.provider_for(row)
                listing = await client.list_instances()
                values = [
                    {
                        "id": uuid.uuid4(),
                        "label": s.label,
                        "status": s.status.value,
                        "ip_address": s.ipv4,
                        "ipv6_address": s.ipv6,
                        "region": s.region,
                        "provider_id": row.id,
                        "provider_type": type_,
                        "provider_instance_id": s.id,
                        "team_id": f"T{i % 200:04d}",
                        "created_by": "U0001",
                        "configuration": {},
                    }
                    for i, s in enumerate(listing)
                ]
                async with services.db.engine.begin() as conn:
                    for start in range(0, len(values), 2000):
                        await conn.execute(insert(VpsInstance), values[start : start + 2000])
                drifted = listing[: max(2, servers // 100)]
                for n, server in enumerate(drifted):
                    if n % 2:
                        sandbox.set_status(type_, server.id, "off")
                    else:
                        sandbox.remove_instance(type_, server.id)

                before = len(sandbox.requests)
                started = time.perf_counter()
                report = await Reconciler(services).cycle(force=True)
                wall = time.perf_counter() - started
                calls = [r for r in sandbox.requests[before:] if r.provider == type_]
                assert report is not None
                per_page = 200 if type_ == "digitalocean" else 500
                target = math.ceil(servers / per_page)

                picked = listing[-sample:]
                before = len(sandbox.requests)
                started = time.perf_counter()
                for server in picked:
                    await client.get_instance(server.id)
                naive = (time.perf_counter() - started) / len(picked) * servers
                naive_calls = len(sandbox.requests) - before
                print(
                    f"  {type_:12} provider calls {len(calls):5d} (target ceil(N/{per_page})"
                    f"={target}), wall {wall:6.2f} s; found {len(report.deleted)} deleted, "
                    f"{len(report.changed)} changed"
                )
                print(
                    f"  {'':12} baseline one GET per server: {naive_calls // len(picked)} call"
                    f" per server -> {servers} calls, ~{naive:6.2f} s extrapolated; "
                    f"calls ratio {len(calls) / servers:.4f}, time ratio {wall / naive:.2f}"
                )
        finally:
            await services.aclose()
            await sandbox.stop()
            await api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(_bench(args.servers, args.sample))


if __name__ == "__main__":
    main()
