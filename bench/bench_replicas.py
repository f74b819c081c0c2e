"""Two `vpsbot serve` replicas on one database against one, measured in the same run.

Processes, all on loopback: a Slack Web API stand-in with the sandbox providers
beside it, two `vpsbot serve` replicas (real processes, uvloop, watchers and
drift running) on one fresh PostgreSQL database, and two round-robin proxies:
one in front of replica 1 alone, one in front of both. The same load generator
(signed `/vps create` requests: ack, then `views.open` with step 1 read from the
database) drives each proxy in alternating rounds, so the one-replica baseline
pays for the same proxy hop.

Then the status cards: rows for servers that exist in the sandbox are made due
at staggered times, both replicas' watchers lease them (FOR UPDATE SKIP LOCKED)
and publish the status messages; every server must get exactly one top-level
status message (the rest are updates or thread replies), however the two
replicas interleave.

Prints throughput and p50/p99 per configuration, the ratio (the goal on a machine
with the cores for it is >= 1.6x), CPU per process, the watcher's lease counts per
replica and the duplicate status messages (must be 0). Run:
    .venv/bin/python bench/bench_replicas.py [--requests 1500] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_create import (  # noqa: E402 - after the path set-up
    SECRET,
    TOKEN,
    _command,
    _cpu_seconds,
    _free_port,
    _load,
)

CHANNEL = "C0BENCH"
TEAM = "T0001"


# --------------------------------------------------------------------------- helpers


async def _serve_standin(port: int, seed: int) -> None:
    """Slack's Web API and the sandbox providers, in a process of their own."""
    from aiohttp import web

    from standins.playground.slack_api import SlackStandIn
    from standins.sandbox import Sandbox

    api = await SlackStandIn(bot_token=TOKEN, team_id=TEAM).start()
    sandbox = Sandbox(linode_create_limit=None)
    await sandbox.start()
    sandbox.seed_instances("digitalocean", seed)

    async def posts(_: web.Request) -> web.Response:
        found = [
            {
                "channel": c.args.get("channel"),
                "thread": c.args.get("thread_ts"),
                "text": c.args.get("text"),
            }
            for c in api.calls_to("chat.postMessage")
            if c.ok
        ]
        return web.json_response({"posts": found, "updates": len(api.calls_to("chat.update"))})

    app = web.Application()
    app.router.add_get("/bench/posts", posts)
    print(f"slack {api.base_url}", flush=True)
    print(f"sandbox {sandbox.digitalocean_url} {sandbox.tokens['digitalocean']}", flush=True)
    await _run(app, port)


async def _serve_proxy(port: int, backends: list[str]) -> None:
    """A plain round-robin HTTP proxy for POST /slack/events."""
    import aiohttp
    from aiohttp import web

    turn = itertools.cycle(backends)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
    keep = ("Content-Type", "X-Slack-Request-Timestamp", "X-Slack-Signature")

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: request.headers[k] for k in keep if k in request.headers}
        async with session.post(next(turn) + "/slack/events", data=body, headers=headers) as resp:
            answer = await resp.read()
            return web.Response(
                status=resp.status, body=answer, content_type=resp.content_type or None
            )

    app = web.Application()
    app.router.add_post("/slack/events", forward)
    await _run(app, port)
    await session.close()


async def _run(app: Any, port: int) -> None:
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


def _spawn_self(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    said = []
    while (line := proc.stdout.readline().strip()) != "ready":
        if not line:
            raise RuntimeError(f"{args} did not start")
        said.append(line)
    return proc, said


def _vpsbot(env: dict[str, str], *args: str, stdin: str = "") -> str:
    run = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"vpsbot {' '.join(args)}: {run.stderr.strip()}")
    return run.stdout


def _start_replica(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`vpsbot serve`, as an operator runs it (uvloop, watcher and drift included)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat (Linux)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return float(sum(fields) - idle), float(sum(fields))


async def _until_ready(port: int) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"replica on {port} never became ready")


