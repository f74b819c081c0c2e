"""No secret reaches a log record: a whole provider run captured at DEBUG, and
unit tests of :class:`bot.core.logs.SecretRedactor`."""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import pytest
import stamina

from bot.admin import service as admin_ops
from bot.core.config import Settings
from bot.core.logs import REDACTED, SecretRedactor
from bot.core.services import Services
from db.engine import Database
from providers.digitalocean import cloud_config_for_password
from providers.errors import CredentialsError, OutageError, ProviderError, ValidationError
from providers.models import CreateRequest
from standins.sandbox import Sandbox

DO_TOKEN = "dop_v1_redaction0123456789abcdefSECRET"
LI_TOKEN = "linode-redaction-SECRET-9876543210"
WRONG_TOKEN = "dop_v1_wrong-token-SECRET-55555"
SLACK_TOKEN = "xoxb-1111-2222-redactionSECRET"
SIGNING_SECRET = "signing-secret-redaction-SECRET"
LI_PASSWORD = "Li-Root-Pass-SECRET-42!"
LI_REBUILD_PASSWORD = "Li-Rebuild-SECRET-77?"
DO_PASSWORD = "Do-Root-Pass-SECRET-99#"
SCRIPT_SECRET = "Db-Pass-SECRET-31337"


# ------------------------------------------------------------------ full run


@pytest.fixture
def fast_retries() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3, cap=True):
        yield


@pytest.fixture
async def sandbox(fast_retries: None) -> AsyncIterator[Sandbox]:
    box = Sandbox(do_token=DO_TOKEN, linode_token=LI_TOKEN, linode_create_limit=None)
    await box.start()
    yield box
    await box.stop()


@pytest.fixture
async def services(
    db: Database, database_url: str, fernet_keys: list[str]
) -> AsyncIterator[Services]:
    settings = Settings(
        slack_bot_token=SLACK_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url="http://127.0.0.1:9/api/",
        database_url=database_url,
        vpsbot_encryption_keys=",".join(fernet_keys),
        _env_file=None,
    )
    built = Services.build(settings, database_url=database_url)
    yield built
    await built.aclose()


def _record_texts(record: logging.LogRecord) -> list[str]:
    """Everything a handler could print from ``record``."""
    texts = [record.getMessage(), repr(record.msg), repr(record.args), record.exc_text or ""]
    if record.exc_info and record.exc_info[1] is not None:
        texts.append("".join(traceback.format_exception(record.exc_info[1])))
    standard = logging.makeLogRecord({}).__dict__
    texts.extend(repr(v) for k, v in record.__dict__.items() if k not in standard)
    return texts


