"""`/vps list` first page with 100,000 servers across 200 workspaces.

A fresh database (see ``bench/_common.py``) is migrated and filled with
100,000 ``vps_instances`` rows (200 workspaces x 500, both providers, some
legacy rows without provider_type, some deleted), then timed in one run:

* baseline — ``SELECT 1`` through the same session factory (a bare round trip);
* page     — the first page's server time: both list queries + the Block Kit
             build and serialisation (what the slash command acks with);
* filtered — the same with provider + status + label search;
* http     — the full signed `/vps list` request through aiohttp and Bolt;
* no index — the page again after dropping ``idx_vps_instances_team_created``.

Prints p50/p99 and ratios; the database is dropped at the end. Run:
    .venv/bin/python bench/bench_list.py [--runs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import percentile, scratch_database  # noqa: E402

SECRET = "bench-signing-secret"
TEAMS = 200
ROWS = 100_000

_SEED = """
INSERT INTO vps_instances (label, status, team_id, created_by, provider_id, provider_type,
                           plan_id, region, ip_address, provider_instance_id, tag,
                           configuration, created_at)
SELECT
    'srv-' || g,
    (ARRAY['running', 'running', 'running', 'stopped', 'provisioning', 'error',
           'running', 'deleted'])[1 + k % 8],
    'T' || lpad((g % $1)::text, 5, '0'),
    'U' || lpad((g % 5000)::text, 5, '0'),
    CASE WHEN k % 2 = 0 THEN $2::uuid ELSE $3::uuid END,
    CASE WHEN k % 2 = 0 THEN 'digitalocean' WHEN k % 10 = 1 THEN NULL ELSE 'linode' END,
    CASE WHEN k % 2 = 0 THEN ($4::uuid[])[1 + (k / 2) % cardinality($4::uuid[])]
         ELSE ($5::uuid[])[1 + (k / 2) % cardinality($5::uuid[])] END,
    CASE WHEN k % 2 = 0 THEN 'nyc3' ELSE 'us-east' END,
    '10.' || (g / 65536) % 256 || '.' || (g / 256) % 256 || '.' || g % 256,
    (100000000 + g)::text,
    'vpsbot-bench-' || g,
    jsonb_build_object('raw_status', 'active'),
    now() - make_interval(secs => g * 7)
