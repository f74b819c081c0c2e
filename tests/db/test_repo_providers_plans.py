"""Provider health (migration 0003) and the plan queries the admin screens use."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text

from db import migrate
from db.engine import Database
from db.models import ServiceProvider
from db.repo import plans, providers
from tests.conftest import DatabaseFactory


async def _provider(db: Database, name: str = "do") -> ServiceProvider:
    async with db.session() as session, session.begin():
        return await providers.add(
            session, name=name, type="digitalocean", api_key_encrypted="ciphertext"
        )


def _plan(plan_id: str, price: str = "6.00") -> plans.PlanInput:
    return plans.PlanInput(
        provider_plan_id=plan_id,
        name=plan_id,
        base_price=Decimal(price),
        markup_price=Decimal("1.00"),
        specifications={"vcpus": 1},
    )


async def test_health_is_unknown_until_checked(db: Database) -> None:
    row = await _provider(db)
    assert (row.credentials_valid, row.last_checked_at, row.last_success_at) == (None, None, None)


async def test_record_check_keeps_the_row_version(db: Database) -> None:
    row = await _provider(db)
    async with db.session() as session, session.begin():
        await providers.record_check(session, row.id, valid=True)
    async with db.session() as session:
        valid = await providers.get(session, row.id)
    assert valid is not None
    assert valid.credentials_valid is True
    assert valid.last_checked_at is not None
    assert valid.last_success_at == valid.last_checked_at
    assert valid.updated_at == row.updated_at  # the cached client stays

    async with db.session() as session, session.begin():
        await providers.record_check(session, row.id, valid=None)  # provider unreachable
    async with db.session() as session:
        unknown = await providers.get(session, row.id)
    assert unknown is not None
    assert unknown.credentials_valid is True  # the last verdict stands
    assert unknown.last_checked_at is not None and unknown.last_checked_at > valid.last_checked_at
    assert unknown.last_success_at == valid.last_success_at

    async with db.session() as session, session.begin():
        await providers.record_check(session, row.id, valid=False)
    async with db.session() as session:
        rejected = await providers.get(session, row.id)
    assert rejected is not None
    assert rejected.credentials_valid is False
    assert rejected.last_success_at == valid.last_success_at
    assert rejected.updated_at == row.updated_at


async def test_upsert_twice_updates_in_place(db: Database) -> None:
    row = await _provider(db)
    async with db.session() as session, session.begin():
        await plans.upsert(session, row.id, [_plan("s-1"), _plan("s-2", "12.00")])
    async with db.session() as session:
        first = {p.provider_plan_id: p.id for p in await plans.list_for_provider(session, row.id)}
    async with db.session() as session, session.begin():
        await plans.set_active(session, row.id, "s-2", False)
        await plans.upsert(session, row.id, [_plan("s-1", "7.00"), _plan("s-2", "12.00")])
    async with db.session() as session:
        again = await plans.list_for_provider(session, row.id)
    assert {p.provider_plan_id: p.id for p in again} == first
    assert {p.provider_plan_id: p.base_price for p in again}["s-1"] == Decimal("7.00")
    assert {p.provider_plan_id: p.active for p in again} == {"s-1": True, "s-2": False}


async def test_counts_by_provider(db: Database) -> None:
    do = await _provider(db, "do")
    other = await _provider(db, "do-2")
    async with db.session() as session, session.begin():
        await plans.upsert(session, do.id, [_plan("a"), _plan("b"), _plan("c")])
        await plans.upsert(session, other.id, [_plan("a")])
        await plans.set_active(session, do.id, "b", False)
    async with db.session() as session:
        counts = await plans.counts_by_provider(session)
    assert counts == {
        do.id: plans.PlanCounts(total=3, active=2),
        other.id: plans.PlanCounts(total=1, active=1),
    }


async def test_get_for_provider_refuses_another_providers_plan(db: Database) -> None:
    do = await _provider(db, "do")
    other = await _provider(db, "do-2")
    async with db.session() as session, session.begin():
        await plans.upsert(session, other.id, [_plan("a")])
    async with db.session() as session:
        (foreign,) = await plans.list_for_provider(session, other.id)
        assert await plans.get_for_provider(session, do.id, foreign.id) is None
        found = await plans.get_for_provider(session, other.id, foreign.id)
    assert found is not None and found.provider_plan_id == "a"


async def test_migration_0003_adds_and_removes_the_health_columns(
    databases: DatabaseFactory,
) -> None:
    database = Database(await databases.create("vpsbot_health"))
    query = """SELECT column_name, data_type, is_nullable FROM information_schema.columns
                WHERE table_name = 'service_providers'
                  AND column_name IN ('credentials_valid', 'last_checked_at', 'last_success_at')
                ORDER BY 1"""
    try:
        await migrate.upgrade(database.engine, "0003")
        async with database.engine.connect() as conn:
            added = [tuple(r) for r in await conn.execute(text(query))]
        assert added == [
            ("credentials_valid", "boolean", "YES"),
            ("last_checked_at", "timestamp with time zone", "YES"),
            ("last_success_at", "timestamp with time zone", "YES"),
        ]
        await migrate.downgrade(database.engine, "0002")
        async with database.engine.connect() as conn:
            assert [tuple(r) for r in await conn.execute(text(query))] == []
            remaining = await conn.execute(text("SELECT count(*) FROM service_providers"))
            assert remaining.scalar() == 0
    finally:
        await database.dispose()


async def test_reimport_without_markup_keeps_the_markups_set(db: Database) -> None:
    from decimal import Decimal

    from db.repo import plans as plans_repo
    from db.repo import providers as providers_repo

    async with db.session() as session, session.begin():
        row = await providers_repo.add(session, name="keep", type="linode", api_key_encrypted="x")
        await plans_repo.upsert(
            session,
            row.id,
            [plans_repo.PlanInput("g6-nanode-1", "Nanode", Decimal(5), Decimal("2.50"), {})],
        )
    async with db.session() as session, session.begin():
        await plans_repo.upsert(
            session,
            row.id,
            [
                plans_repo.PlanInput("g6-nanode-1", "Nanode", Decimal(6), Decimal(0), {}),
                plans_repo.PlanInput("g6-standard-1", "Linode 2GB", Decimal(12), Decimal(0), {}),
            ],
            update_markup=False,
        )
    async with db.session() as session:
        found = {p.provider_plan_id: p for p in await plans_repo.list_for_provider(session, row.id)}
    assert found["g6-nanode-1"].base_price == Decimal(6)  # the price is refreshed
    assert found["g6-nanode-1"].markup_price == Decimal("2.50")  # the markup is kept
    assert found["g6-standard-1"].markup_price == Decimal(0)
