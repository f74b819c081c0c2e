"""services.changed(topic, key): the one way to say "this changed" drops what this
process cached at once and what every other replica cached through NOTIFY."""

from __future__ import annotations

import asyncio

from cryptography.fernet import Fernet

from bot.core.config import Settings
from bot.core.services import Services
from db.engine import Database


def _replica(database_url: str, key: str) -> Services:
    settings = Settings(
        slack_bot_token="xoxb-changes",
        slack_signing_secret="signing",
        database_url=database_url,
        vpsbot_encryption_keys=key,
        _env_file=None,  # type: ignore[call-arg]
    )
    return Services.build(settings, database_url=database_url)


async def _until_gone(cache: object, key: object) -> None:
    for _ in range(250):  # the NOTIFY reaches the other replica
        if key not in cache:  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{key!r} still cached on the other replica")


async def test_channel_rules_changed_on_one_replica_drop_at_once_on_every_one(
    db: Database, database_url: str
) -> None:
    key = Fernet.generate_key().decode()
    one, two = _replica(database_url, key), _replica(database_url, key)
    await one.start()
    await two.start()
    try:
        for replica in (one, two):
            replica.create_channels["T0A"] = ("C0OLD",)
            replica.create_channels["T0B"] = ("C0KEEP",)
        await one.changed("channels", "T0A")
        assert "T0A" not in one.create_channels  # here: before the notice comes back
        await _until_gone(two.create_channels, "T0A")  # there: long before the TTL
        assert two.create_channels["T0B"] == ("C0KEEP",)  # another workspace's stay
    finally:
        await one.aclose()
        await two.aclose()


async def test_a_provider_change_drops_the_offer_and_admins_their_verdicts(
    db: Database, database_url: str
) -> None:
    key = Fernet.generate_key().decode()
    one, two = _replica(database_url, key), _replica(database_url, key)
    await one.start()
    await two.start()
    try:
        await two.offers.providers()  # cached on the other replica
        offer = two.offers.generation
        two.admin_verdicts[("T0A", "U0ONE")] = False
        two.admin_verdicts[("T0B", "U0ONE")] = False
        await one.changed("provider", "7d3b3a4e-0000-4000-8000-000000000001")
        await one.changed("admins", "T0A")
        await _until_gone(two.admin_verdicts, ("T0A", "U0ONE"))
        assert two.offers.generation != offer
        assert ("T0B", "U0ONE") in two.admin_verdicts
    finally:
        await one.aclose()
        await two.aclose()
