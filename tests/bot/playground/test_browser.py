"""The playground in a real browser: a person's whole story with vpsbot, in Debian's Chromium.

``vpsbot serve --migrate --sandbox`` runs as ``make run`` runs it — without Slack credentials,
so it starts the playground — and Playwright drives the page like a person: types ``/vps``
commands, walks the create modal, reads the channel. The screenshots in ``docs/screenshots/``
(linked from README) are taken here, so they show the page as it is.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Locator, Page, expect

REPO = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
START_SECONDS = 60

_T = TypeVar("_T")


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's Chromium (Playwright's own builds cannot be downloaded on these machines)."""
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {"viewport": {"width": 1280, "height": 860}}


def _run(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coro`` on a loop of its own in a thread: the test itself is synchronous
    (Playwright's sync API) and must not touch the suite's event loop."""
    box: list[Any] = []

    def target() -> None:
        try:
            box.append(asyncio.run(coro))
        except BaseException as exc:
            box.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]  # type: ignore[no-any-return]


async def _sql(admin_url: str, statement: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url(admin_url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@dataclass
class Running:
    """``vpsbot serve`` with its playground and sandbox."""

    url: str
    sandbox_url: str
    out: list[str]

    def advance_sandbox(self, seconds: float) -> None:
        """Move the sandbox's clock: provisioning and actions finish now."""
        request = urllib.request.Request(
            f"{self.sandbox_url}/_sandbox/advance",
            data=json.dumps({"seconds": seconds}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as resp:  # loopback only
            assert resp.status == 200


@pytest.fixture
def vpsbot(admin_url: str, tmp_path: Path) -> Iterator[Running]:
    """``vpsbot serve --migrate --sandbox`` without Slack credentials, as ``make run``."""
    name = f"vpsbot_playground_{os.getpid()}_{secrets.token_hex(4)}"
    _run(_sql(admin_url, f'CREATE DATABASE "{name}"'))
    port, sandbox_port, playground_port = _free_port(), _free_port(), _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO),
        "VPSBOT_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": _database_url(admin_url, name),
        "VPSBOT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PORT": str(port),
        "VPSBOT_SANDBOX_PORT": str(sandbox_port),
        "VPSBOT_PLAYGROUND_PORT": str(playground_port),
        "LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--migrate", "--sandbox"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            if "vpsbot is running" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not ready.wait(START_SECONDS):
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise AssertionError(f"vpsbot serve did not start: {''.join(out)}{err[-3000:]}")
        yield Running(
            f"http://127.0.0.1:{playground_port}/", f"http://127.0.0.1:{sandbox_port}", out
        )
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        _run(_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]


# ------------------------------------------------------------------ what a person does


def say(page: Page, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def modal(page: Page) -> Locator:
    return page.locator("#modal-layer .modal")


def at_step(page: Page, step: str) -> Locator:
    found = modal(page)
    expect(found).to_have_attribute("data-callback-id", f"vps_create:{step}", timeout=15_000)
    return found


def field(scope: Locator, block_id: str) -> Locator:
    return scope.locator(f'[data-block-id="{block_id}"]')


def choose(scope: Locator, block_id: str, text: str) -> None:
    """Pick the option whose text contains ``text`` in the block's select."""
    select = field(scope, block_id).locator("select")
    value = select.locator("option", has_text=text).first.get_attribute("value")
    assert value is not None, f"no option {text!r} in {block_id}"
    select.select_option(value)


def press(scope: Locator, name: str) -> None:
    scope.get_by_role("button", name=name, exact=True).click()


def messages(page: Page) -> Locator:
    return page.locator("#messages > .message")


# ------------------------------------------------------------------ the stories


def test_make_run_without_slack_serves_the_playground(page: Page, vpsbot: Running) -> None:
    """A DigitalOcean 1-Click server from `/vps create` to running, then `/vps list` and a
    confirmed power-off, as Ada (the admin) would do it."""
    assert any(f"local playground (not Slack) at {vpsbot.url}" in line for line in vpsbot.out)
    page.goto(vpsbot.url)
    expect(page.locator("#banner")).to_contain_text("Local playground")
    expect(page.get_by_label("You are")).to_have_value("U0ADA00001")

    say(page, "/vps create web-1")
    create = at_step(page, "plan")
    expect(create.locator(".modal-tag")).to_have_text("playground")
    expect(field(create, "label").locator("input")).to_have_value("web-1")
    choose(create, "plan", "s-1vcpu-1gb")  # a dispatch action: the regions follow the plan
    expect(field(create, "region").locator("select")).to_be_visible()
    choose(create, "region", "nyc3")
    expect(create).to_contain_text("$7.20/mo")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "create-modal.png")
    press(create, "Next")

    create = at_step(page, "deployment")
    choose(create, "deployment", "WordPress")
    press(create, "Next")
    create = at_step(page, "config")  # a 1-Click app is the image: no OS step
    press(create, "Next")
    create = at_step(page, "review")
    for expected in ("web-1", "s-1vcpu-1gb", "nyc3", "WordPress", "$7.20/mo"):
        expect(create).to_contain_text(expected)
    press(create, "Create")
    expect(modal(page)).to_contain_text("is being created", timeout=15_000)
    press(modal(page).locator(".modal-foot"), "Close")
    expect(modal(page)).to_have_count(0)

    card = messages(page).filter(has_text="web-1").filter(has_not_text="Only visible to you")
    expect(card).to_have_count(1, timeout=10_000)
    expect(card).to_contain_text(re.compile("provisioning|creating|new", re.IGNORECASE))
    password = messages(page).filter(has_text="Only visible to you").filter(has_text="web-1")
    expect(password.first).to_be_visible()

    vpsbot.advance_sandbox(600)  # the droplet boots; the watcher edits the card in place
    expect(card).to_contain_text("running", timeout=30_000)
    expect(card).to_contain_text(re.compile(r"\d{1,3}(\.\d{1,3}){3}"))
    expect(card).to_have_count(1)  # chat.update: the same message, not a new one
    card.get_by_role("button", name=re.compile(r"^\d+ repl(y|ies)$")).click()  # its thread
    expect(card.locator(".thread .message").first).to_be_visible()
    password.first.get_by_role("button", name="Dismiss").click()
    expect(password).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "channel-running.png")

    say(page, "/vps list")
    listing = messages(page).filter(has_text="Only visible to you").last
    expect(listing).to_contain_text("web-1")
    listing.get_by_role("button", name="Details").first.click()
    expect(listing).to_contain_text("Recent activity", timeout=10_000)
    listing.get_by_role("button", name="Power off").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Power off?")
    expect(dialog).to_contain_text("pulling the plug")
    dialog.get_by_role("button", name="Power off").click()
    expect(dialog).to_have_count(0)
    expect(listing).to_contain_text("Power off of web-1 requested.", timeout=10_000)


def test_linode_stackscript_errors_at_the_field_and_back_keeps_what_was_typed(
    page: Page, vpsbot: Running
) -> None:
    """Ada (admin) opens the admin screen, Ben may not; Ben makes a Linode from a
    StackScript: its fields appear, a missing one is flagged at its field, and Back from the
    next step shows everything he typed."""
    page.goto(vpsbot.url)
    say(page, "/vps admin")
    admin = modal(page)
    expect(admin).to_contain_text("sandbox-linode", timeout=10_000)
    admin.get_by_role("button", name="Close", exact=True).first.click()
    expect(modal(page)).to_have_count(0)

    page.get_by_label("You are").select_option("U0BEN00002")
    say(page, "/vps admin")
    expect(messages(page).filter(has_text="Only visible to you").last).to_contain_text(
        "Only vpsbot admins can use /vps admin."
    )

    say(page, "/vps create wp-site")
    create = at_step(page, "plan")
    choose(create, "provider", "linode")
    expect(field(create, "plan")).to_contain_text("g6-", timeout=10_000)
    choose(create, "plan", "g6-nanode-1")
    expect(field(create, "region").locator("select")).to_be_visible()
    choose(create, "region", "us-east")
    press(create, "Next")

    create = at_step(page, "deployment")
    choose(create, "deployment", "WordPress")
    email = field(create, "udf:soa_email_address").locator("input")
    expect(email).to_be_visible()
    expect(field(create, "udf:site_title").locator("input")).to_have_value("My WordPress Site")
    choose(create, "udf:webserver_stack", "LEMP")
    field(create, "udf:site_title").locator("input").fill("Blog")
    field(create, "udf:db_password").locator("input").fill("db-Secret-99")
    press(create, "Next")
    error = field(create, "udf:soa_email_address").locator(".field-error")
    expect(error).to_have_text("Email address for the admin user is required.")
    email.fill("me@example.com")
    press(create, "Next")

    create = at_step(page, "image")
    press(create, "← Back")
    create = at_step(page, "deployment")
    expect(field(create, "udf:soa_email_address").locator("input")).to_have_value("me@example.com")
    expect(field(create, "udf:site_title").locator("input")).to_have_value("Blog")
    stack = field(create, "udf:webserver_stack").locator("select option:checked")
    expect(stack).to_have_text("LEMP")
    expect(field(create, "udf:soa_email_address").locator(".field-error")).to_have_count(0)

    press(create, "Cancel")
    expect(modal(page)).to_have_count(0)
