"""Services for unit tests: as many replicas as a test needs on one database,
with Slack replaced by a recording mock (no call leaves the machine)."""

from __future__ import annotations

from unittest.mock import AsyncMock

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.config import Settings
from bot.core.services import Services

__all__ = ["replica"]


def replica(database_url: str, fernet_keys: list[str], *, admins: str = "") -> Services:
    """One process's services; ``services.slack`` is an ``AsyncMock`` that answers
    ``chat.postMessage`` with a ts."""
    settings = Settings(
        slack_bot_token="xoxb-unit-test",
        slack_signing_secret="unit-test-signing-secret",
        slack_api_url="http://127.0.0.1:9/api/",
        database_url=database_url,
        vpsbot_encryption_keys=",".join(fernet_keys),
        vpsbot_admins=admins,
        _env_file=None,
    )
    services = Services.build(settings, database_url=database_url)
    slack = AsyncMock(spec=AsyncWebClient)
    slack.chat_postMessage.return_value = {"ok": True, "ts": "1700000000.000100", "channel": "C1"}
    slack.views_publish.return_value = {"ok": True}
    services.slack = slack
    return services
