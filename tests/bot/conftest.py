"""Fixtures for calling listeners directly: a real :class:`Services` on the test
database (Slack pointed at a port where nothing listens, so no call can leave),
a fake Slack client, and Bolt's context for a given user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from unittest.mock import AsyncMock

import pytest
from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.config import Settings
from bot.core.services import Services
from db.engine import Database

TEAM = "T0001"
ADMIN = "UADMIN01"
MEMBER = "UMEMBER1"


@pytest.fixture
async def services(
    db: Database, database_url: str, fernet_keys: list[str]
) -> AsyncIterator[Services]:
    settings = Settings(
        slack_bot_token="xoxb-unit-test",
        slack_signing_secret="unit-test-signing-secret",
        slack_api_url="http://127.0.0.1:9/api/",  # nothing listens: no call may leave
        database_url=database_url,
        vpsbot_encryption_keys=",".join(fernet_keys),
        vpsbot_admins=ADMIN,
        _env_file=None,
    )
    built = Services.build(settings, database_url=database_url)
    built.admin_verdicts[(TEAM, MEMBER)] = False  # what users.info would say
    yield built
    await built.aclose()


@pytest.fixture
def client() -> AsyncMock:
    fake = AsyncMock(spec=AsyncWebClient)
    fake.views_push.return_value = {"ok": True, "view": {"id": "VPUSHED1"}}
    fake.views_open.return_value = {"ok": True, "view": {"id": "VOPENED1"}}
    return fake


def context(user: str = ADMIN, team: str = TEAM) -> AsyncBoltContext:
    """Bolt's context as its middleware fills it from a request by ``user``."""
    return AsyncBoltContext({"team_id": team, "user_id": user})
