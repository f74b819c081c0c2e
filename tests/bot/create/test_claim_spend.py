"""The spend policy enforced inside the claim: racing members and replicas, the
server cap, approval, the lease and the price written on the row."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.core.blocks import PlanChoice
from bot.core.config import Settings
from bot.core.services import Services
from bot.create import service
from bot.create.draft import Draft
from bot.create.views import StepData
from bot.spend.guard import SpendRefused
from db.engine import Database
from db.models import Plan, ServiceProvider, VpsInstance
from db.repo import drafts, spend

TEAM = "T0001"
NOW = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # 360 hours left in November
PLAN_ID = uuid.uuid4()
PLAN = PlanChoice(
    id=str(PLAN_ID),
    name="Small",
    provider_plan_id="s-1",
    vcpus=1,
    memory_mb=1024,
    disk_gb=25,
    transfer_gb=1000,
    monthly=Decimal("20.00"),
    hourly=Decimal("0.0300"),
)
# 360 h x 0.03 = 10.80 to month end


def _services(database_url: str, fernet_keys: list[str]) -> Services:
    settings = Settings(
        slack_bot_token="xoxb-unit-test",
        slack_signing_secret="unit-test-signing-secret",
        slack_api_url="http://127.0.0.1:9/api/",
        database_url=database_url,
        vpsbot_encryption_keys=",".join(fernet_keys),
        _env_file=None,
    )
    return Services.build(settings, database_url=database_url)


@pytest.fixture
async def replicas(
    db: Database, database_url: str, fernet_keys: list[str]
) -> AsyncIterator[tuple[Services, Services]]:
    """Two processes' worth of services on one database."""
    one, two = _services(database_url, fernet_keys), _services(database_url, fernet_keys)
    yield one, two
    await one.aclose()
    await two.aclose()


async def _provider(db: Database) -> ServiceProvider:
    async with db.session() as session, session.begin():
        row = ServiceProvider(name="do", type="digitalocean", api_key_encrypted="sealed")
        session.add(row)
        await session.flush()
        session.add(
            Plan(
                id=PLAN_ID,
                provider_id=row.id,
                provider_plan_id="s-1",
                name="Small",
                base_price=Decimal("18.00"),
                markup_price=Decimal("2.00"),
            )
        )
    return row


async def _draft(db: Database, view_id: str, user: str, **extra: object) -> StepData:
    draft = Draft(label=f"box-{view_id}", plan_id=PLAN.id, region="nyc1", **extra)
    async with db.connect() as conn:
        await drafts.save(
            conn,
            view_id=view_id,
            team_id=TEAM,
            user_id=user,
            channel_id="C1",
            step="review",
            data=draft.store(),
        )
    return StepData(draft=draft, plans=[PLAN])


async def _policy(db: Database, **values: object) -> None:
    async with db.session() as session, session.begin():
        await spend.save_policy(session, TEAM, values, "UADMIN")


async def _claim(services: Services, row: ServiceProvider, view_id: str, user: str, data: StepData):  # type: ignore[no-untyped-def]
    return await service.claim(
        services,
        view_id=view_id,
        data=data,
        row=row,
        team_id=TEAM,
        user_id=user,
        channel_id="C1",
        clock=lambda: NOW,
    )


async def _count(db: Database) -> int:
    async with db.session() as session:
        return int(
            (await session.execute(select(func.count()).select_from(VpsInstance))).scalar_one()
        )


