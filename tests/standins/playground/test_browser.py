"""The playground in a real browser: a person's whole story with vpsbot, in Debian's Chromium.

``vpsbot serve --migrate --sandbox`` runs as ``make run`` runs it — without Slack credentials,
so it starts the playground — and Playwright drives the page like a person: types ``/vps``
commands, walks the create modal, reads the channel. The screenshots in ``docs/screenshots/``
(linked from README) are taken here, so they show the page as it is: ``make screenshots``
writes them there; a plain test run writes them to a temporary directory, so running
the suite never changes a tracked file.
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
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Locator, Page, Playwright, expect, sync_playwright

REPO = Path(__file__).resolve().parents[3]
#: Where the screenshots go: ``VPSBOT_SCREENSHOTS`` (``make screenshots`` names
#: docs/screenshots), else a directory of the run's own.
SCREENSHOTS_ENV = "VPSBOT_SCREENSHOTS"
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


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright for this module only (pytest-playwright keeps it for the session): while
    its sync API lives it marks the main thread's event loop as running, and the rest of the
    suite's asyncio tests could not start theirs."""
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="module")
def browser(playwright: Playwright, browser_type_launch_args: dict[str, Any]) -> Iterator[Browser]:
    launched = playwright.chromium.launch(**browser_type_launch_args)
    yield launched
    launched.close()


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
    database_url: str = ""

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
            if "local playground (not Slack)" in line:  # printed last, once all is up
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not ready.wait(START_SECONDS):
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise AssertionError(f"vpsbot serve did not start: {''.join(out)}{err[-3000:]}")
        yield Running(
            f"http://127.0.0.1:{playground_port}/",
            f"http://127.0.0.1:{sandbox_port}",
            out,
            env["DATABASE_URL"],
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


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    named = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(named) if named else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def snapshot(page: Page, folder: Path, name: str) -> None:
    """A README screenshot, taken so that it changes only when the page does."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    page.evaluate(  # fonts loaded and two frames painted: nothing left half-drawn
        "document.fonts.ready.then(() => new Promise((done) =>"
        " requestAnimationFrame(() => requestAnimationFrame(done))))"
    )
    page.screenshot(path=folder / name, animations="disabled", caret="hide")
    assert (folder / name).stat().st_size > 0


def messages(page: Page) -> Locator:
    return page.locator("#messages > .message")


# ------------------------------------------------------------------ the stories


def test_make_run_without_slack_serves_the_playground(
    vpsbot: Running, page: Page, screenshots: Path
) -> None:
    """A DigitalOcean 1-Click server from `/vps create` to running, then `/vps list` and a
    confirmed power-off, as Ada (the admin) would do it; Cleo may only look at it."""
    # the playground's URL is the last line start-up prints, after the bot runs
    assert vpsbot.out[-1].startswith(
        f"no Slack credentials: local playground (not Slack) at {vpsbot.url}"
    )
    assert any("vpsbot is running" in line for line in vpsbot.out[:-1])
    page.clock.set_fixed_time(datetime(2026, 11, 30, 9, 41))  # the screenshots' clock
    page.goto(vpsbot.url)
    expect(page.locator("#banner")).to_contain_text("Local playground")
    expect(page.get_by_label("You are")).to_have_value("U0ADA00001")

    say(page, "/vps create web-1")
    create = at_step(page, "plan")
    expect(create.locator(".modal-tag")).to_have_text("playground")
    expect(field(create, "label").locator("input")).to_have_value("web-1")
    # three sandbox clouds now (EC2 first by name): DigitalOcean is chosen
    choose(create, "provider", "digitalocean")
    # plans read as DigitalOcean's own create page reads them, grouped by class
    basic = "Basic · 1 vCPU · 1 GB · 25 GB SSD"
    expect(field(create, "plan")).to_contain_text(f"{basic} — $7.20/mo", timeout=10_000)
    expect(field(create, "plan")).not_to_contain_text("s-1vcpu-1gb")
    groups = field(create, "plan").locator("optgroup")
    expect(groups.first).to_have_attribute("label", "Basic")
    expect(field(create, "plan").locator('optgroup[label="General Purpose"]')).to_have_count(1)
    label_hint = field(create, "label")
    expect(label_hint).to_contain_text("1 to 255 characters")  # DigitalOcean's own rule
    choose(create, "plan", basic)  # a dispatch action: the regions follow the plan
    expect(field(create, "region").locator("select")).to_be_visible()
    choose(create, "region", "nyc3")
    expect(create).to_contain_text("$7.20/mo")
    snapshot(page, screenshots, "create-modal.png")
    press(create, "Next")

    create = at_step(page, "deployment")
    choose(create, "deployment", "WordPress")
    press(create, "Next")
    create = at_step(page, "config")  # a 1-Click app is the image: no OS step
    press(create, "Next")
    create = at_step(page, "review")
    for expected in ("web-1", basic, "New York 3", "WordPress", "$7.20/mo"):
        expect(create).to_contain_text(expected)
    for slug in ("s-1vcpu-1gb", "nyc3", "(digitalocean)", "Operating system: —"):
        expect(create).not_to_contain_text(slug)
    press(create, "Create")
    expect(modal(page)).to_contain_text("is being created", timeout=15_000)
    press(modal(page).locator(".modal-foot"), "Close")
    expect(modal(page)).to_have_count(0)

    card = messages(page).filter(has_text="web-1").filter(has_not_text="Only visible to you")
    expect(card).to_have_count(1, timeout=10_000)
    expect(card).to_contain_text("web-1 — provisioning")
    password = messages(page).filter(has_text="Only visible to you").filter(has_text="web-1")
    expect(password.first).to_be_visible()

    vpsbot.advance_sandbox(600)  # the droplet boots; the watcher edits the card in place
    expect(card).to_contain_text("running", timeout=30_000)
    expect(card).to_contain_text("1-Click app")  # the app the server was made with
    expect(card).to_contain_text("WordPress")
    expect(card).to_contain_text(re.compile(r"\d{1,3}(\.\d{1,3}){3}"))
    expect(card).to_have_count(1)  # chat.update: the same message, not a new one
    card.get_by_role("button", name=re.compile(r"^\d+ repl(y|ies)$")).click()  # its thread
    expect(card.locator(".thread .message").first).to_be_visible()
    password.first.get_by_role("button", name="Dismiss").click()
    expect(password).to_have_count(0)
    snapshot(page, screenshots, "channel-running.png")

    # the card names the region and the provider as people know them, and opens the details
    expect(card).to_contain_text("New York 3")
    expect(card).to_contain_text("sandbox-digitalocean")
    card.get_by_role("button", name="Details").first.click()
    details = messages(page).filter(has_text="Only visible to you").filter(has_text="Lease")
    expect(details.last).to_contain_text("Recent activity", timeout=10_000)

    say(page, "/vps list")
    listing = messages(page).filter(has_text="Only visible to you").last
    expect(listing).to_contain_text("web-1")
    expect(listing).to_contain_text("New York 3")
    listing.get_by_role("button", name="Details").first.click()
    # the graphs follow the details in a message of their own: hold on to the details
    listing = messages(page).filter(has_text="Recent activity").last
    expect(listing).to_contain_text("web-1", timeout=10_000)
    graphs = messages(page).filter(has_text="web-1, last 24 hours").last
    expect(graphs).to_contain_text("metrics agent", timeout=15_000)  # created without it
    # pinned by its ts: the menu's confirmation replaces it in place
    listing = page.locator(f'#messages > .message[data-ts="{listing.get_attribute("data-ts")}"]')
    # two common actions in sight, the rest in the menu; nothing red until asked
    for word in ("Shut down", "Reboot", "Extend lease…", "Refresh"):
        expect(listing.get_by_role("button", name=word)).to_have_count(1)
    expect(listing.get_by_role("button", name="Power off")).to_have_count(0)
    snapshot(page, screenshots, "details.png")
    listing.get_by_role("button", name="Shut down").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("ACPI")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    listing.get_by_role("button", name="More actions").click()
    listing.get_by_role("menuitem", name="Power off").click()
    expect(listing).to_contain_text("pulling the plug", timeout=10_000)
    listing.get_by_role("button", name="Power off").click()
    expect(listing).to_contain_text("Power off of web-1 requested.", timeout=10_000)
    expect(listing).to_contain_text("Lease")

    page.locator("#channel-list li", has_text="Home").click()  # the app's Home tab
    expect(page.locator("#channel-title")).to_have_text("vpsbot · Home")
    expect(page.locator("#composer")).to_be_hidden()
    home = page.get_by_label("vpsbot Home")
    expect(home).to_contain_text("My servers (1)", timeout=10_000)
    expect(home).to_contain_text("web-1")
    snapshot(page, screenshots, "home.png")
    press(home, "Create a server")
    at_step(page, "plan")
    press(modal(page).locator(".modal-foot"), "Cancel")
    expect(modal(page)).to_have_count(0)
    page.locator("#channel-list li", has_text="vps-playground").click()

    page.get_by_label("You are").select_option("U0CLEO0003")  # not Ada's server, not an admin
    say(page, "/vps show web-1")
    shown = messages(page).filter(has_text="Only @Ada or a vpsbot admin can manage").last
    expect(shown).to_contain_text("Only @Ada or a vpsbot admin can manage this server.")
    expect(shown.get_by_role("button", name="Power off")).to_have_count(0)


def test_linode_stackscript_errors_at_the_field_and_back_keeps_what_was_typed(
    vpsbot: Running, page: Page
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
    expect(field(create, "plan")).to_contain_text("Nanode 1GB", timeout=10_000)
    shared = field(create, "plan").locator('optgroup[label="Shared CPU"]')
    expect(shared).to_contain_text("Linode 2GB · 1 vCPU · 2 GB · 50 GB SSD")
    expect(field(create, "label")).to_contain_text("3 to 64 characters")  # Linode's rule
    choose(create, "plan", "Nanode 1GB")
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

    # on the review, the StackScript and its fields by their labels, the secret hidden
    press(create, "Next")
    create = at_step(page, "image")
    choose(create, "image", "Debian")
    press(create, "Next")
    create = at_step(page, "config")
    press(create, "Next")
    create = at_step(page, "review")
    for expected in ("StackScript: WordPress", "Email address for the admin user", "Newark, NJ"):
        expect(create).to_contain_text(expected)
    expect(create).to_contain_text("me@example.com")
    for raw in ("soa_email_address", "db-Secret-99", "us-east", "g6-nanode-1"):
        expect(create).not_to_contain_text(raw)
    press(create, "Cancel")
    expect(modal(page)).to_have_count(0)


def test_the_fast_paths_fill_the_form_switch_clouds_and_create_another(
    vpsbot: Running, page: Page
) -> None:
    """Ben types what he wants in one line: the form opens on its review. Back on step 1 he
    sees the same size on Linode and switches in a click; then, from the card of the server
    he made, "Create another like this" opens the form filled in as web-2."""
    page.goto(vpsbot.url)
    page.get_by_label("You are").select_option("U0BEN00002")
    say(page, "/vps create 1vcpu 2gb ubuntu fra1 web-1")
    create = at_step(page, "review")
    for expected in ("web-1", "Basic · 1 vCPU · 2 GB · 50 GB SSD", "Frankfurt 1"):
        expect(create).to_contain_text(expected)
    press(create, "← Back")
    create = at_step(page, "config")
    press(create, "← Back")
    create = at_step(page, "image")
    press(create, "← Back")
    create = at_step(page, "deployment")
    press(create, "← Back")
    create = at_step(page, "plan")
    elsewhere = create.locator('[data-block-id^="elsewhere_"]', has_text="sandbox-linode")
    expect(elsewhere).to_have_count(1)
    expect(elsewhere).to_contain_text("Frankfurt")
    press(elsewhere, "Switch to this")
    provider = create.locator('[data-block-id^="provider"] select option:checked')
    expect(provider).to_contain_text("linode", timeout=10_000)
    expect(field(create, "label").locator("input")).to_have_value("web-1")
    expect(field(create, "region").locator("select option:checked")).to_contain_text("eu-central")
    press(create, "Next")  # what Slack submits now is the Linode plan
    create = at_step(page, "deployment")
    expect(create).to_contain_text("sandbox-linode")
    press(create, "Cancel")
    expect(modal(page)).to_have_count(0)

    say(page, "/vps create 1vcpu 2gb ubuntu fra1 web-1")
    press(at_step(page, "review"), "Create")
    expect(modal(page)).to_contain_text("is being created", timeout=15_000)
    press(modal(page).locator(".modal-foot"), "Close")
    card = messages(page).filter(has_text="web-1").filter(has_not_text="Only visible to you")
    expect(card).to_have_count(1, timeout=10_000)
    card.get_by_role("button", name="Create another like this").click()
    create = at_step(page, "review")
    for expected in ("web-2", "Basic · 1 vCPU · 2 GB · 50 GB SSD", "Frankfurt 1"):
        expect(create).to_contain_text(expected)
    press(create, "Cancel")


def test_an_admin_names_another_from_the_admin_screen_and_takes_it_back(
    vpsbot: Running, page: Page
) -> None:
    """Ada (admin) picks Ben in the admin screen's "Add admin"; Ben may then open it
    too. Ada cannot remove the only named admin; once Cleo is named she removes Ben
    through the confirm dialog, and Ben is refused."""
    page.goto(vpsbot.url)
    say(page, "/vps admin")
    admin = modal(page)
    expect(field(admin, "admins")).to_contain_text("Admins", timeout=10_000)
    choose(admin, "admins", "Ben")
    ben = field(modal(page), "admin:U0BEN00002")
    expect(ben).to_contain_text("Ben", timeout=10_000)
    expect(field(modal(page), "admins_notice")).to_be_visible()
    modal(page).get_by_role("button", name="Close", exact=True).first.click()
    expect(modal(page)).to_have_count(0)

    page.get_by_label("You are").select_option("U0BEN00002")
    say(page, "/vps admin")
    expect(field(modal(page), "admin:U0BEN00002")).to_contain_text("(you)", timeout=10_000)
    modal(page).get_by_role("button", name="Close", exact=True).first.click()

    page.get_by_label("You are").select_option("U0ADA00001")
    say(page, "/vps admin")
    expect(field(modal(page), "admin:U0BEN00002")).to_be_visible(timeout=10_000)

    def remove(block_id: str) -> None:
        field(modal(page), block_id).get_by_role("button", name="Remove").click()
        dialog = page.get_by_role("alertdialog")
        expect(dialog).to_contain_text("stops being a vpsbot admin")
        dialog.get_by_role("button", name="Remove").click()

    remove("admin:U0BEN00002")  # the only one named: it stays, and the screen says why
    expect(field(modal(page), "admins_notice")).to_contain_text(
        "last named vpsbot admin", timeout=10_000
    )
    choose(modal(page), "admins", "Cleo")
    expect(field(modal(page), "admin:U0CLEO0003")).to_be_visible(timeout=10_000)
    remove("admin:U0BEN00002")
    expect(field(modal(page), "admin:U0BEN00002")).to_have_count(0, timeout=10_000)
    modal(page).get_by_role("button", name="Close", exact=True).first.click()

    page.get_by_label("You are").select_option("U0BEN00002")
    say(page, "/vps admin")
    expect(messages(page).filter(has_text="Only visible to you").last).to_contain_text(
        "Only vpsbot admins can use /vps admin."
    )


# ------------------------------------------------------------------ Block Kit, element by element


def test_the_spend_policy_is_set_with_pickers_and_every_error_shows_at_once(
    vpsbot: Running, page: Page
) -> None:
    """Ada sets the spend policy with Slack's pickers: two bad fields are both said at
    once; then approvers picked, a channel chosen, Delete at lease end, leases in days."""
    page.goto(vpsbot.url)
    say(page, "/vps admin")
    expect(field(modal(page), "admins")).to_be_visible(timeout=10_000)
    press(modal(page), "Spend policy")
    form = modal(page).last
    expect(form).to_contain_text("Default lease (days)", timeout=10_000)
    expect(field(form, "default_lease_hours").locator("input")).to_have_value("30")
    field(form, "monthly_budget").locator("input").fill("lots")
    field(form, "max_lease_hours").locator("input").fill("forever")
    press(form, "Save")
    expect(field(form, "monthly_budget").locator(".field-error")).to_be_visible(timeout=10_000)
    expect(field(form, "max_lease_hours").locator(".field-error")).to_contain_text("days")

    field(form, "monthly_budget").locator("input").fill("500")
    field(form, "max_lease_hours").locator("input").fill("60")
    field(form, "approval_threshold").locator("input").fill("20")
    field(form, "approver_ids").locator("select").select_option(label="Ben")
    field(form, "approval_channel").locator("select").select_option(label="#vps-playground")
    field(form, "lease_end_action").get_by_label("Delete the server").check()
    press(form, "Save")
    expect(form.locator(".field-error")).to_have_count(0, timeout=10_000)
    expect(modal(page).filter(has_text="Default lease (days)")).to_have_count(0, timeout=10_000)

    press(modal(page), "Spend policy")  # saved: the form opens with what was picked
    again = modal(page).last
    expect(field(again, "max_lease_hours").locator("input")).to_have_value("60", timeout=10_000)
    picked = field(again, "approver_ids").locator("select option:checked")
    expect(picked).to_have_text("Ben")
    expect(field(again, "lease_end_action").get_by_label("Delete the server")).to_be_checked()


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _options(*values: str) -> list[dict[str, Any]]:
    return [{"text": _text(v.title()), "value": v} for v in values]


REGIONS = ("eu-central", "eu-west", "us-east")

#: Every element vpsbot's views use, plus Slack's pickers, and two the page cannot draw.
KIT_VIEW: dict[str, Any] = {
    "type": "modal",
    "callback_id": "kit",
    "title": _text("Every element"),
    "submit": _text("Save"),
    "close": _text("Cancel"),
    "blocks": [
        {"type": "header", "text": _text("A header")},
        {
            "type": "section",
            "block_id": "intro",
            "text": {"type": "mrkdwn", "text": "*bold* _it_ `code` <https://example.com|a link>"},
            "fields": [{"type": "mrkdwn", "text": "*Field*\none"}],
        },
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "a context line"}]},
        {
            "type": "input",
            "block_id": "notes",
            "label": _text("Notes"),
            "element": {"type": "plain_text_input", "action_id": "notes", "multiline": True},
        },
        {
            "type": "input",
            "block_id": "count",
            "label": _text("Count"),
            "element": {"type": "number_input", "action_id": "count", "is_decimal_allowed": False},
        },
        {
            "type": "input",
            "block_id": "size",
            "label": _text("Size"),
            "element": {
                "type": "static_select",
                "action_id": "size",
                "option_groups": [
                    {"label": _text("Small"), "options": _options("s1", "s2")},
                    {"label": _text("Large"), "options": _options("l1")},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "region",
            "label": _text("Region"),
            "element": {"type": "external_select", "action_id": "region", "min_query_length": 2},
        },
        {
            "type": "input",
            "block_id": "keys",
            "label": _text("Keys"),
            "element": {
                "type": "multi_static_select",
                "action_id": "keys",
                "options": _options("k1", "k2", "k3"),
            },
        },
        {
            "type": "input",
            "block_id": "toggles",
            "label": _text("Toggles"),
            "optional": True,
            "element": {
                "type": "checkboxes",
                "action_id": "toggles",
                "options": _options("backups", "ipv6"),
                "initial_options": _options("ipv6"),
            },
        },
        {
            "type": "input",
            "block_id": "mode",
            "label": _text("Mode"),
            "element": {
                "type": "radio_buttons",
                "action_id": "mode",
                "options": _options("all", "some"),
            },
        },
        {
            "type": "input",
            "block_id": "when",
            "label": _text("When"),
            "element": {"type": "datepicker", "action_id": "when"},
        },
        {
            "type": "input",
            "block_id": "who",
            "label": _text("Who"),
            "element": {"type": "users_select", "action_id": "who"},
        },
        {
            "type": "actions",
            "block_id": "more",
            "elements": [{"type": "overflow", "action_id": "more", "options": _options("a", "b")}],
        },
        {"type": "rich_text", "elements": []},
        {
            "type": "input",
            "block_id": "upload",
            "optional": True,
            "label": _text("Upload"),
            "element": {"type": "file_input", "action_id": "upload"},
        },
    ],
}


class FakeVpsbot:
    """A tiny real Bolt app with the playground as its Slack, on a loop in a thread."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.actions: list[dict[str, Any]] = []
        self.submitted: list[dict[str, Any]] = []
        self.url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> FakeVpsbot:
        self._thread.start()
        assert self._ready.wait(20), "the fake vpsbot did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(20)

    async def _main(self) -> None:
        from aiohttp import web
        from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
        from slack_bolt.async_app import AsyncAck, AsyncApp
        from slack_sdk.web.async_client import AsyncWebClient

        from standins.playground.web import Playground

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        playground = await Playground("").start()
        bolt = AsyncApp(
            signing_secret=playground.signing_secret,
            client=AsyncWebClient(token=playground.bot_token, base_url=playground.api_url),
        )

        @bolt.command("/vps")
        async def vps(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
            await ack()
            await client.views_open(trigger_id=body["trigger_id"], view=KIT_VIEW)

        @bolt.options("region")
        async def regions(ack: AsyncAck, body: dict[str, Any]) -> None:
            self.queries.append(body["value"])
            found = [r for r in REGIONS if body["value"] in r]
            await ack(options=[{"text": _text(r), "value": r} for r in found])

        @bolt.action("more")
        async def more(ack: AsyncAck, body: dict[str, Any]) -> None:
            self.actions.append(body["actions"][0])
            await ack()

        @bolt.view("kit")
        async def kit(ack: AsyncAck, view: dict[str, Any]) -> None:
            self.submitted.append(view["state"]["values"])
            await ack()

        async def events(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await bolt.async_dispatch(await to_bolt_request(request))
            )

        app = web.Application()
        app.router.add_post("/slack/events", events)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        playground.events_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        self.url = playground.url
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()
            await playground.stop()


def test_every_element_renders_and_answers_in_slacks_shapes(page: Page) -> None:
    """The page draws each element vpsbot uses, names the ones it cannot, queries an
    external select as the person types, and submits state exactly as Slack shapes it."""
    with FakeVpsbot() as fake:
        page.goto(fake.url)
        say(page, "/vps kit")
        kit = modal(page)
        expect(kit).to_have_attribute("data-callback-id", "kit")
        expect(kit.locator(".block-header")).to_have_text("A header")
        expect(kit.locator("b", has_text="bold")).to_be_visible()
        expect(kit.get_by_role("link", name="a link")).to_have_attribute(
            "href", "https://example.com"
        )
        expect(kit.locator(".unsupported")).to_have_text(
            [
                re.compile("cannot render a “rich_text” block"),
                re.compile("cannot render a “file_input” element"),
            ]
        )

        field(kit, "notes").locator("textarea").fill("line one\nline two")
        field(kit, "count").locator("input").fill("3")
        choose(kit, "size", "L1")
        region = field(kit, "region").get_by_role("combobox")
        region.press_sequentially("eu", delay=50)
        options = field(kit, "region").get_by_role("option")
        expect(options).to_have_text(["eu-central", "eu-west"])
        options.filter(has_text="eu-west").click()
        expect(region).to_have_value("eu-west")
        field(kit, "keys").locator("select").select_option(["0", "2"])
        field(kit, "toggles").get_by_label("Backups").check()
        field(kit, "mode").get_by_label("Some").check()
        field(kit, "when").locator("input").fill("2026-12-01")
        choose(kit, "who", "Cleo")
        kit.get_by_role("button", name="More actions").click()
        kit.get_by_role("menuitem", name="B").click()
        press(kit, "Save")
        expect(modal(page)).to_have_count(0)

    assert "eu" in fake.queries and "e" not in fake.queries  # min_query_length 2
    assert fake.actions[0]["type"] == "overflow"
    assert fake.actions[0]["selected_option"]["value"] == "b"
    values = fake.submitted[0]
    assert values["notes"]["notes"] == {"type": "plain_text_input", "value": "line one\nline two"}
    assert values["count"]["count"] == {"type": "number_input", "value": "3"}
    assert values["size"]["size"]["selected_option"]["value"] == "l1"
    assert values["region"]["region"] == {
        "type": "external_select",
        "selected_option": {"text": _text("eu-west"), "value": "eu-west"},
    }
    assert [o["value"] for o in values["keys"]["keys"]["selected_options"]] == ["k1", "k3"]
    assert [o["value"] for o in values["toggles"]["toggles"]["selected_options"]] == [
        "backups",
        "ipv6",
    ]
    assert values["mode"]["mode"]["selected_option"]["value"] == "some"
    assert values["when"]["when"] == {"type": "datepicker", "selected_date": "2026-12-01"}
    assert values["who"]["who"] == {"type": "users_select", "selected_user": "U0CLEO0003"}
