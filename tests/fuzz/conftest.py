"""Fuzzing vpsbot over its real HTTP path: nothing Slack (or anyone) sends may be a 500.

How to run::

    # the fast profile CI runs (derandomized: the same cases every run)
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m pytest -q -p no:cacheprovider tests/fuzz

    # the nightly size: over 10,000 cases, a fresh random draw each night
    VPSBOT_FUZZ=nightly TEST_DATABASE_URL=... .venv/bin/python -m pytest -q tests/fuzz

    # widen a run: VPSBOT_FUZZ_SCALE=3 multiplies every test's example count;
    # list every distinct failure instead of stopping at the first (a survey):
    VPSBOT_FUZZ_SURVEY=1 TEST_DATABASE_URL=... .venv/bin/python -m pytest -q tests/fuzz

A failing case prints its payload and a ``@reproduce_failure`` blob to replay it.
Failures already known (``known.py``, each pinned by a strict xfail in
``test_known.py``) are counted under their issue at the end instead of failing.

One stack serves the whole package (started like ``tests/e2e``: the real Bolt app
on aiohttp, the Slack Web API stand-in, the sandbox providers, real PostgreSQL),
seeded with a server on each provider, a create modal with a draft and the admin
home, so mutated payloads can name real things. Every case asserts: HTTP status
below 500, and no log record at ERROR or above and no traceback anywhere in the
process's log, including the work listeners do after they ack (each case waits
for that work to finish). The number of cases run per test is printed at the end.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from db.engine import Database
from db.models import Base
from standins.sandbox import Sandbox
from tests.fuzz.payloads import Targets
from tests.fuzz.profiles import PROFILE
from tests.fuzz.stack import (
    ADMIN,
    SIGNING_SECRET,
    TEAM,
    USER,
    Bot,
    CreateSession,
    LogRecords,
    SlackSender,
    SlackStandIn,
    Stack,
    create_server,
    start_bot,
)

_counts: dict[str, tuple[int, float]] = {}
_stacks: list[Stack] = []


@pytest.fixture
def counted(request: pytest.FixtureRequest, stack: Stack) -> Any:
    """Counts the cases a test ran and how long it took, for the end-of-run summary."""
    before, started = stack.cases, time.monotonic()
    yield
    _counts[request.node.name] = (stack.cases - before, time.monotonic() - started)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _counts:
        return
    total = sum(n for n, _ in _counts.values())
    seconds = sum(s for _, s in _counts.values())
    terminalreporter.section(f"fuzz cases (profile {PROFILE})")
    for name, (n, s) in _counts.items():
        terminalreporter.write_line(f"{n:7d} cases {s:7.1f} s  {name}")
    terminalreporter.write_line(f"{total:7d} cases {seconds:7.1f} s  in all")
    for stack in _stacks:
        terminalreporter.write_line(
            f"time in requests {stack.send_seconds:.1f} s, "
            f"waiting for work after ack {stack.settle_seconds:.1f} s"
        )
        for name, n in sorted(stack.known.items()):
            terminalreporter.write_line(f"{n:7d} cases hit known issue: {name}")
        for sig, (n, what, problem) in sorted(stack.survey.items(), key=lambda i: -i[1][0]):
            terminalreporter.write_line(f"\n{n:7d} x {sig}\n    first: {what[:700]}")
            terminalreporter.write_line("    " + problem[-1500:].replace("\n", "\n    "))


async def _empty(session_db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    async with session_db.engine.begin() as conn:
        await conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="package")
async def stack(
    session_db: Database, database_url: str, fernet_keys: list[str]
) -> AsyncIterator[Stack]:
    from db.repo import providers

    await _empty(session_db)
    logs = LogRecords()
    root = logging.getLogger()
    level = root.level
    root.addHandler(logs)
    root.setLevel(logging.INFO)
    sandbox = Sandbox(provision_seconds=30.0, action_seconds=10.0, linode_create_limit=None)
    await sandbox.start()
    api = SlackStandIn(bot_token="xoxb-test-token", team_id=TEAM)
    await api.start()
    api.users[ADMIN] = {"id": ADMIN, "team_id": TEAM, "is_admin": False}
    services, runner, url = await start_bot(api, sandbox, database_url, fernet_keys)
    try:
        async with services.db.session() as session:
            rows = {row.type: row for row in await providers.list_all(session)}
        slack = SlackSender(
            f"{url}/slack/events", SIGNING_SECRET, team_id=TEAM, user_id=USER, api=api,
            ack_timeout=10.0,
        )  # fmt: skip
        bot = Bot(services, api, sandbox, slack, url, rows)
        stack = Stack(bot, logs)
        _stacks.append(stack)
        for type_ in ("linode", "digitalocean"):
            stack.servers[type_] = await create_server(bot, type_, f"fuzz-{type_}")
        draft = CreateSession(bot)
        await draft.open("fuzz-draft")
        await draft.choose_provider("linode")
        stack.create_view_id = draft.view_id
        mark = api.mark()
        await slack.as_user(ADMIN).command("/vps", "admin")
        stack.admin_view_id = (await api.wait_for_call("views.open", after=mark)).response["view"][
            "id"
        ]
        await stack.settle()
        stack.seeded_views = {
            view_id: copy.deepcopy(api.views[view_id])
            for view_id in (stack.create_view_id, stack.admin_view_id)
        }
        Targets.stack = stack
        seeded = logs.problems()
        assert not seeded, f"seeding the fuzz stack logged errors: {seeded}"
        yield stack
        await stack.settle()
        Targets.stack = None
    finally:
        await runner.cleanup()
        await services.aclose()
        await api.stop()
        await sandbox.stop()
        root.removeHandler(logs)
        root.setLevel(level)
