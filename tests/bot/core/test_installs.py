"""The sealed, cached installation store on a real PostgreSQL (migration 0008),
and its cache dropped across replicas when a workspace uninstalls."""

from __future__ import annotations

import asyncio

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text

from bot.core.config import Settings
from bot.core.services import Services
from db.engine import Database


def _settings(database_url: str, keys: list[str]) -> Settings:
    return Settings(
        slack_client_id="1111.2222",
        slack_client_secret="client-secret",
        slack_signing_secret="signing",
        database_url=database_url,
        vpsbot_encryption_keys=",".join(keys),
        _env_file=None,
    )


def _installation(team_id: str, token: str) -> Installation:
    return Installation(
        app_id="A0001",
        enterprise_id=None,
        team_id=team_id,
        team_name=f"team {team_id}",
        bot_token=token,
        bot_id="B0001",
        bot_user_id="U0BOT",
        bot_scopes="commands,chat:write",
        user_id="UINSTALL",
        user_token="xoxp-user-token-123",
    )


async def test_tokens_are_sealed_at_rest_and_read_back(
    db: Database, database_url: str, fernet_keys: list[str]
) -> None:
    services = Services.build(_settings(database_url, fernet_keys), database_url=database_url)
    store = services.installations
    assert store is not None
    try:
        await store.async_save(_installation("T0A", "xoxb-secret-token-a"))
        async with db.engine.connect() as conn:
            stored = [
                tuple(r)
                for r in await conn.execute(
                    text(
                        "SELECT bot_token, user_token FROM slack_installations "
                        "UNION ALL SELECT bot_token, NULL FROM slack_bots"
                    )
                )
            ]
        assert len(stored) == 2
        for values in stored:
            for value in values:
                assert value is None or (value.startswith("gA") and "xox" not in value)
        bot = await store.async_find_bot(enterprise_id=None, team_id="T0A")
        assert bot is not None and bot.bot_token == "xoxb-secret-token-a"
        found = await store.async_find_installation(
            enterprise_id=None, team_id="T0A", user_id="UINSTALL"
        )
        assert found is not None
        assert (found.bot_token, found.user_token) == ("xoxb-secret-token-a", "xoxp-user-token-123")
        reads = store.bot_reads
        for _ in range(3):
            assert await store.async_find_bot(enterprise_id=None, team_id="T0A") is not None
        assert store.bot_reads == reads
        assert await store.async_find_bot(enterprise_id=None, team_id="T0B") is None
    finally:
        await services.aclose()


async def test_an_uninstall_on_one_replica_drops_the_others_cached_token(
    db: Database, database_url: str, fernet_keys: list[str]
) -> None:
    settings = _settings(database_url, fernet_keys)
    one = Services.build(settings, database_url=database_url)
    two = Services.build(settings, database_url=database_url)
    await one.start()
    await two.start()
    try:
        assert one.installations is not None and two.installations is not None
        await one.installations.async_save(_installation("T0A", "xoxb-token-a"))
        client = await two.slack_for("T0A")
        assert client is not None and client.token == "xoxb-token-a"
        reads = two.installations.bot_reads
        await one.installations.async_delete_bot(enterprise_id=None, team_id="T0A")
        for _ in range(100):  # the trigger's NOTIFY reaches the other replica
            if await two.slack_for("T0A") is None:
                break
            await asyncio.sleep(0.02)
        assert await two.slack_for("T0A") is None
        assert two.installations.bot_reads > reads  # it read again, found nothing
    finally:
        await one.aclose()
        await two.aclose()
