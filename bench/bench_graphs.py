"""From a click on Details to the server's graph in Slack.

The real Bolt app over signed HTTP, the Slack stand-in (external upload included)
and the sandbox providers on loopback, a fresh database (see ``bench/_common.py``).
The provider is warm (its connections open, matplotlib imported and its fonts
cached by a first drawing that is not counted). Timed in one run, per click:

* details  — the baseline: until the details message is posted (what the click
             showed before graphs existed, and still shows first);
* graph    — until the graphs message is posted, the chart cache emptied before
             each click: three (DigitalOcean) or one (Linode) metric reads, the
             drawing in a worker thread, the three upload calls, the post;
* cached   — the same with the chart drawn within the last five minutes.

The goal is a graph p99 within 1.5 s. Prints p50/p99 and the ratios to the
details; the database is dropped at the end. Run:
    .venv/bin/python bench/bench_graphs.py [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import percentile, scratch_database  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
GOAL = 1.5


def _line(name: str, values: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(values, 50), percentile(values, 99)
    print(f"  {name:<44} p50 {p50 * 1000:8.1f} ms  p99 {p99 * 1000:8.1f} ms  (n={len(values)})")
    return p50, p99


async def main(runs: int) -> None:
    from aiohttp import web
    from cryptography.fernet import Fernet

    from bot.admin import service as admin_ops
    from bot.app.bolt import build_bolt_app
    from bot.app.http import build_web_app
    from bot.core.config import Settings
    from bot.core.services import Services
    from bot.servers import graphs
    from db import migrate
    from db.engine import Database
    from db.models import VpsInstance
    from standins.playground.slack_api import ResponsePost, SlackStandIn
    from standins.playground.slack_client import SlackSender
    from standins.sandbox import Sandbox

    def is_graphs(post: ResponsePost) -> bool:
        blocks = post.payload.get("blocks") or []
        return any(b.get("block_id") == graphs.GRAPHS_BLOCK for b in blocks)

    def is_details(post: ResponsePost) -> bool:
        return not is_graphs(post)

    async with scratch_database("vpsbot_bench_graphs") as url:
        database = Database(url)
        await migrate.upgrade(database.engine)
        await database.dispose()
        sandbox = Sandbox(provision_seconds=1.0, action_seconds=1.0)
        await sandbox.start()
        api = await SlackStandIn(bot_token=TOKEN).start()
        settings = Settings(
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=api.base_url,
            database_url=url,
            vpsbot_encryption_keys=Fernet.generate_key().decode(),
            _env_file=None,
        )
        services = Services.build(settings, database_url=url)
        await services.start()
        runner = None
        try:
            rows = {}
            for kind, api_url in (
                ("digitalocean", sandbox.digitalocean_url),
                ("linode", sandbox.linode_url),
            ):
                provider = await admin_ops.add_provider(
                    services,
                    type=kind,
                    name=f"bench-{kind}",
                    token=sandbox.tokens[kind],
                    api_url=api_url,
                )
                [seeded] = sandbox.seed_instances(kind, 1)
                async with services.db.session() as session, session.begin():
                    row = VpsInstance(
                        label=f"bench-{kind[:2]}",
                        status="running",
                        team_id="T0001",
                        created_by="U0001",
                        provider_id=provider.id,
                        provider_type=kind,
                        provider_instance_id=seeded,
                        configuration={},
                        price_hourly=Decimal("0.01"),
                        price_monthly=Decimal("6"),
                    )
                    session.add(row)
                    await session.flush()
                    rows[kind] = str(row.id)
            app = build_web_app(services, build_bolt_app(services))
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            slack = SlackSender(
                f"http://127.0.0.1:{port}/slack/events", SECRET, team_id="T0001", api=api
            )

            async def click(kind: str, *, cold: bool) -> tuple[float, float]:
                if cold:
                    graphs._charts.clear()
                after = len(api.responses)
                started = time.perf_counter()
                await slack.block_action("vps_details", value=rows[kind])
                await api.wait_for_response(is_details, after=after, timeout=30)
                shown = time.perf_counter() - started
                await api.wait_for_response(is_graphs, after=after, timeout=30)
                return shown, time.perf_counter() - started

            warm_started = time.perf_counter()
            for kind in rows:  # warm: connections, matplotlib's import and font cache
                await click(kind, cold=True)
            print(f"warm-up (first drawing, imports) {time.perf_counter() - warm_started:.1f} s")
            for kind in rows:
                details, cold, cached = [], [], []
                for _ in range(runs):
                    shown, graphed = await click(kind, cold=True)
                    details.append(shown)
                    cold.append(graphed)
                for _ in range(runs):
                    cached.append((await click(kind, cold=False))[1])
                print(f"\n{kind}: details click -> graph ({runs} clicks each)")
                base = _line("details (baseline)", details)
                graph = _line("graph, chart cache empty", cold)
                kept = _line("graph, chart cached", cached)
                verdict = "within" if graph[1] <= GOAL else "OVER"
                print(f"  graph p99 {graph[1]:.2f} s: {verdict} the {GOAL} s goal")
                print(f"  ratio graph / details (p50)     {graph[0] / base[0]:7.1f}x")
                print(f"  ratio cached / details (p50)    {kept[0] / base[0]:7.1f}x")
        finally:
            if runner is not None:
                await runner.cleanup()
            await services.aclose()
            await api.stop()
            await sandbox.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.runs))
