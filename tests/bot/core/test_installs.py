"""The sealed, cached installation store on a real PostgreSQL (migration 0008),
its cache dropped across replicas when a workspace uninstalls, and the bounded
cache of Bolt's ``auth.test`` answers it keeps beside it."""

from __future__ import annotations

import asyncio

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text

from bot.core.cache import TtlCache
from bot.core.config import Settings
from bot.core.installs import AUTHORIZE_SECONDS, forget_answers
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
        two.installations.authorized["xoxb-token-a"] = _answer("T0A")
        two.installations.authorized["xoxb-token-b"] = _answer("T0B")
        await one.installations.async_delete_bot(enterprise_id=None, team_id="T0A")
        for _ in range(100):  # the trigger's NOTIFY reaches the other replica
            if await two.slack_for("T0A") is None:
                break
            await asyncio.sleep(0.02)
        assert await two.slack_for("T0A") is None
        assert two.installations.bot_reads > reads  # it read again, found nothing
        # Bolt's auth.test answer for the workspace went with it; the other stayed
        assert "xoxb-token-a" not in two.installations.authorized
        assert "xoxb-token-b" in two.installations.authorized
    finally:
        await one.aclose()
        await two.aclose()


def _answer(team_id: str | None, enterprise_id: str | None = None) -> AuthorizeResult:
    return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-x")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_auth_test_answer_is_trusted_for_its_time_only() -> None:
    clock = Clock()
    cache: TtlCache[str, AuthorizeResult] = TtlCache(ttl=600, maxsize=100, timer=clock)
    cache["xoxb-a"] = _answer("T0A")
    clock.now += 599
    assert "xoxb-a" in cache
    assert cache["xoxb-a"].team_id == "T0A"  # what Bolt reads right after asking
    clock.now += 1
    assert "xoxb-a" not in cache  # Slack is asked again: a revoked token is caught
    assert len(cache) == 0
    cache["xoxb-a"] = _answer("T0A")  # stored again, trusted afresh
    clock.now += 300
    assert "xoxb-a" in cache


def test_the_cache_keeps_at_most_maxsize_answers_oldest_out_first() -> None:
    clock = Clock()
    cache: TtlCache[str, AuthorizeResult] = TtlCache(ttl=AUTHORIZE_SECONDS, maxsize=3, timer=clock)
    for n in range(10):
        cache[f"xoxb-{n}"] = _answer(f"T{n}")
        clock.now += 1
    assert sorted(cache) == ["xoxb-7", "xoxb-8", "xoxb-9"]
    cache["xoxb-7"] = _answer("T7")  # stored again: now the newest
    cache["xoxb-new"] = _answer("TNEW")
    assert sorted(cache) == ["xoxb-7", "xoxb-9", "xoxb-new"]


def test_forgetting_a_workspace_or_an_org_drops_only_its_answers() -> None:
    cache: TtlCache[str, AuthorizeResult] = TtlCache(ttl=AUTHORIZE_SECONDS, maxsize=100)
    cache["xoxb-a"] = _answer("T0A")
    cache["xoxb-b"] = _answer("T0B")
    cache["xoxb-grid"] = _answer("T0G", "E0ORG")
    cache["xoxb-org"] = _answer(None, "E0ORG")
    assert forget_answers(cache, None, "T0A") == 1
    assert sorted(cache) == ["xoxb-b", "xoxb-grid", "xoxb-org"]
    assert forget_answers(cache, "E0ORG", None) == 2  # an org-wide uninstall: all of the org
    assert sorted(cache) == ["xoxb-b"]
    assert "xoxb-a" not in cache and "xoxb-org" not in cache


async def test_deleting_a_bot_drops_its_auth_test_answer_at_once(
    db: Database, database_url: str, fernet_keys: list[str]
) -> None:
    services = Services.build(_settings(database_url, fernet_keys), database_url=database_url)
    store = services.installations
    assert store is not None
    try:
        await store.async_save(_installation("T0A", "xoxb-token-a"))
        store.authorized["xoxb-token-a"] = _answer("T0A")
        await store.async_delete_bot(enterprise_id=None, team_id="T0A")
        assert "xoxb-token-a" not in store.authorized
    finally:
        await services.aclose()
