"""OAuth mode at scale: 1,000 installed workspaces and 100,000 servers.

A fresh database (see ``bench/_common.py``) is migrated and filled with 1,000
installations (sealed bot tokens in ``slack_installations``/``slack_bots``), one
provider per workspace and 100 servers each. Then, in one run:

* baseline      — ``SELECT 1`` through the same session factory;
* lookup (db)   — the installation lookup with its cache emptied first: what
                  Bolt's authorize step would cost per request without the cache;
* lookup (hot)  — the same lookup answered from the store's cache;
* page          — `/vps list` first page for one workspace: queries + view build;
* http          — a signed `/vps list` through Bolt in OAuth mode (authorize,
                  then the listener), round-robin over all 1,000 workspaces,
                  counting the database reads and ``auth.test`` calls authorize made;
* http, no cache — the same with the store's cache emptied before each request;
* uninstall     — ``app_uninstalled`` for one workspace, then its next request.

Prints p50/p99 and ratios; the database is dropped at the end. Run:
    .venv/bin/python bench/bench_workspaces.py [--runs 300]
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
TEAMS = 1_000
PER_TEAM = 100

_SERVERS = """
INSERT INTO vps_instances (label, status, team_id, created_by, provider_id, provider_type,
                           region, ip_address, provider_instance_id, tag, configuration,
                           created_at)
SELECT 'srv-' || g,
       (ARRAY['running', 'running', 'stopped', 'provisioning', 'deleted'])[1 + (g / $2) % 5],
       p.team_id, 'U' || lpad((g % 5000)::text, 5, '0'), p.id, 'linode', 'us-east',
       '10.' || (g / 65536) % 256 || '.' || (g / 256) % 256 || '.' || g % 256,
       (100000000 + g)::text, 'vpsbot-bench-' || g, '{}'::jsonb,
       now() - make_interval(secs => g * 7)
  FROM generate_series(1, $1) AS g
  JOIN (SELECT id, team_id, row_number() OVER (ORDER BY team_id) - 1 AS n
          FROM service_providers) AS p ON p.n = g % $2
