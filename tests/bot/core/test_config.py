"""Configuration: each bad variable fails with one line that names it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from bot.core.config import load_settings
from bot.core.errors import ConfigError

_ENV = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "DATABASE_URL",
    "VPSBOT_DATA_DIR",
    "VPSBOT_ENCRYPTION_KEYS",
    "VPSBOT_ADMINS",
    "VPSBOT_NOTIFY_CHANNEL",
    "VPSBOT_PROVIDER_HOSTS",
    "HOST",
    "PORT",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "METRICS_PORT",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PORT", "eighty", "PORT:"),
        ("PORT", "70000", "PORT:"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL: must be an http(s) URL"),
        ("DATABASE_URL", "mysql://db/x", "DATABASE_URL: must be a postgresql:// URL"),
        ("VPSBOT_ENCRYPTION_KEYS", "not-a-key", "VPSBOT_ENCRYPTION_KEYS: key #1 is not a Fernet"),
        ("VPSBOT_ADMINS", "alice", "VPSBOT_ADMINS: 'alice' is not a Slack user ID"),
        ("LOG_LEVEL", "chatty", "LOG_LEVEL: must be one of"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT: must be one of text, json"),
        ("METRICS_PORT", "0", "METRICS_PORT:"),
        ("METRICS_PORT", "nine", "METRICS_PORT:"),
        ("VPSBOT_PROVIDER_HOSTS", "ftp://proxy", "VPSBOT_PROVIDER_HOSTS: 'ftp://proxy' is not"),
        ("VPSBOT_PROVIDER_HOSTS", "https://p:99999", "VPSBOT_PROVIDER_HOSTS: 'https://p:99999'"),
        ("VPSBOT_PROVIDER_HOSTS", "https://p/?x=1", "VPSBOT_PROVIDER_HOSTS: 'https://p/?x=1'"),
    ],
)
def test_bad_variable_names_itself(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_second_key_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VPSBOT_ENCRYPTION_KEYS", f"{Fernet.generate_key().decode()},bad")
    with pytest.raises(ConfigError, match="key #2"):
        load_settings()


def test_defaults_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    monkeypatch.setenv("VPSBOT_ENCRYPTION_KEYS", ",".join(keys))
    monkeypatch.setenv("VPSBOT_ADMINS", "U01AAA, W02BBB")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    settings = load_settings()
    assert settings.port == 3000
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert [k.get_secret_value() for k in settings.vpsbot_encryption_keys] == keys
    assert settings.vpsbot_admins == ["U01AAA", "W02BBB"]
    assert settings.embedded_database
    assert settings.missing_slack() == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]


def test_secrets_do_not_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cr3t-signing-value")
    settings = load_settings()
    assert "s3cr3t-signing-value" not in repr(settings)


def test_cli_prints_one_line_for_bad_port(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"PATH": "/usr/bin:/bin", "PORT": "abc", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "vpsbot: error: PORT: Input should be a valid integer, unable to parse string as an integer"
    ]
    assert "Traceback" not in result.stderr


def test_cli_serve_with_half_the_slack_credentials(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # with none at all, serve starts the playground instead (tests/standins/playground/)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SLACK_SIGNING_SECRET": "s3cret"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "missing SLACK_BOT_TOKEN:" in lines[0] and "s3cret" not in lines[0]
    assert "manifest.yml" in lines[0]


def test_log_format_and_metrics_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (load_settings().log_format, load_settings().metrics_port) == ("text", None)
    monkeypatch.setenv("LOG_FORMAT", " JSON ")
    monkeypatch.setenv("METRICS_PORT", "9102")
    settings = load_settings()
    assert (settings.log_format, settings.metrics_port) == ("json", 9102)
    monkeypatch.setenv("METRICS_PORT", "")
    assert load_settings().metrics_port is None


def test_oauth_mode_needs_the_client_pair_and_the_signing_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "1234567890.987654321")
    settings = load_settings()
    assert settings.oauth
    assert settings.missing_slack() == ["SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET"]
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret-value")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing")
    settings = load_settings()
    assert settings.missing_slack() == [] and settings.slack_mode_conflict() is None
    assert "client-secret-value" not in repr(settings)


def test_a_bad_client_id_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "not-an-id")
    with pytest.raises(ConfigError, match=r"^SLACK_CLIENT_ID: is not a Slack client ID"):
        load_settings()
    monkeypatch.setenv("SLACK_CLIENT_ID", "1.2")
    monkeypatch.setenv("SLACK_REDIRECT_URI", "ftp://x")
    with pytest.raises(ConfigError, match=r"^SLACK_REDIRECT_URI: must be an http\(s\) URL"):
        load_settings()


def test_cli_refuses_a_bot_token_beside_the_oauth_pair(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-should-not-print",
        "SLACK_CLIENT_ID": "1.2",
        "SLACK_CLIENT_SECRET": "client-secret-should-not-print",
        "SLACK_SIGNING_SECRET": "s",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vpsbot: error: SLACK_BOT_TOKEN: not used with")
    assert "should-not-print" not in result.stderr + result.stdout


def test_provider_hosts_are_base_urls_and_empty_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().vpsbot_provider_hosts == []
    monkeypatch.setenv(
        "VPSBOT_PROVIDER_HOSTS",
        "do-proxy.corp.example, http://127.0.0.1:3001/digitalocean/,do-proxy.corp.example",
    )
    assert load_settings().vpsbot_provider_hosts == [
        "https://do-proxy.corp.example",
        "http://127.0.0.1:3001/digitalocean",
    ]