async def test_a_full_provider_run_logs_no_secret(
    services: Services, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = {
        "DigitalOcean token": DO_TOKEN,
        "Linode token": LI_TOKEN,
        "rejected token": WRONG_TOKEN,
        "Slack token": SLACK_TOKEN,
        "signing secret": SIGNING_SECRET,
        "Linode root password": LI_PASSWORD,
        "Linode rebuild password": LI_REBUILD_PASSWORD,
        "DigitalOcean root password": DO_PASSWORD,
        "StackScript secret": SCRIPT_SECRET,
        "DigitalOcean user_data": cloud_config_for_password(DO_PASSWORD),
        "user_data password line": f"root:{DO_PASSWORD}",
    }

    # Adding providers: one rejected token, two good ones, plans imported.
    with pytest.raises(CredentialsError):
        await admin_ops.add_provider(
            services,
            type="digitalocean",
            name="bad",
            token=WRONG_TOKEN,
            api_url=sandbox.digitalocean_url,
            trusted=True,
        )
    do_row = await admin_ops.add_provider(
        services,
        type="digitalocean",
        name="do",
        token=DO_TOKEN,
        api_url=sandbox.digitalocean_url,
        trusted=True,
    )
    li_row = await admin_ops.add_provider(
        services, type="linode", name="li", token=LI_TOKEN, api_url=sandbox.linode_url, trusted=True
    )
    for name in ("do", "li"):
        await admin_ops.import_plans(services, name, admin_ops.Markup(percent=Decimal(10)))
    do = services.provider_for(do_row)
    li = services.provider_for(li_row)
    for provider in (do, li):
        provider.inner.lost_create_delay = 0  # type: ignore[attr-defined]
    li.inner.event_lookup_delay = 0  # type: ignore[attr-defined]

    # Creates with passwords: a Linode (root_pass + StackScript data) and a
    # droplet (password -> user_data), the droplet's answer lost on the way back.
    linode = await li.create_instance(
        CreateRequest(
            label="redaction-li",
            region="us-east",
            plan="g6-nanode-1",
            image="linode/ubuntu24.04",
            tag="vpsbot-redact-li",
            root_password=LI_PASSWORD,
            deployment_id="401697",
            deployment_data={"soa_email_address": "a@example.com", "db_password": SCRIPT_SECRET},
        )
    )
    sandbox.inject("digitalocean", method="POST", path="/v2/droplets", lose_response=True)
    droplet = await do.create_instance(
        CreateRequest(
            label="redaction-do",
            region="nyc3",
            plan="s-1vcpu-1gb",
            image="ubuntu-24-04-x64",
            tag="vpsbot-redact-do",
            root_password=DO_PASSWORD,
        )
    )
    [stored] = [d for d in sandbox.do.droplets.values() if "vpsbot-redact-do" in d.tags]
    assert stored.user_data == cloud_config_for_password(DO_PASSWORD)  # it was sent

    # Actions, a rebuild with a new password, and errors of every kind.
    sandbox.advance(60)
    await li.perform_action(linode.id, "reboot")
    await do.perform_action(droplet.id, "reboot")
    sandbox.advance(60)
    await li.perform_action(
        linode.id, "rebuild", image="linode/debian12", root_password=LI_REBUILD_PASSWORD
    )
    sandbox.inject("linode", method="GET", status=503, count=0)
    with pytest.raises(OutageError):
        await li.get_instance(linode.id)
    sandbox.clear_faults()
    with pytest.raises(ValidationError):
        await do.create_instance(
            CreateRequest(
                label="redaction-bad",
                region="nyc3",
                plan="no-such-size",
                image="ubuntu-24-04-x64",
                tag="vpsbot-redact-bad",
                root_password=DO_PASSWORD,
            )
        )
    with pytest.raises(ValidationError):  # refused locally: the password is too weak
        await li.create_instance(
            CreateRequest(
                label="redaction-weak",
                region="us-east",
                plan="g6-nanode-1",
                image="linode/ubuntu24.04",
                tag="vpsbot-redact-weak",
                root_password="weak",
            )
        )
    try:
        await do.get_instance("999")
    except ProviderError:
        logging.getLogger("tests.redaction").exception("lookup failed")
    await li.delete_instance(linode.id)
    await do.delete_instance(droplet.id)

    assert len(caplog.records) > 20, "the run was logged"
    levels = {r.levelno for r in caplog.records}
    assert logging.WARNING in levels and logging.INFO in levels
    for record in caplog.records:
        for text in _record_texts(record):
            for what, secret in secrets.items():
                assert secret not in text, f"{what} in a {record.name} record: {text[:300]}"


# ------------------------------------------------------------------ SecretRedactor


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("t", logging.WARNING, __file__, 1, msg, args or None, exc_info)


def test_registered_secrets_are_masked_longest_first() -> None:
    redactor = SecretRedactor()
    redactor.add("abcdef", "abcdefghij", None, "", "short")
    assert redactor.redact("x abcdefghij y abcdef z") == f"x {REDACTED} y {REDACTED} z"
    # Under 6 characters a "secret" would mask ordinary words: ignored.
    assert redactor.redact("short") == "short"


@pytest.mark.parametrize(
    "text",
    [
        # assembled here so no token-shaped literal sits in the repository
        "token " + "xoxb-" + "1234567890-abcdefABCDEF in a message",
        "app token " + "xapp-" + "1-A0123-456789-abcdef",
        "user token " + "xoxp-" + "99999999-abcdef",
    ],
)
def test_slack_token_shapes_are_masked_unregistered(text: str) -> None:
    cleaned = SecretRedactor().redact(text)
    assert REDACTED in cleaned
    assert not any(word.startswith(("xox", "xapp-")) for word in cleaned.split())


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("root_pass=Hunter2-Secret", "Hunter2-Secret"),
        ('{"root_pass": "Hunter2-Secret"}', "Hunter2-Secret"),
        ("{'root_password': 'Hunter2-Secret'}", "Hunter2-Secret"),
        ("password: Hunter2-Secret", "Hunter2-Secret"),
        ("api_key=abc123SECRET", "abc123SECRET"),
        ('Token = "abc123SECRET"', "abc123SECRET"),
        # Quoted values with separators inside are masked whole, not up to the comma.
        ('{"root_pass": "Hun,ter 2}Secret"}', "ter 2}Secret"),
        ("{'password': 'a b,c'}", "b,c"),
        (repr({"user_data": cloud_config_for_password("Pw-SECRET-1!")}), "Pw-SECRET-1!"),
        (cloud_config_for_password("Pw-SECRET-2!"), "Pw-SECRET-2!"),
    ],
)
def test_secret_fields_are_masked_unregistered(text: str, secret: str) -> None:
    cleaned = SecretRedactor().redact(text)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_ordinary_text_is_left_alone() -> None:
    text = "DigitalOcean GET /v2/droplets/{id} -> 200 in 12 ms (request_id=abc-123)"
    assert SecretRedactor().redact(text) == text


def test_filter_formats_args_then_masks() -> None:
    redactor = SecretRedactor()
    redactor.add("s3cr3t-value")
    record = _record("created %s with %s", "server-1", "s3cr3t-value")
    assert redactor.filter(record) is True  # records are masked, never dropped
    assert record.getMessage() == f"created server-1 with {REDACTED}"
    assert record.args is None


def test_filter_masks_the_exception_text() -> None:
    redactor = SecretRedactor()
    redactor.add("s3cr3t-value")
    try:
        raise RuntimeError("the token s3cr3t-value was refused")
    except RuntimeError as exc:
        record = _record("call failed", exc=exc)
    redactor.filter(record)
    assert record.exc_text is not None
    assert "s3cr3t-value" not in record.exc_text
    assert REDACTED in record.exc_text
    assert "RuntimeError" in record.exc_text
    handler_output = logging.Formatter().format(record)
    assert "s3cr3t-value" not in handler_output


def test_filter_leaves_clean_records_unchanged() -> None:
    record = _record("nothing %s here", "secret-free")
    SecretRedactor().filter(record)
    assert record.getMessage() == "nothing secret-free here"


def test_configure_logging_puts_every_line_behind_the_redactor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.core.logs import configure_logging, redactor

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("DEBUG")
        redactor.add("registered-secret-123")
        logging.getLogger("tests.redaction").warning(
            "token %s and root_pass=%s", "registered-secret-123", "Unregistered-99"
        )
        err = capsys.readouterr().err
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    line = next(line for line in err.splitlines() if "tests.redaction" in line)
    assert "registered-secret-123" not in line and "Unregistered-99" not in line
    assert line.count(REDACTED) == 2
