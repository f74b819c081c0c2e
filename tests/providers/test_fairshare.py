"""providers.fairshare: one shared account's budget, a fair share per workspace."""

from __future__ import annotations

import pytest
from aioresponses import aioresponses

from providers.digitalocean import DigitalOceanProvider
from providers.errors import RateLimitedError
from providers.fairshare import FairShare, ShareUsedError, acting_for
from providers.http import Transport
from tests.providers.conftest import DO, DO_TOKEN

pytestmark = pytest.mark.usefixtures("provider_env")


def test_a_lone_workspace_gets_half_then_an_equal_part() -> None:
    fair = FairShare(250)
    assert fair.share("T1") == 125  # alone: the other half stays free for whoever comes
    for second in range(125):
        fair.admit("T1", float(second) / 10, provider="DigitalOcean")
    with pytest.raises(ShareUsedError) as refused:
        fair.admit("T1", 13.0, provider="DigitalOcean")
    assert refused.value.share == 125 and refused.value.limit == 250
    assert refused.value.retry_after == pytest.approx(47.0)  # its first call ages out at 60 s
    fair.admit("T2", 13.0, provider="DigitalOcean")  # the other workspace is let through
    assert (fair.used("T1"), fair.used("T2"), fair.used("T3")) == (125, 1, 0)
    assert fair.share("T3") == 83
    assert FairShare(20).share("T1") == 10  # never below the floor
    fair.admit("T1", 60.5, provider="DigitalOcean")  # a minute on, T1's first call is gone


def test_the_refused_person_is_told_what_they_wait_for() -> None:
    error = ShareUsedError(provider="DigitalOcean", share=125, limit=250, others=1, wait=41.2)
    text = error.user_message()
    assert isinstance(error, RateLimitedError)
    assert "shares with 1 other workspace (125 of its 250 requests a minute)" in text
    assert "retry in about 42 s" in text


async def test_a_flooding_workspace_is_refused_and_another_is_not(
    http: aioresponses, transport: Transport
) -> None:
    http.get(
        f"{DO}/v2/account",
        payload={
            "account": {"uuid": "b6fr89dbf6d9156cace5f3c78dc9851d957381ef", "status": "active"}
        },
        repeat=True,
    )
    shared = DigitalOceanProvider(name="do", token=DO_TOKEN, transport=transport, shared=True)
    with acting_for("T1"):
        for _ in range(125):
            await shared.validate_credentials()
        with pytest.raises(ShareUsedError):
            await shared.validate_credentials()
    with acting_for("T2"):
        await shared.validate_credentials()
    await shared.validate_credentials()  # vpsbot's own work is not a workspace's
    # a workspace's own account (not shared) is not divided
    own = DigitalOceanProvider(name="own", token="dop_v1_own", transport=transport)
    with acting_for("T1"):
        for _ in range(130):
            await own.validate_credentials()
