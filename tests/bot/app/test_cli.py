"""The ``vpsbot`` command line, run as a real process against a real PostgreSQL.

Each test gets a fresh, unmigrated database; the CLI migrates it itself. The
sandbox providers run in the test process, so every command's provider calls
cross real HTTP on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.app.cli import build_parser
from standins.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[3]
COMMAND_TIMEOUT = 60.0


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@dataclass
class Cli:
    """A vpsbot installation: environment, fresh database and a sandbox."""

    env: dict[str, str]
    cwd: Path
    database_url: str
    sandbox: Sandbox
    keys: list[str]

    async def __call__(
        self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> Run:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**self.env, **(env or {})},
            cwd=self.cwd,
        )
        out, err = await asyncio.wait_for(proc.communicate((stdin or "").encode()), COMMAND_TIMEOUT)
        assert proc.returncode is not None
        return Run(proc.returncode, out.decode(), err.decode())

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def everything(self) -> str:
        """Every row of every table, as text."""
        tables = await self.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        dumped: list[str] = []
        for (table,) in tables:
            rows = await self.fetch(f'SELECT row_to_json(t)::text FROM "{table}" t')
            dumped.extend(row[0] for row in rows)
        return "\n".join(dumped)

    async def add_do(self, name: str = "do") -> Run:
        run = await self(
            "provider",
            "add",
            "--type",
            "digitalocean",
            "--name",
            name,
            "--api-url",
            self.sandbox.digitalocean_url,
            "--trusted-endpoint",
            stdin=self.sandbox.tokens["digitalocean"] + "\n",
        )
        assert run.code == 0, run.err
        assert run.err == ""  # no warnings, no unclosed sessions
        return run


def base_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "VPSBOT_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(REPO),
        "LANG": "C.UTF-8",
    }


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    box = Sandbox()
    await box.start()
    yield box
    await box.stop()


@pytest.fixture
async def cli(databases: Any, fernet_keys: list[str], sandbox: Sandbox, tmp_path: Path) -> Cli:
    url = await databases.create("vpsbot_cli")
    env = base_env(tmp_path)
    env["DATABASE_URL"] = url
    env["VPSBOT_ENCRYPTION_KEYS"] = fernet_keys[1]
    (tmp_path / "home").mkdir()
    return Cli(env, tmp_path, url, sandbox, [fernet_keys[1]])


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*prefix, name))
    return found


# ------------------------------------------------------------------------- help


async def test_help_for_every_command_exits_zero(tmp_path: Path) -> None:
    commands = _commands(build_parser())
    assert ("provider", "add") in commands and ("plans", "import") in commands
    env = base_env(tmp_path)

    async def helped(command: tuple[str, ...]) -> tuple[tuple[str, ...], int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *command,
            "--help",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), COMMAND_TIMEOUT)
        return command, proc.returncode or 0, out.decode()

    for command, code, out in await asyncio.gather(*(helped(c) for c in commands)):
        assert code == 0, command
        assert out.startswith("usage: vpsbot " + " ".join(command)), command


# ---------------------------------------------------------------------- migrate


async def test_migrate_is_idempotent(cli: Cli) -> None:
    first = await cli("migrate")
    assert first.code == 0, first.err
    assert first.out.startswith("database at revision ")
    revision = first.out.split()[-1]
    [(stored,)] = await cli.fetch("SELECT version_num FROM alembic_version")
    assert stored == revision
    again = await cli("migrate")
    assert again.code == 0 and again.out == first.out


# --------------------------------------------------------------------- provider


async def test_provider_add_stores_only_ciphertext(cli: Cli) -> None:
    token = cli.sandbox.tokens["digitalocean"]
    run = await cli.add_do()
    assert "'do'" in run.out and "encrypted" in run.out
    assert token not in run.out + run.err

    [row] = await cli.fetch(
        "SELECT name, type, api_key_encrypted, configuration, active FROM service_providers"
    )
    assert (row["name"], row["type"], row["active"]) == ("do", "digitalocean", True)
    assert row["api_key_encrypted"] != token
    assert Fernet(cli.keys[0]).decrypt(row["api_key_encrypted"].encode()).decode() == token
    assert cli.sandbox.digitalocean_url in row["configuration"]
    assert token not in await cli.everything()
    assert cli.sandbox.request_count("digitalocean", "GET", "/v2/account") == 1


async def test_provider_add_reads_the_token_from_an_environment_variable(cli: Cli) -> None:
    token = cli.sandbox.tokens["linode"]
    run = await cli(
        "provider",
        "add",
        "--type",
        "linode",
        "--name",
        "li",
        "--api-url",
        cli.sandbox.linode_url,
        "--trusted-endpoint",
        "--token-env",
        "LINODE_TOKEN",
        env={"LINODE_TOKEN": token},
    )
    assert run.code == 0, run.err
    [row] = await cli.fetch("SELECT name, type, api_key_encrypted FROM service_providers")
    assert (row["name"], row["type"]) == ("li", "linode")
    assert Fernet(cli.keys[0]).decrypt(row["api_key_encrypted"].encode()).decode() == token
    assert token not in await cli.everything()

    unset = await cli(
        "provider", "add", "--type", "linode", "--name", "li2", "--token-env", "NOT_SET_ANYWHERE"
    )
    assert unset.code != 0
    assert unset.err_lines == [
        "vpsbot: error: environment variable NOT_SET_ANYWHERE is empty or unset"
    ]


async def test_a_bad_token_is_one_line_and_stores_nothing(cli: Cli) -> None:
    bad = "dop_v1_definitely-not-valid-0123456789"
    run = await cli(
        "provider",
        "add",
        "--type",
        "digitalocean",
        "--name",
        "do",
        "--api-url",
        cli.sandbox.digitalocean_url,
        "--trusted-endpoint",
        stdin=bad + "\n",
    )
    assert run.code != 0
    assert len(run.err_lines) == 1, run.err
    assert run.err_lines[0].startswith("vpsbot: error: ")
    assert "DigitalOcean" in run.err_lines[0]
    assert bad not in run.out + run.err
    assert await cli.fetch("SELECT * FROM service_providers") == []
    assert bad not in await cli.everything()


async def test_provider_list_disable_enable_remove(cli: Cli) -> None:
    token = cli.sandbox.tokens["digitalocean"]
    await cli.add_do()

    listed = await cli("provider", "list")
    assert listed.code == 0, listed.err
    header, line = listed.out.splitlines()
    assert header.split() == ["NAME", "TYPE", "WORKSPACE", "ACTIVE", "SERVERS", "API"]
    assert line.split() == [
        "do",
        "digitalocean",
        "(operator)",
        "yes",
        "0",
        cli.sandbox.digitalocean_url,
    ]
    assert token not in listed.out + listed.err

    assert (await cli("provider", "disable", "do")).code == 0
    assert [r["active"] for r in await cli.fetch("SELECT active FROM service_providers")] == [False]
    assert (await cli("provider", "list")).out.splitlines()[1].split()[3] == "no"
    assert (await cli("provider", "enable", "do")).code == 0
    assert [r["active"] for r in await cli.fetch("SELECT active FROM service_providers")] == [True]

    removed = await cli("provider", "remove", "do")
    assert removed.code == 0, removed.err
    assert await cli.fetch("SELECT * FROM service_providers") == []
    assert "no providers" in (await cli("provider", "list")).out

    again = await cli("provider", "remove", "do")
    assert again.code != 0
    assert again.err_lines == ["vpsbot: error: no provider named 'do'"]


# ------------------------------------------------------------------------ plans


async def test_plans_import_set_enable_disable_list(cli: Cli) -> None:
    await cli.add_do()
    sizes = {s["slug"]: s for s in cli.sandbox.do.catalog.sizes if s["available"]}

    first = await cli("plans", "import", "--provider", "do", "--markup-percent", "20")
    assert first.code == 0, first.err
    assert f"imported {len(sizes)} plan(s)" in first.out
    # a size whose regions are all closed: stored, said, and offered nowhere
    assert "1 plan(s) skipped: no region can run them now" in first.out
    assert first.out.rstrip().endswith("not offered: m-2vcpu-16gb")
    second = await cli("plans", "import", "--provider", "do", "--markup-percent", "20")
    assert second.code == 0, second.err
    assert first.err == second.err == ""

    rows = await cli.fetch(
        "SELECT provider_plan_id, base_price, markup_price, active FROM vps_plans"
    )
    assert sorted(r["provider_plan_id"] for r in rows) == sorted(sizes)  # no duplicates
    for row in rows:
        monthly = Decimal(str(sizes[row["provider_plan_id"]]["price_monthly"]))
        assert row["base_price"] == monthly.quantize(Decimal("0.01"))
        assert row["markup_price"] == (monthly * Decimal("0.2")).quantize(Decimal("0.01"))
        assert row["active"] is True

    assert (
        await cli("plans", "set", "s-1vcpu-1gb", "--provider", "do", "--markup", "3.5")
    ).code == 0
    assert (
        await cli("plans", "set", "s-2vcpu-2gb", "--provider", "do", "--markup-percent", "50")
    ).code == 0
    assert (await cli("plans", "disable", "c-2", "--provider", "do")).code == 0
    prices = {
        r["provider_plan_id"]: (r["markup_price"], r["active"])
        for r in await cli.fetch("SELECT provider_plan_id, markup_price, active FROM vps_plans")
    }
    assert prices["s-1vcpu-1gb"] == (Decimal("3.50"), True)
    assert prices["s-2vcpu-2gb"] == (Decimal("9.00"), True)  # 50 % of 18.00
    assert prices["c-2"][1] is False

    listed = await cli("plans", "list", "--provider", "do")
    assert listed.code == 0, listed.err
    table = {line.split()[1]: line.split() for line in listed.out.splitlines()[1:]}
    assert set(table) == set(sizes)
    # backups: DigitalOcean's 20 % (1.20), marked up as the plan is (3.50 x 1.20 / 6.00)
    assert table["s-1vcpu-1gb"][2:] == ["(base)", "6.00", "3.50", "9.50", "1.90", "yes"]
    assert table["c-2"][-1] == "no"

    assert (await cli("plans", "enable", "c-2", "--provider", "do")).code == 0
    [(active,)] = await cli.fetch("SELECT active FROM vps_plans WHERE provider_plan_id = 'c-2'")
    assert active is True

    unknown = await cli("plans", "disable", "no-such-plan", "--provider", "do")
    assert unknown.code != 0
    assert unknown.err_lines == ["vpsbot: error: no plan 'no-such-plan' for provider 'do'"]
    # A re-import updates prices but keeps what the admin switched off, still
    # without duplicates.
    assert (await cli("plans", "disable", "s-4vcpu-8gb", "--provider", "do")).code == 0
    assert (await cli("plans", "import", "--provider", "do", "--markup-percent", "20")).code == 0
    rows = await cli.fetch("SELECT provider_plan_id, active FROM vps_plans")
    assert len(rows) == len(sizes)
    assert {r["provider_plan_id"] for r in rows if not r["active"]} == {"s-4vcpu-8gb"}


# ------------------------------------------------------------------ rotate-keys


async def test_rotate_keys_re_encrypts_under_a_prepended_key(
    cli: Cli, fernet_keys: list[str]
) -> None:
    token = cli.sandbox.tokens["digitalocean"]
    await cli.add_do()
    [(before,)] = await cli.fetch("SELECT api_key_encrypted FROM service_providers")
    new_key, old_key = fernet_keys

    run = await cli("rotate-keys", env={"VPSBOT_ENCRYPTION_KEYS": f"{new_key},{old_key}"})
    assert run.code == 0, run.err
    assert "re-encrypted 1 provider token(s)" in run.out

    [(after,)] = await cli.fetch("SELECT api_key_encrypted FROM service_providers")
    assert after != before
    assert Fernet(new_key).decrypt(after.encode()).decode() == token
    with pytest.raises(InvalidToken):
        Fernet(old_key).decrypt(after.encode())
    assert MultiFernet([Fernet(old_key)]).decrypt(before.encode()).decode() == token

    # The old key can now be dropped: a command that decrypts works with the new one alone.
    imported = await cli(
        "plans", "import", "--provider", "do", env={"VPSBOT_ENCRYPTION_KEYS": new_key}
    )
    assert imported.code == 0, imported.err


# ------------------------------------------------------------------------ serve


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_serve_with_sandbox_starts_registers_and_stops_cleanly(
    databases: Any, fernet_keys: list[str], tmp_path: Path
) -> None:
    url = await databases.create("vpsbot_serve")
    port, sandbox_port, slack_port = _free_port(), _free_port(), _free_port()
    env = base_env(tmp_path) | {
        "DATABASE_URL": url,
        "VPSBOT_ENCRYPTION_KEYS": fernet_keys[0],
        "SLACK_BOT_TOKEN": "xoxb-0000-fake-token",
        "SLACK_SIGNING_SECRET": "fake-signing-secret",
        "SLACK_API_URL": f"http://127.0.0.1:{slack_port}/api/",
        "PORT": str(port),
        "VPSBOT_SANDBOX_PORT": str(sandbox_port),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        "--migrate",
        "--sandbox",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            statuses: dict[str, int] = {}
            for _ in range(300):  # up to 30 s for migrations and registration
                if proc.returncode is not None:
                    break
                try:
                    for path in ("/healthz", "/readyz"):
                        async with session.get(base + path) as resp:
                            statuses[path] = resp.status
                except aiohttp.ClientConnectionError:
                    pass
                if statuses == {"/healthz": 200, "/readyz": 200}:
                    break
                await asyncio.sleep(0.1)
            assert statuses == {"/healthz": 200, "/readyz": 200}, statuses
            async with session.get(f"http://127.0.0.1:{sandbox_port}/_sandbox") as resp:
                assert resp.status == 200

        conn = await asyncpg.connect(url)
        try:
            providers = await conn.fetch(
                "SELECT p.name, p.type, p.configuration::text AS configuration, "
                "count(v.id) AS plans FROM service_providers p "
                "LEFT JOIN vps_plans v ON v.provider_id = p.id "
                "GROUP BY p.id ORDER BY p.name"
            )
        finally:
            await conn.close()
        assert [(p["name"], p["type"]) for p in providers] == [
            ("sandbox-aws", "aws"),
            ("sandbox-digitalocean", "digitalocean"),
            ("sandbox-linode", "linode"),
        ]
        assert all(p["plans"] > 0 for p in providers)
        # the EC2 sandbox (moto behind its own front) listens two ports up
        ports = [sandbox_port + 2, sandbox_port, sandbox_port]
        assert all(
            f"127.0.0.1:{at}" in p["configuration"] for p, at in zip(providers, ports, strict=True)
        )
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), COMMAND_TIMEOUT)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "vpsbot is running" in out.decode()
    assert "registered the sandbox providers" in out.decode()
    assert "Traceback" not in err.decode()


# ------------------------------------------------------------ admin-facing errors


def test_every_option_has_help_text() -> None:
    missing = []
    for command in _commands(build_parser()):
        parser = build_parser()
        for word in command:
            sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
            parser = sub.choices[word]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            if not (action.help or "").strip():
                missing.append((" ".join(command), action.dest))
    assert missing == []


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import metadata

    from bot.app.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    python = ".".join(map(str, sys.version_info[:3]))
    assert capsys.readouterr().out == f"vpsbot {metadata.version('vpsbot')} (Python {python})\n"


async def test_a_loopback_api_url_needs_the_operators_word(cli: Cli) -> None:
    """The sandbox answers on loopback, but a provider is sent there only when the
    operator says so (``--trusted-endpoint``): nothing is stored without it."""
    args = ("provider", "add", "--type", "linode", "--name", "li")
    url = cli.sandbox.linode_url
    refused = await cli(*args, "--api-url", url, stdin=cli.sandbox.tokens["linode"] + "\n")
    assert refused.code == 1
    [line] = refused.err_lines
    assert "private or local network address" in line
    assert await cli.fetch("SELECT name FROM service_providers") == []
    vouched = await cli(
        *args,
        "--api-url",
        url,
        "--trusted-endpoint",
        stdin=cli.sandbox.tokens["linode"] + "\n",
    )
    assert vouched.code == 0, vouched.err
    [row] = await cli.fetch("SELECT configuration->>'trusted' AS trusted FROM service_providers")
    assert row["trusted"] == "true"


async def test_an_unreachable_api_url_is_named(cli: Cli) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    run = await cli(
        "provider",
        "add",
        "--type",
        "linode",
        "--name",
        "li",
        "--api-url",
        url,
        "--trusted-endpoint",
        stdin=cli.sandbox.tokens["linode"] + "\n",
    )
    assert run.code == 1
    [line] = run.err_lines
    assert line.startswith(f"vpsbot: error: cannot reach the Linode API at {url}: ")
    assert line.endswith("(check the URL and that this machine can reach it)")
    assert "status page" not in line


async def test_a_bad_token_names_the_api_the_status_and_its_message(cli: Cli) -> None:
    bad = "dop_v1_wrong-token-for-the-admin-0123456789"
    run = await cli(
        "provider",
        "add",
        "--type",
        "digitalocean",
        "--name",
        "do",
        "--api-url",
        cli.sandbox.digitalocean_url,
        "--trusted-endpoint",
        stdin=bad + "\n",
    )
    assert run.code == 1
    [line] = run.err_lines
    api = cli.sandbox.digitalocean_url.rstrip("/")
    assert line.startswith(f"vpsbot: error: the DigitalOcean API at {api} answered HTTP 401: ")
    assert "Unable to authenticate you" in line  # DigitalOcean's own words
    assert line.endswith("(the token is wrong, expired or lacks read/write scope)")
    assert "administrator" not in line and bad not in run.err


@pytest.mark.parametrize("body", ["empty", "object"])
async def test_a_200_without_an_account_is_no_validation(cli: Cli, body: str) -> None:
    cli.sandbox.inject("digitalocean", path="/v2/account", body=body, count=0)
    run = await cli(
        "provider",
        "add",
        "--type",
        "digitalocean",
        "--name",
        "do",
        "--api-url",
        cli.sandbox.digitalocean_url,
        "--trusted-endpoint",
        stdin=cli.sandbox.tokens["digitalocean"] + "\n",
    )
    assert run.code == 1 and "validated" not in run.out
    [line] = run.err_lines
    api = cli.sandbox.digitalocean_url.rstrip("/")
    assert line.startswith(
        f"vpsbot: error: the DigitalOcean API at {api} answered something vpsbot could not read"
    )
    assert "cannot reach" not in line
    assert await cli.fetch("SELECT name FROM service_providers") == []


async def test_a_bare_status_answer_says_the_status_once(cli: Cli) -> None:
    cli.sandbox.inject("linode", path="/v4/profile", body="html", status=502, count=0)
    run = await cli(
        "provider",
        "add",
        "--type",
        "linode",
        "--name",
        "li",
        "--api-url",
        cli.sandbox.linode_url,
        "--trusted-endpoint",
        stdin=cli.sandbox.tokens["linode"] + "\n",
    )
    assert run.code == 1
    [line] = run.err_lines
    assert "answered HTTP 502 Bad Gateway" in line
    assert line.count("502") == 1 and "<" not in line


async def test_an_unreachable_database_names_database_url(cli: Cli) -> None:
    port = _free_port()
    run = await cli(
        "provider",
        "list",
        env={"DATABASE_URL": f"postgresql://vpsbot:hunter2-secret@127.0.0.1:{port}/vpsbot"},
    )
    assert run.code == 1
    assert run.err_lines == [
        f"vpsbot: error: cannot reach the database at DATABASE_URL (127.0.0.1:{port}/vpsbot): "
        "connection refused (is PostgreSQL running?)"
    ]
    assert "hunter2-secret" not in run.err

    run = await cli("migrate", env={"DATABASE_URL": f"postgresql://127.0.0.1:{port}/x"})
    assert run.err_lines == [
        f"vpsbot: error: cannot reach the database at DATABASE_URL (127.0.0.1:{port}/x): "
        "connection refused (is PostgreSQL running?)"
    ]

    from sqlalchemy.engine import make_url

    missing = (
        make_url(cli.database_url)
        .set(database="no_such_database_here")
        .render_as_string(hide_password=False)
    )
    run = await cli("provider", "list", env={"DATABASE_URL": missing})
    [line] = run.err_lines
    assert line.startswith("vpsbot: error: the database at DATABASE_URL (")
    assert 'database "no_such_database_here" does not exist' in line


async def test_plans_import_as_linode_really_answers(cli: Cli) -> None:
    """Region prices, a type without a price and a page boundary repeating a type."""
    run = await cli(
        "provider",
        "add",
        "--type",
        "linode",
        "--name",
        "li",
        "--api-url",
        cli.sandbox.linode_url,
        "--trusted-endpoint",
        stdin=cli.sandbox.tokens["linode"] + "\n",
    )
    assert run.code == 0, run.err
    free = dict(cli.sandbox.linode.catalog.types[0], id="g6-free-1", label="Free")
    free["price"] = {"hourly": None, "monthly": None}
    cli.sandbox.linode.catalog.types.append(free)
    cli.sandbox.set_paging(max_page_size=3, overlap=1)  # every page repeats an item

    imported = await cli("plans", "import", "--provider", "li", "--markup-percent", "20")
    assert imported.code == 0, imported.err
    assert imported.err == ""
    types = {t["id"] for t in cli.sandbox.linode.catalog.types}
    assert f"imported {len(types)} plan(s)" in imported.out
    assert "imported inactive" in imported.out and "g6-free-1" in imported.out

    rows = await cli.fetch("SELECT provider_plan_id, active FROM vps_plans")
    assert sorted(r["provider_plan_id"] for r in rows) == sorted(types)
    assert {r["provider_plan_id"] for r in rows if not r["active"]} == {"g6-free-1"}

    listed = await cli("plans", "list", "--provider", "li")
    assert listed.code == 0, listed.err
    nanode = {
        line.split()[2]: line.split()[3:]
        for line in listed.out.splitlines()
        if line.split()[1] == "g6-nanode-1"
    }
    # backups: Linode's add-on price (regional too), marked up 20 % like the plan
    assert nanode["(base)"] == ["5.00", "1.00", "6.00", "1.50", "yes"]
    assert nanode["id-cgk"] == ["6.00", "1.20", "7.20", "1.80", "yes"]
    assert nanode["br-gru"] == ["7.00", "1.40", "8.40", "2.10", "yes"]


def test_a_database_error_is_one_clean_line() -> None:
    from sqlalchemy.exc import IntegrityError

    from bot.app.runner import one_line

    raw = IntegrityError(
        "INSERT INTO vps_plans ...",
        {},
        Exception("ON CONFLICT DO UPDATE command cannot affect row a second time"),
    )
    line = one_line(raw)
    assert line.startswith("the database refused the request")
    assert "INSERT" not in line and "ON CONFLICT" not in line and "IntegrityError" not in line


# ------------------------------------------------------------------- workspaces


async def test_provider_add_for_a_workspace_share_and_workspaces_list(cli: Cli) -> None:
    token = cli.sandbox.tokens["linode"]
    env = {"LINODE_TOKEN": token}
    base = (
        "provider",
        "add",
        "--type",
        "linode",
        "--api-url",
        cli.sandbox.linode_url,
        "--trusted-endpoint",
    )
    owned = await cli(
        *base, "--name", "li", "--workspace", "T0AAA", "--token-env", "LINODE_TOKEN", env=env
    )
    assert owned.code == 0, owned.err
    assert "workspace T0AAA" in owned.out
    bad = await cli(
        *base, "--name", "x", "--workspace", "nope", "--token-env", "LINODE_TOKEN", env=env
    )
    assert bad.code != 0 and "not a Slack workspace ID" in bad.err
    assert "Traceback" not in bad.err
    operator = await cli(*base, "--name", "shared", "--token-env", "LINODE_TOKEN", env=env)
    assert operator.code == 0, operator.err
    share = await cli("provider", "share", "shared", "--workspace", "T0BBB")
    assert share.code == 0, share.err
    other = await cli("provider", "share", "li", "--workspace", "T0BBB")
    assert other.code != 0 and "no provider named 'li' of the operator" in other.err
    rows = await cli.fetch(
        "SELECT p.name, p.team_id, s.team_id AS shared FROM service_providers p "
        "LEFT JOIN provider_shares s ON s.provider_id = p.id ORDER BY p.name"
    )
    assert [(r["name"], r["team_id"], r["shared"]) for r in rows] == [
        ("li", "T0AAA", None),
        ("shared", None, "T0BBB"),
    ]
    listed = await cli("workspaces", "list")
    assert listed.code == 0, listed.err
    lines = {line.split()[0]: line.split() for line in listed.out.splitlines()[1:]}
    assert set(lines) == {"T0AAA", "T0BBB"}
    assert lines["T0AAA"][-2:] == ["1", "0"]  # one provider, no servers
    assert lines["T0BBB"][-2:] == ["1", "0"]  # the shared one
    assert "no SSH keys or VPCs" in share.out  # the owner's keys and VPCs stay theirs
    again = await cli("provider", "share", "shared", "--workspace", "T0BBB", "--ssh-keys")
    assert again.code == 0 and "with the account's SSH keys)" in again.out, again.err
    parts = await cli.fetch("SELECT team_id, ssh_keys, vpcs FROM provider_shares")
    assert [(r["team_id"], r["ssh_keys"], r["vpcs"]) for r in parts] == [("T0BBB", True, False)]
    unshare = await cli("provider", "unshare", "shared", "--workspace", "T0BBB")
    assert unshare.code == 0 and "no longer shared" in unshare.out

    added = await cli("workspaces", "admins", "T0AAA", "--add", "U0CAROL")
    assert added.code == 0 and added.out.strip() == "vpsbot admins of T0AAA: U0CAROL"
    stored = await cli.fetch("SELECT team_id, user_id, added_by FROM workspace_admins")
    assert [tuple(r.values()) for r in stored] == [("T0AAA", "U0CAROL", "operator")]
    wrong = await cli("workspaces", "admins", "T0AAA", "--add", "carol")
    assert wrong.code != 0 and "not a Slack user ID" in wrong.err
    removed = await cli("workspaces", "admins", "T0AAA", "--remove", "U0CAROL")
    assert removed.out.strip() == "vpsbot admins of T0AAA: (none named)"
    again = await cli("workspaces", "admins", "T0AAA", "--remove", "U0CAROL")
    assert again.code != 0 and "is not a named vpsbot admin" in again.err
    # audited like a change from /vps admin, the operator as nobody's user id
    audited = await cli.fetch(
        "SELECT event_type, team_id, user_id, entity_id, metadata->>'via' AS via "
        "FROM activity_logs WHERE entity_type = 'admin' ORDER BY id"
    )
    assert [tuple(r.values()) for r in audited] == [
        ("admin.add", "T0AAA", None, "U0CAROL", "cli"),
        ("admin.remove", "T0AAA", None, "U0CAROL", "cli"),
    ]


# ------------------------------------------------------------------------ policy


async def test_policy_set_show_member_and_errors_at_the_field(cli: Cli) -> None:
    changed = await cli(
        "policy",
        "set",
        "--team",
        "T0001",
        "monthly_budget=500",
        "approval_threshold=40",
        "approver_ids=U0BOSS1",
        "approval_channel=C0APPROVE",
        "lease_end_action=delete",
    )
    assert changed.code == 0, changed.err
    shown = await cli("policy", "show", "--team", "T0001")
    table = {line.split()[0]: line.split()[1] for line in shown.out.splitlines()}
    assert table["monthly_budget"] == "500.00"
    assert table["lease_end_action"] == "delete"
    assert table["max_servers_per_member"] == "10"  # the default
    bad = await cli("policy", "set", "--team", "T0001", "member_budget=900")
    assert bad.code != 0
    assert bad.err_lines == [
        "vpsbot: error: member_budget: A member's budget cannot exceed the workspace's ($500.00)."
    ]
    assert (
        await cli("policy", "member", "--team", "T0001", "--user", "U0ANN", "--budget", "25")
    ).code == 0
    [(budget, servers)] = await cli.fetch(
        "SELECT monthly_budget, max_servers FROM member_policies WHERE user_id = 'U0ANN'"
    )
    assert (budget, servers) == (Decimal("25.00"), None)
    audit = await cli.fetch(
        "SELECT event_type, metadata FROM activity_logs WHERE event_type LIKE 'policy.%' "
        "ORDER BY id"
    )
    assert [a["event_type"] for a in audit] == ["policy.update", "policy.member"]
    changes = json.loads(audit[0]["metadata"])
    assert changes["monthly_budget"] == {"from": "", "to": "500"}
    assert changes["lease_end_action"] == {"from": "power_off", "to": "delete"}


async def test_every_command_naming_a_provider_takes_the_workspace_by_slacks_rules(
    cli: Cli,
) -> None:
    """A workspace's own provider is reached with --workspace (issue 18: plans
    import answered "no provider named …" right after provider add --workspace);
    in OAuth mode --workspace never reaches the operator's unshared providers."""
    oauth = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "s3cret"}
    token = cli.sandbox.tokens["digitalocean"]
    env = {**oauth, "DO_TOKEN": token}
    url = cli.sandbox.digitalocean_url
    base = ("provider", "add", "--type", "digitalocean", "--api-url", url, "--trusted-endpoint")
    for extra in (("--workspace", "T0AAA"), ()):
        added = await cli(
            *base, "--name", "DigitalOcean T1", *extra, "--token-env", "DO_TOKEN", env=env
        )
        assert added.code == 0, added.err
    ws = ("--workspace", "T0AAA")
    name = ("--provider", "DigitalOcean T1")
    imported = await cli("plans", "import", *name, *ws, "--markup-percent", "10", env=oauth)
    assert imported.code == 0, imported.err
    owners = await cli.fetch(
        "SELECT p.team_id, count(v.id) AS n FROM service_providers p "
        "LEFT JOIN vps_plans v ON v.provider_id = p.id GROUP BY p.team_id"
    )
    counts = {r["team_id"]: r["n"] for r in owners}
    assert counts["T0AAA"] > 0 and counts[None] == 0  # the workspace's row, not the operator's
    steps = [
        ("plans", "set", "s-1vcpu-1gb", *name, *ws, "--markup", "2"),
        ("plans", "disable", "s-1vcpu-1gb", *name, *ws),
        ("plans", "enable", "s-1vcpu-1gb", *name, *ws),
        ("provider", "disable", "DigitalOcean T1", *ws),
        ("provider", "enable", "DigitalOcean T1", *ws),
    ]
    for step in steps:
        run = await cli(*step, env=oauth)
        assert run.code == 0, (step, run.err)
    rotated = await cli(
        "provider", "rotate-token", "DigitalOcean T1", *ws, "--token-env", "DO_TOKEN", env=env
    )
    assert rotated.code == 0, rotated.err
    listed = await cli("plans", "list", *name, *ws, env=oauth)
    assert listed.code == 0 and "s-1vcpu-1gb" in listed.out
    [(markup,)] = await cli.fetch(
        "SELECT v.markup_price FROM vps_plans v JOIN service_providers p ON p.id = v.provider_id "
        "WHERE p.team_id = 'T0AAA' AND v.provider_plan_id = 's-1vcpu-1gb'"
    )
    assert markup == Decimal("2.00")
    # the operator's own row is still reached without --workspace, never with another's
    assert (await cli("plans", "import", *name, env=oauth)).code == 0
    other = await cli("plans", "list", *name, "--workspace", "T0BBB", env=oauth)
    assert other.code != 0 and "no provider named 'DigitalOcean T1'" in other.err
    wrong = await cli("plans", "list", "--workspace", "nope", env=oauth)
    assert wrong.code != 0 and "not a Slack workspace ID" in wrong.err
    removed = await cli("provider", "remove", "DigitalOcean T1", *ws, env=oauth)
    assert removed.code == 0, removed.err
    left = await cli.fetch("SELECT team_id FROM service_providers")
    assert [r["team_id"] for r in left] == [None]