FROM generate_series(1, $6) AS g, LATERAL (SELECT g / $1 AS k) AS per_team
"""


def _stats(name: str, values: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(values, 50), percentile(values, 99)
    print(f"  {name:<34} p50 {p50 * 1000:8.3f} ms   p99 {p99 * 1000:8.3f} ms   (n={len(values)})")
    return p50, p99


async def _time(runs: int, call: Callable[[int], Awaitable[object]]) -> list[float]:
    for i in range(min(20, runs)):  # warm the pool, plans and caches
        await call(i)
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        await call(i)
        samples.append(time.perf_counter() - started)
    return samples


async def main(runs: int) -> None:
    import asyncpg
    from aiohttp import web
    from cryptography.fernet import Fernet
    from sqlalchemy import text

    from bot.app.bolt import build_bolt_app
    from bot.app.http import build_web_app
    from bot.core.config import Settings
    from bot.core.services import Services
    from bot.servers import service as servers
    from bot.servers.views import PAGE_SIZE, ListState, list_message
    from db import migrate
    from db.engine import Database
    from standins.playground.slack_api import SlackStandIn
    from standins.playground.slack_client import SlackSender

    async with scratch_database("vpsbot_bench_list") as url:
        database = Database(url)
        await migrate.upgrade(database.engine)
        await database.dispose()

        started = time.perf_counter()
        conn = await asyncpg.connect(url)
        try:
            ids = {}
            for kind in ("digitalocean", "linode"):
                ids[kind] = await conn.fetchval(
                    "INSERT INTO service_providers (name, type, api_key_encrypted) "
                    "VALUES ($1, $2, 'not-a-real-token') RETURNING id",
                    f"bench-{kind}",
                    kind,
                )
            plan_ids: dict[str, list[object]] = {}
            for kind, pid in ids.items():
                plan_ids[kind] = [
                    await conn.fetchval(
                        "INSERT INTO vps_plans (provider_id, provider_plan_id, name, base_price, "
                        "markup_price, specifications) VALUES ($1, $2, $2, $3, $4, $5) "
                        "RETURNING id",
                        pid,
                        f"{kind}-size-{n}",
                        5 * n,
                        n,
                        json.dumps({"vcpus": n, "memory_mb": 1024 * n}),
                    )
                    for n in range(1, 13)
                ]
            await conn.execute(
                _SEED,
                TEAMS,
                ids["digitalocean"],
                ids["linode"],
                plan_ids["digitalocean"],
                plan_ids["linode"],
                ROWS,
            )
            await conn.execute("ANALYZE")
            count = await conn.fetchval("SELECT count(*) FROM vps_instances")
        finally:
            await conn.close()
        print(
            f"seeded {count:,} servers in {TEAMS} workspaces "
            f"in {time.perf_counter() - started:.1f} s"
        )

        # Bolt checks the token once (auth.test); /vps list itself calls no Web API
        api = await SlackStandIn(bot_token="xoxb-bench-token").start()
        settings = Settings(
            slack_bot_token="xoxb-bench-token",
            slack_signing_secret=SECRET,
            slack_api_url=api.base_url,
            database_url=url,
            vpsbot_encryption_keys=Fernet.generate_key().decode(),
            _env_file=None,
        )
        services = Services.build(settings, database_url=url)
        runner = None
        try:
            teams = [f"T{n:05d}" for n in range(TEAMS)]

            async def select_one(i: int) -> object:
                async with services.db.session() as session:
                    return (await session.execute(text("SELECT 1"))).scalar_one()

            first_page = ListState()

            async def page(i: int, state: ListState = first_page) -> object:
                team = teams[i % TEAMS]
                lines, total = await servers.list_page(services, team, state, page_size=PAGE_SIZE)
                _, blocks = list_message(lines, total, state, page_size=PAGE_SIZE)
                return json.dumps([b.to_dict() for b in blocks])

            filtered_state = servers.parse_list_text("linode running srv-1")

            async def filtered(i: int) -> object:
                return await page(i, filtered_state)

            sample = await page(0)
            assert "srv-" in str(sample)

            print(f"\n/vps list, first page of {PAGE_SIZE} ({runs} runs each)")
            base = _stats("baseline: SELECT 1 round trip", await _time(runs, select_one))
            listed = _stats("page: queries + view build", await _time(runs, page))
            filt = _stats("page with provider/status/search", await _time(runs, filtered))

            app = build_web_app(services, build_bolt_app(services))
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            senders = [
                SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET, team_id=team)
                for team in teams
            ]

            async def http(i: int) -> object:
                response = await senders[i % TEAMS].command("/vps", "list")
                assert response.status == 200 and "srv-" in response.body, response.body[:300]
                return response

            round_trip = _stats("http: signed request via Bolt", await _time(runs, http))

            async with services.db.engine.begin() as conn2:
                await conn2.execute(text("DROP INDEX idx_vps_instances_team_created"))
                await conn2.execute(text("ANALYZE vps_instances"))
            slow_runs = max(20, runs // 4)
            no_index = _stats("page without the team index", await _time(slow_runs, page))

            print("\nratios (p50)")
            print(f"  page / SELECT 1                  {listed[0] / base[0]:8.1f}x")
            print(f"  filtered page / SELECT 1         {filt[0] / base[0]:8.1f}x")
            print(f"  http round trip / page           {round_trip[0] / listed[0]:8.1f}x")
            print(f"  page without index / with index  {no_index[0] / listed[0]:8.1f}x")
        finally:
            if runner is not None:
                await runner.cleanup()
            await services.aclose()
            await api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.runs))
