"""Runtime configuration from the environment (and an optional ``.env``).

Every value is checked at start-up; a wrong one stops the process with one line
that names the variable (:class:`ConfigError`), never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.errors import ConfigError

__all__ = ["Settings", "load_settings"]

_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
_LOG_FORMATS = ("text", "json")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CLIENT_ID = re.compile(r"^[0-9]+\.[0-9]+$")


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


class Settings(BaseSettings):
    """vpsbot settings; field names match the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    #: OAuth mode (install to many workspaces): set both instead of SLACK_BOT_TOKEN.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    #: Where Slack sends the browser back after an install (default: derived by Bolt
    #: from the app's settings at Slack); must match the manifest's redirect URL.
    slack_redirect_uri: str | None = None
    #: Slack's own OAuth pages (tests point it at the stand-in).
    slack_authorize_url: str = "https://slack.com/oauth/v2/authorize"
    database_url: str | None = None
    vpsbot_data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("vpsbot"))
    )
    vpsbot_encryption_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    vpsbot_admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    vpsbot_notify_channel: str | None = None
    #: API endpoints besides each type's official one that a provider added from Slack
    #: may use, comma-separated base URLs (a bare host means https://host); their
    #: origins may also be private addresses. Empty: Slack offers the official APIs only.
    vpsbot_provider_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: str = "INFO"
    #: ``text`` (one line per record, for people) or ``json`` (one object per line,
    #: every structured field, for log collectors)
    log_format: str = "text"
    #: serve ``/metrics`` on its own port too (kept off the Slack-facing listener)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        _check_http_url(value)
        return value if value.endswith("/") else value + "/"

    @field_validator("slack_client_id")
    @classmethod
    def _client_id(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not _CLIENT_ID.match(value):
            raise ValueError("is not a Slack client ID (like 1234567890.1234567890)")
        return value

    @field_validator("slack_redirect_uri", "slack_authorize_url")
    @classmethod
    def _oauth_urls(cls, value: str | None) -> str | None:
        return _check_http_url(value) if value else None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = urlsplit(value).scheme
        if not scheme.startswith("postgres"):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("vpsbot_encryption_keys", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("vpsbot_encryption_keys")
    @classmethod
    def _keys_valid(cls, value: list[SecretStr]) -> list[SecretStr]:
        from cryptography.fernet import Fernet

        for position, key in enumerate(value, start=1):
            try:
                Fernet(key.get_secret_value().encode())
            except (ValueError, TypeError):
                raise ValueError(
                    f"key #{position} is not a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        return value

    @field_validator("vpsbot_provider_hosts", mode="before")
    @classmethod
    def _provider_hosts(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("vpsbot_provider_hosts")
    @classmethod
    def _provider_hosts_valid(cls, value: list[str]) -> list[str]:
        urls = []
        for entry in value:
            url = entry if "://" in entry else f"https://{entry}"
            parts = urlsplit(url)
            try:
                parts.port  # noqa: B018 - a bad port raises here
            except ValueError:
                raise ValueError(f"{entry!r} has a bad port") from None
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{entry!r} is not a host or an http(s) URL")
            if parts.query or parts.fragment or parts.username or parts.password:
                raise ValueError(f"{entry!r}: a base URL without query, fragment or user")
            url = url.rstrip("/")
            if url not in urls:
                urls.append(url)
        return urls

    @field_validator("vpsbot_admins", mode="before")
    @classmethod
    def _admins(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("vpsbot_admins")
    @classmethod
    def _admins_valid(cls, value: list[str]) -> list[str]:
        for user in value:
            if not _SLACK_ID.match(user):
                raise ValueError(f"{user!r} is not a Slack user ID (like U012ABCDEF)")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in _LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
        return upper

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        lower = value.strip().lower()
        if lower not in _LOG_FORMATS:
            raise ValueError(f"must be one of {', '.join(_LOG_FORMATS)}")
        return lower

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _metrics_port(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def oauth(self) -> bool:
        """Installed to many workspaces through OAuth (else one bot token)."""
        return self.slack_client_id is not None or self.slack_client_secret is not None

    def slack_mode_conflict(self) -> str | None:
        """One line when the Slack variables mix the two modes, else None."""
        if self.oauth and self.slack_bot_token is not None:
            return (
                "SLACK_BOT_TOKEN: not used with SLACK_CLIENT_ID/SLACK_CLIENT_SECRET "
                "(set the token for one workspace, or the client pair for OAuth installs)"
            )
        if self.oauth and self.slack_app_token is not None:
            return "SLACK_APP_TOKEN: Socket Mode serves one workspace; unset it for OAuth installs"
        return None

    def missing_slack(self) -> list[str]:
        """The Slack variables ``serve`` needs but does not have."""
        missing = []
        if self.oauth:
            if self.slack_client_id is None:
                missing.append("SLACK_CLIENT_ID")
            if self.slack_client_secret is None:
                missing.append("SLACK_CLIENT_SECRET")
        elif self.slack_bot_token is None:
            missing.append("SLACK_BOT_TOKEN")
        if self.slack_signing_secret is None:
            missing.append("SLACK_SIGNING_SECRET")
        return missing


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        variable = str(error["loc"][0]).upper() if error["loc"] else "configuration"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{variable}: {message}") from None