# ------------------------------------------------------------------------- spend


async def test_spend_check_reports_each_workspace_and_fails_on_a_mismatch(cli: Cli) -> None:
    empty = await cli("spend", "check")
    assert empty.code == 0, empty.err
    assert empty.out.strip() == "no kept spend totals"
    month = "date_trunc('month', now())"
    await cli.fetch(
        "INSERT INTO vps_instances (label, status, provider_type, team_id, created_at,"
        " price_hourly, price_monthly) VALUES"
        f" ('a', 'running', 'linode', 'T0GOOD', {month}, 0.0090, 6.00),"
        f" ('b', 'running', 'linode', 'T0BAD', {month}, 0.0090, 6.00)"
    )
    # T0GOOD's total made as the claim makes it (from the charges), T0BAD's left wrong
    await cli.fetch(
        "INSERT INTO spend_totals SELECT team_id, m, m + interval '1 month',"
        " CASE team_id WHEN 'T0BAD' THEN 99.00 ELSE vps_month_charge(created_at, deleted_at,"
        " price_hourly, price_monthly, m, m + interval '1 month') END"
        f" FROM vps_instances, LATERAL (SELECT {month} AS m) AS s"
    )
    run = await cli("spend", "check")
    assert run.code == 1
    lines = sorted(run.out.splitlines())
    assert len(lines) == 2
    assert (
        lines[0].startswith("T0BAD ") and "MISMATCH kept $99.00, charges sum to $6.00" in lines[0]
    )
    assert lines[1].startswith("T0GOOD ") and lines[1].endswith(" ok $6.00")
    assert run.err_lines == ["vpsbot: error: 1 of 2 kept spend totals differ from the charges"]
    one = await cli("spend", "check", "--team", "T0GOOD")
    assert one.code == 0 and one.out.count("\n") == 1
    bad = await cli("spend", "check", "--team", "nope")
    assert bad.code != 0 and "not a Slack workspace ID" in bad.err
