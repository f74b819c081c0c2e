"""No secret leaks anywhere a create touches (issue 10).

Three creates against the sandbox: Linode and DigitalOcean with a generated root
password, and Linode with a StackScript whose fields include a database password.
Then every place a secret could end up is scanned for the root passwords, the
StackScript secret, the provider tokens, the Slack tokens and signing secret and
the encryption keys:

- every Slack Web API call the bot made and every post to a response_url; the one
  exception is the ephemeral message that shows a generated root password to its
  owner, which must happen exactly once per create;
- every HTTP answer the bot gave Slack (acks, modal updates);
- the log: records at INFO and above as they are, DEBUG ones after the
  production redactor (``bot.core.logs``), as a DEBUG-level deployment prints them;
- a ``pg_dump`` of the database.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

import pytest

from bot.core.logs import redactor
from db.embedded import bundled_program
from standins.playground.slack_client import Response
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, USER, Bot
from tests.e2e.session import CreateSession

WORDPRESS = "401697"
DB_SECRET = "Db-Secret-Kept-7781"
_SHOWN = re.compile(r"Root password for \*[^*]+\*: `([^`]+)`")


class Recorder:
    """Every HTTP answer the bot gives the (stand-in) Slack sender."""

    def __init__(self, bot: Bot) -> None:
        self.answers: list[Response] = []
        post = bot.slack._post

        async def recording(body: str, headers: dict[str, str]) -> Response:
            response = await post(body, headers)
            self.answers.append(response)
            return response

        bot.slack._post = recording  # type: ignore[method-assign]


@pytest.fixture
def answers(bot: Bot) -> Recorder:
    return Recorder(bot)


async def _finish(user: CreateSession) -> str:
    """Submit the review; the root password shown to the user once."""
    bot = user.bot
    mark = bot.api.mark()
    await user.submit({})
    shown = await bot.api.wait_for_call("chat.postEphemeral", after=mark)
    await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
    )
    assert shown.args["user"] == USER
    found = _SHOWN.search(str(shown.args["text"]))
    assert found, shown.args
    return found.group(1)


async def _create_linode(bot: Bot, label: str, script: str | None) -> str:
    user = CreateSession(bot)
    await user.open(label)
    response = await user.plan_step("linode", "g6-nanode-1", "us-east", label=label)
    assert response.data["view"]["callback_id"] == "vps_create:deployment"
    if script is None:
        picked = {"deployment": {"create_deployment_pick": sv.static_select("none")}}
        response = await user.submit(picked)
    else:
        await user.pick_script(script)
        response = await user.submit(
            {
                "deployment": {"create_deployment_pick": sv.static_select(script)},
                "udf:soa_email_address": {"udf:soa_email_address": sv.plain_text("me@example.com")},
                "udf:webserver_stack": {"udf:webserver_stack": sv.static_select("LAMP")},
                "udf:site_title": {"udf:site_title": sv.plain_text("Blog")},
                "udf:db_password": {"udf:db_password": sv.plain_text(DB_SECRET)},
            }
        )
    assert response.data["view"]["callback_id"] == "vps_create:image", response.data
    response = await user.submit({"image": {"image": sv.static_select("linode/debian12")}})
    assert response.data["view"]["callback_id"] == "vps_create:config"
    response = await user.submit({"password": {"password": sv.plain_text("")}})
    assert response.data["view"]["callback_id"] == "vps_create:review"
    return await _finish(user)


async def _create_droplet(bot: Bot, label: str) -> str:
    user = CreateSession(bot)
    await user.open(label)
    response = await user.plan_step("digitalocean", "s-1vcpu-1gb", "nyc3", label=label)
    assert response.data["view"]["callback_id"] == "vps_create:deployment"
    response = await user.submit({"deployment": {"deployment": sv.static_select("wordpress")}})
    assert response.data["view"]["callback_id"] == "vps_create:config"
    response = await user.submit({"password": {"password": sv.plain_text("")}})
    assert response.data["view"]["callback_id"] == "vps_create:review"
    return await _finish(user)


async def _pg_dump(database_url: str) -> str:
    # the bundled pg_dump: it reads the embedded server (PostgreSQL 18) and the
    # machine's own older one alike, where the pg_dump on PATH may be older
    process = await asyncio.create_subprocess_exec(
        str(bundled_program("pg_dump")),
        "--no-owner",
        f"--dbname={database_url}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode(errors="replace")
    dump = out.decode(errors="replace")
    assert "COPY public.vps_instances" in dump  # the dump really holds the data
    return dump


def _log_text(records: list[logging.LogRecord]) -> str:
    """The log as a deployment would print it: DEBUG through the redactor."""
    lines = []
    for record in records:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        if record.levelno < logging.INFO:
            message = redactor.redact(message)
        lines.append(message)
    return "\n".join(lines)


class Places:
    """Everywhere a secret could have gone, as text, by name."""

    def __init__(self, bot: Bot, answers: Recorder, logs: list[logging.LogRecord], dump: str):
        self.calls = [(c.method, str(c.args)) for c in bot.api.calls]
        self.responses = [str(r.payload) for r in bot.api.responses]
        self.answers = [a.body for a in answers.answers]
        self.log = _log_text(logs)
        self.dump = dump
        # each place was really watched
        assert self.calls and self.answers and self.log and self.dump

    def leaks(self, secret: str, *, allowed: Callable[[str, str], bool] | None = None) -> list[str]:
        found = [
            f"Slack call {method}"
            for method, args in self.calls
            if secret in args and not (allowed and allowed(method, args))
        ]
        found += ["response_url post" for text in self.responses if secret in text]
        found += ["HTTP answer to Slack" for text in self.answers if secret in text]
        found += ["log"] if secret in self.log else []
        found += ["pg_dump"] if secret in self.dump else []
        return found


def _always_secret(bot: Bot, fernet_keys: list[str]) -> dict[str, str]:
    return {
        **{f"{t} token": token for t, token in bot.sandbox.tokens.items()},
        "bot token": BOT_TOKEN,
        "signing secret": SIGNING_SECRET,
        **{f"encryption key {i}": key for i, key in enumerate(fernet_keys)},
    }


def _shown_once(password: str) -> Callable[[str, str], bool]:
    return lambda method, args: method == "chat.postEphemeral" and password in args


async def test_generated_root_passwords_are_shown_once_and_kept_nowhere(
    bot: Bot,
    answers: Recorder,
    captured_logs: pytest.LogCaptureFixture,
    database_url: str,
    fernet_keys: list[str],
) -> None:
    passwords = {
        "linode": await _create_linode(bot, "sec-linode", None),
        "digitalocean": await _create_droplet(bot, "sec-droplet"),
    }
    assert len(set(passwords.values())) == 2 and all(len(p) >= 16 for p in passwords.values())
    places = Places(bot, answers, captured_logs.records, await _pg_dump(database_url))

    leaks = {}
    for type_, password in passwords.items():
        shown = [m for m, args in places.calls if password in args]
        assert shown == ["chat.postEphemeral"], f"{type_} root password shown in {shown}"
        leaks[f"{type_} root password"] = places.leaks(password, allowed=_shown_once(password))
    leaks |= {name: places.leaks(s) for name, s in _always_secret(bot, fernet_keys).items()}
    assert {name: where for name, where in leaks.items() if where} == {}


async def test_a_stackscript_secret_field_is_kept_nowhere(
    bot: Bot,
    answers: Recorder,
    captured_logs: pytest.LogCaptureFixture,
    database_url: str,
    fernet_keys: list[str],
) -> None:
    password = await _create_linode(bot, "sec-wordpress", WORDPRESS)
    places = Places(bot, answers, captured_logs.records, await _pg_dump(database_url))

    leaks = {"root password": places.leaks(password, allowed=_shown_once(password))}
    leaks |= {name: places.leaks(s) for name, s in _always_secret(bot, fernet_keys).items()}
    leaks["StackScript db_password"] = places.leaks(DB_SECRET)
    assert {name: where for name, where in leaks.items() if where} == {}