async def test_two_members_racing_for_the_last_dollars_on_two_replicas(
    db: Database, replicas: tuple[Services, Services]
) -> None:
    row = await _provider(db)
    await _policy(db, monthly_budget=Decimal("15.00"))  # room for one 10.80 server
    one = await _draft(db, "V1", "UALICE")
    two = await _draft(db, "V2", "UBOB")
    for _ in range(5):  # any interleaving: never both
        results = await asyncio.gather(
            _claim(replicas[0], row, "V1", "UALICE", one),
            _claim(replicas[1], row, "V2", "UBOB", two),
            return_exceptions=True,
        )
        claimed = [r for r in results if isinstance(r, service.Claim)]
        refused = [r for r in results if isinstance(r, SpendRefused)]
        assert len(claimed) == 1 and len(refused) == 1, results
        assert "$4.20 of the workspace's budget is left" in refused[0].message
        assert refused[0].field == "review"
        assert await _count(db) == 1
        async with db.session() as session, session.begin():
            await session.execute(VpsInstance.__table__.delete())
            for view in ("V1", "V2"):
                saved = await drafts.get(session, view)
                assert saved is not None
                saved.instance_id = None


async def test_the_row_carries_its_price_and_lease(
    db: Database, replicas: tuple[Services, Services]
) -> None:
    row = await _provider(db)
    await _policy(db, default_lease_hours=48, max_lease_hours=100)
    data = await _draft(db, "V1", "UALICE", lease_hours=500)
    claim = await _claim(replicas[0], row, "V1", "UALICE", data)
    assert claim is not None
    async with db.session() as session:
        saved = await session.get(VpsInstance, claim.instance_id)
    assert saved is not None
    assert (saved.price_hourly, saved.price_monthly) == (Decimal("0.0300"), Decimal("20.00"))
    assert saved.expires_at == NOW + timedelta(hours=100)  # clamped to the maximum


async def test_server_cap_member_budget_and_approval_refuse_at_the_review(
    db: Database, replicas: tuple[Services, Services]
) -> None:
    row = await _provider(db)
    await _policy(db, max_servers_per_member=1, member_budget=Decimal("30"))
    assert await _claim(replicas[0], row, "V1", "UALICE", await _draft(db, "V1", "UALICE"))
    with pytest.raises(SpendRefused, match="You have 1 servers; the limit is 1"):
        await _claim(replicas[0], row, "V2", "UALICE", await _draft(db, "V2", "UALICE"))
    await _policy(db, max_servers_per_member=5, member_budget=Decimal("20"))
    with pytest.raises(SpendRefused, match=r"only \$9.20 of your budget is left"):
        await _claim(replicas[0], row, "V3", "UALICE", await _draft(db, "V3", "UALICE"))
    await _policy(
        db,
        member_budget=None,
        approval_threshold=Decimal("10"),
        approver_ids=["UBOSS"],
        approval_channel="CAPPROVE",
    )
    with pytest.raises(SpendRefused, match="needs an approver"):
        await _claim(replicas[0], row, "V4", "UALICE", await _draft(db, "V4", "UALICE"))
    # a member's own override wins over the workspace default
    async with db.session() as session, session.begin():
        await spend.save_member(
            session, TEAM, "UALICE", monthly_budget=None, max_servers=1, updated_by="UADMIN"
        )
    await _policy(db, approval_threshold=None)
    with pytest.raises(SpendRefused, match="the limit is 1"):
        await _claim(replicas[0], row, "V5", "UALICE", await _draft(db, "V5", "UALICE"))
    # the refused claims left their drafts claimable and created nothing
    assert await _count(db) == 1
    async with db.session() as session:
        assert (await drafts.get(session, "V4")).instance_id is None  # type: ignore[union-attr]


async def test_a_server_is_charged_its_regions_price(
    db: Database, replicas: tuple[Services, Services]
) -> None:
    row = await _provider(db)
    data = await _draft(db, "V1", "UALICE")
    data.plans = [
        dataclasses.replace(PLAN, region_prices=(("nyc1", Decimal("24.00"), Decimal("0.0360")),))
    ]
    claim = await _claim(replicas[0], row, "V1", "UALICE", data)
    assert claim is not None
    async with db.session() as session:
        saved = await session.get(VpsInstance, claim.instance_id)
    assert saved is not None
    assert (saved.price_hourly, saved.price_monthly) == (Decimal("0.0360"), Decimal("24.00"))