"""


def _stats(name: str, values: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(values, 50), percentile(values, 99)
    print(f"  {name:<40} p50 {p50 * 1000:8.3f} ms   p99 {p99 * 1000:8.3f} ms   (n={len(values)})")
    return p50, p99


async def _time(runs: int, call: Callable[[int], Awaitable[object]], warm: int = 20) -> list[float]:
    for i in range(min(warm, runs)):
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

    key = Fernet.generate_key().decode()
    fernet = Fernet(key.encode())
    async with scratch_database("vpsbot_bench_ws") as url:
        database = Database(url)
        await migrate.upgrade(database.engine)
        await database.dispose()

        api = await SlackStandIn(bot_token="xoxb-unused").start()
        teams = [f"T{n:06d}" for n in range(TEAMS)]
        tokens = {team: f"xoxb-bench-{n}-{team.lower()}" for n, team in enumerate(teams)}
        for n, team in enumerate(teams):  # what oauth.v2.access would have issued
            api.valid_tokens.add(tokens[team])
            api.installs[tokens[team]] = {
                "team_id": team,
                "team_name": f"team {n}",
                "user_id": "UINSTALL",
                "enterprise_id": None,
                "org_wide": False,
                "bot_user_id": f"UB{n:06d}",
                "bot_id": f"BB{n:06d}",
            }

        started = time.perf_counter()
        conn = await asyncpg.connect(url)
        try:
            for table in ("slack_installations", "slack_bots"):
                extra = ", user_id" if table == "slack_installations" else ""
                await conn.executemany(
                    f"INSERT INTO {table} (client_id, app_id, team_id, team_name, bot_token, "
                    f"bot_id, bot_user_id, bot_scopes, is_enterprise_install, installed_at{extra}) "
                    "VALUES ($1, 'A0001', $2, $3, $4, $5, $6, 'commands,chat:write', false, "
                    f"now(){', $7' if extra else ''})",
                    [
                        (
                            api.client_id,
                            team,
                            f"team {n}",
                            fernet.encrypt(tokens[team].encode()).decode(),
                            f"BB{n:06d}",
                            f"UB{n:06d}",
                            *(("UINSTALL",) if extra else ()),
                        )
                        for n, team in enumerate(teams)
                    ],
                )
            await conn.executemany(
                "INSERT INTO service_providers (name, type, api_key_encrypted, team_id) "
                "VALUES ('linode', 'linode', 'not-a-real-token', $1)",
                [(team,) for team in teams],
            )
            await conn.execute(_SERVERS, TEAMS * PER_TEAM, TEAMS)
            await conn.execute("ANALYZE")
            servers_count = await conn.fetchval("SELECT count(*) FROM vps_instances")
        finally:
            await conn.close()
        print(
            f"seeded {TEAMS:,} installed workspaces and {servers_count:,} servers "
            f"in {time.perf_counter() - started:.1f} s"
        )

        settings = Settings(
            slack_client_id=api.client_id,
            slack_client_secret=api.client_secret,
            slack_signing_secret=SECRET,
            slack_api_url=api.base_url,
            database_url=url,
            vpsbot_encryption_keys=key,
            _env_file=None,
        )
        services = Services.build(settings, database_url=url)
        store = services.installations
        assert store is not None
        runner = None
        try:

            async def select_one(i: int) -> object:
                async with services.db.session() as session:
                    return (await session.execute(text("SELECT 1"))).scalar_one()

            async def lookup_db(i: int) -> object:
                store._bots.clear()
                bot = await store.async_find_bot(enterprise_id=None, team_id=teams[i % TEAMS])
                assert bot is not None and bot.bot_token == tokens[teams[i % TEAMS]]
                return bot

            async def lookup_hot(i: int) -> object:
                return await store.async_find_bot(enterprise_id=None, team_id=teams[i % TEAMS])

            state = ListState()

            async def page(i: int) -> object:
                lines, total = await servers.list_page(
                    services, teams[i % TEAMS], state, page_size=PAGE_SIZE
                )
                _, blocks = list_message(lines, total, state, page_size=PAGE_SIZE)
                return json.dumps([b.to_dict() for b in blocks])

            assert "srv-" in str(await page(0))
            print(f"\nper request ({runs} runs each)")
            base = _stats("baseline: SELECT 1 round trip", await _time(runs, select_one))
            db_lookup = _stats(
                "installation lookup, from the database", await _time(runs, lookup_db)
            )
            for team in teams:  # every workspace has made a request before
                await lookup_hot(teams.index(team))
            hot = _stats("installation lookup, cached", await _time(runs, lookup_hot))
            listed = _stats("/vps list first page: queries + view", await _time(runs, page))

            app = build_web_app(services, build_bolt_app(services))
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            senders = [
                SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET, team_id=team, api=api)
                for team in teams
            ]

            async def http(i: int) -> object:
                response = await senders[i % TEAMS].command("/vps", "list")
                assert response.status == 200 and "srv-" in response.body, response.body[:300]
                return response

            for i in range(TEAMS):  # Bolt's auth.test per token, once
                await http(i)
            reads, mark = store.bot_reads, api.mark()
            cached = _stats("http /vps list via Bolt, cached authorize", await _time(runs, http, 0))
            print(
                f"  authorize during those {runs} requests: {store.bot_reads - reads} database "
                f"reads, {len(api.calls_to('auth.test')[mark:])} auth.test calls"
            )

            async def http_uncached(i: int) -> object:
                store._bots.clear()
                return await http(i)

            reads = store.bot_reads
            uncached = _stats(
                "http /vps list, lookup from the database", await _time(runs, http_uncached, 0)
            )
            print(f"  authorize during those {runs} requests: {store.bot_reads - reads} db reads")

            gone = senders[7]
            reads = store.bot_reads
            await gone.event("app_uninstalled")
            api.revoke(tokens[gone.team_id])
            refused = await gone.command("/vps", "list")
            left = await services.slack_for(gone.team_id)
            print(
                f"\nuninstall of {gone.team_id}: next request answered {refused.status} "
                f"{'without a listing' if 'srv-' not in refused.body else 'WITH A LISTING'}, "
                f"{store.bot_reads - reads} database read(s), token left: {left is not None}"
            )

            print("\nratios (p50)")
            print(f"  lookup from database / SELECT 1         {db_lookup[0] / base[0]:8.2f}x")
            print(f"  cached lookup / lookup from database    {hot[0] / db_lookup[0]:8.4f}x")
            print(f"  page / SELECT 1                         {listed[0] / base[0]:8.2f}x")
            print(f"  http cached / http uncached authorize   {cached[0] / uncached[0]:8.2f}x")
            print(f"  http cached / page                      {cached[0] / listed[0]:8.2f}x")
        finally:
            if runner is not None:
                await runner.cleanup()
            await services.aclose()
            await api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.runs))