async def _metric(port: int, name: str) -> float:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as r:
        text = await r.text()
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{}"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def _seed_rows(database_url: str, droplets: list[str], provider_id: str) -> list[str]:
    """Instance rows for existing sandbox droplets, due at staggered times over 6 s."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    labels = []
    try:
        for i, droplet in enumerate(droplets):
            label = f"bench-status-{i:03d}"
            labels.append(label)
            await conn.execute(
                "INSERT INTO vps_instances (id, label, status, provider_id, provider_type, "
                "provider_instance_id, configuration, team_id, created_by, tag, channel_id, "
                "watch_next_at) VALUES ($1, $2, 'provisioning', $3, 'digitalocean', $4, '{}', "
                "$5, 'U0001', $6, $7, now() + make_interval(secs => $8))",
                uuid.uuid4(),
                label,
                uuid.UUID(provider_id),
                droplet,
                TEAM,
                f"vpsbot-{uuid.uuid4()}",
                CHANNEL,
                (i % 12) * 0.5,
            )
    finally:
        await conn.close()
    return labels


# --------------------------------------------------------------------------- bench


async def _bench(requests: int, concurrency: int, rounds: int, servers: int) -> None:
    import aiohttp
    import asyncpg
    from cryptography.fernet import Fernet

    from bench._common import scratch_database, summary

    async with scratch_database("vpsbot_bench_replicas") as database_url:
        standin_port = _free_port()
        standin, said = _spawn_self(
            "--serve", "standin", "--port", str(standin_port), "--servers", str(servers)
        )
        slack_url = said[0].split()[1]
        do_url, do_token = said[1].split()[1:3]
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "VPSBOT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_url,
            "VPSBOT_NOTIFY_CHANNEL": CHANNEL,
            "LOG_LEVEL": "WARNING",
        }
        _vpsbot(env, "migrate")
        _vpsbot(
            env,
            "provider",
            "add",
            "--type",
            "digitalocean",
            "--name",
            "sandbox-do",
            "--api-url",
            do_url,
            stdin=do_token + "\n",
        )
        _vpsbot(env, "plans", "import", "--provider", "sandbox-do", "--markup-percent", "20")

        ports = [_free_port(), _free_port()]
        replicas = [_start_replica(env | {"PORT": str(port)}) for port in ports]
        proxies: list[subprocess.Popen[str]] = []
        try:
            for port in ports:
                await _until_ready(port)
            backends = [f"http://127.0.0.1:{p}" for p in ports]
            proxy_ports = {1: _free_port(), 2: _free_port()}
            for n, port in proxy_ports.items():
                proxies.append(
                    _spawn_self(
                        "--serve",
                        "proxy",
                        "--port",
                        str(port),
                        "--backends",
                        ",".join(backends[:n]),
                    )[0]
                )
            urls = {n: f"http://127.0.0.1:{p}/slack/events" for n, p in proxy_ports.items()}
            results: dict[int, list[tuple[list[float], float, int]]] = {1: [], 2: []}
            cpu: dict[int, dict[str, float]] = {1: {}, 2: {}}
            busy: dict[int, list[float]] = {1: [0.0, 0.0], 2: [0.0, 0.0]}
            for n in (1, 2):  # warm both replicas' caches and connections
                await _load(urls[n], [_command(i) for i in range(200)], concurrency)
            counter = 1000
            for _ in range(rounds):
                for n in (1, 2):
                    bodies = [_command(counter + i) for i in range(requests)]
                    counter += requests
                    procs = {
                        "replica 1": replicas[0],
                        "replica 2": replicas[1],
                        "proxy": proxies[n - 1],
                        "stand-in": standin,
                    }
                    before = {k: _cpu_seconds(p.pid) for k, p in procs.items()}
                    mine, machine = time.process_time(), _machine_cpu()
                    results[n].append(await _load(urls[n], bodies, concurrency))
                    await asyncio.sleep(0.5)  # the views.open calls after the acks
                    for k, p in procs.items():
                        cpu[n][k] = cpu[n].get(k, 0.0) + _cpu_seconds(p.pid) - before[k]
                    cpu[n]["load generator"] = (
                        cpu[n].get("load generator", 0.0) + time.process_time() - mine
                    )
                    spent = _machine_cpu()
                    busy[n][0] += spent[0] - machine[0]
                    busy[n][1] += spent[1] - machine[1]

            print(
                f"/vps create through a round-robin proxy, {requests} requests x {rounds} rounds,"
                f" {concurrency} connections, {os.cpu_count()} cores"
            )
            stats = {}
            for n, runs in results.items():
                latencies = [x for run in runs for x in run[0]]
                throughput = sum(len(r[0]) for r in runs) / sum(r[1] for r in runs)
                stats[n] = throughput
                failures = sum(r[2] for r in runs)
                print(
                    f"  {n} replica{'s' if n > 1 else ' '} {throughput:7.1f} req/s  "
                    f"{summary(latencies)}  non-200: {failures}"
                )
                per = ", ".join(
                    f"{k} {v * 1000 / (requests * rounds):.2f}" for k, v in cpu[n].items()
                )
                print(f"      CPU ms per request: {per}")
                print(
                    f"      machine busy (all processes, PostgreSQL and the neighbours "
                    f"included): {100 * busy[n][0] / max(busy[n][1], 1e-9):.0f} % of "
                    f"{os.cpu_count()} cores"
                )
            print(
                f"  throughput ratio 2 replicas / 1 replica: {stats[2] / stats[1]:.2f}"
                " (goal >= 1.6 with a core per replica to spare)"
            )

            # ---- status cards from both replicas' watchers
            async with (
                aiohttp.ClientSession() as http,
                http.get(
                    f"{do_url}/v2/droplets?per_page=200",
                    headers={"Authorization": f"Bearer {do_token}"},
                ) as r,
            ):
                droplets = [str(d["id"]) for d in (await r.json())["droplets"]][:servers]
            conn = await asyncpg.connect(database_url)
            provider_id = str(await conn.fetchval("SELECT id FROM service_providers"))
            await conn.close()
            leases_before = [await _metric(p, "vpsbot_watcher_lag_seconds_count") for p in ports]
            labels = await _seed_rows(database_url, droplets, provider_id)
            deadline = time.monotonic() + 60
            conn = await asyncpg.connect(database_url)
            try:
                while time.monotonic() < deadline:
                    pending = await conn.fetchval(
                        "SELECT count(*) FROM vps_instances WHERE label LIKE 'bench-status-%' "
                        "AND (message_ts IS NULL OR status = 'provisioning' "
                        "OR message_ts NOT LIKE '%.%')"
                    )
                    if pending == 0:
                        break
                    await asyncio.sleep(0.5)
            finally:
                await conn.close()
            leases = [
                await _metric(p, "vpsbot_watcher_lag_seconds_count") - b
                for p, b in zip(ports, leases_before, strict=True)
            ]
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{standin_port}/bench/posts") as r,
            ):
                posted = await r.json()
            top = [p for p in posted["posts"] if not p["thread"] and p["channel"] == CHANNEL]
            per_server = {label: sum(label in (p["text"] or "") for p in top) for label in labels}
            duplicates = sum(max(0, n - 1) for n in per_server.values())
            missing = sum(1 for n in per_server.values() if n == 0)
            print(
                f"status cards: {len(labels)} servers due over 6 s, leased by replica 1: "
                f"{leases[0]:.0f}, replica 2: {leases[1]:.0f}; top-level status messages "
                f"{len(top)}, updates {posted['updates']}"
            )
            print(f"  duplicate status messages: {duplicates}  servers without one: {missing}")
        finally:
            for proc in (*replicas, *proxies, standin):
                proc.send_signal(signal.SIGTERM)
            for proc in (*replicas, *proxies, standin):
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--servers", type=int, default=40, help="servers for the status check")
    parser.add_argument("--serve", choices=["standin", "proxy"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--backends", default="")
    args = parser.parse_args()
    if args.serve == "standin":
        asyncio.run(_serve_standin(args.port, args.servers))
    elif args.serve == "proxy":
        from bot.app.cli import run_loop

        run_loop(_serve_proxy(args.port, args.backends.split(",")))
    else:
        os.environ.setdefault("PYTHONUNBUFFERED", "1")
        asyncio.run(_bench(args.requests, args.concurrency, args.rounds, args.servers))


if __name__ == "__main__":
    main()
