"""Migrations against a live catalog: shape, constraints, indexes, round trip, backfill."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from db import migrate
from db.engine import Database


@pytest.fixture
async def fresh(databases) -> Database:  # type: ignore[no-untyped-def]
    database = Database(await databases.create("vpsbot_mig"))
    yield database
    await database.dispose()


async def _scalar(database: Database, sql: str, **params: object) -> object:
    async with database.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()


async def _rows(database: Database, sql: str, **params: object) -> list[tuple[object, ...]]:
    async with database.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(sql), params))]


async def test_upgrade_downgrade_upgrade_round_trip(fresh: Database) -> None:
    await migrate.upgrade(fresh.engine)
    assert await migrate.current_revision(fresh.engine) == migrate.head_revision()
    await migrate.downgrade(fresh.engine, "base")
    tables = await _rows(
        fresh, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    )
    assert tables == [("alembic_version",)]
    await migrate.upgrade(fresh.engine)
    assert await migrate.current_revision(fresh.engine) == migrate.head_revision()


async def test_design_tables_and_columns(db: Database) -> None:
    columns = await _rows(
        db,
        """SELECT table_name, column_name, data_type FROM information_schema.columns
            WHERE table_schema = 'public'""",
    )
    shape = {(t, c): d for t, c, d in columns}
    for column, kind in {
        "id": "uuid",
        "name": "character varying",
        "type": "character varying",
        "api_key_encrypted": "text",
        "configuration": "jsonb",
        "active": "boolean",
        "created_at": "timestamp with time zone",
        "updated_at": "timestamp with time zone",
    }.items():
        assert shape[("service_providers", column)] == kind
    for column, kind in {
        "provider_id": "uuid",
        "provider_plan_id": "character varying",
        "base_price": "numeric",
        "markup_price": "numeric",
        "specifications": "jsonb",
        "active": "boolean",
    }.items():
        assert shape[("vps_plans", column)] == kind
    for column in (
        "label",
        "status",
        "ip_address",
        "region",
        "plan_id",
        "provider_id",
        "provider_type",
        "provider_instance_id",
        "configuration",
        "team_id",
        "created_by",
        "created_at",
        "updated_at",
    ):
        assert ("vps_instances", column) in shape
    for column in (
        "team_id",
        "user_id",
        "event_type",
        "entity_type",
        "entity_id",
        "status",
        "metadata",
        "created_at",
    ):
        assert ("activity_logs", column) in shape
    precision = await _rows(
        db,
        """SELECT column_name, numeric_precision, numeric_scale FROM information_schema.columns
            WHERE table_name = 'vps_plans' AND data_type = 'numeric' ORDER BY 1""",
    )
    assert precision == [("base_price", 10, 2), ("markup_price", 10, 2)]


async def test_constraints_and_foreign_keys(db: Database) -> None:
    checks = await _rows(
        db,
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = 'service_providers'::regclass AND contype = 'c'""",
    )
    assert len(checks) == 1
    for kind in ("linode", "digitalocean", "aws", "gcp"):
        assert kind in checks[0][1]
    fks = dict(
        await _rows(
            db,
            """SELECT conrelid::regclass::text || '.' || a.attname, c.confdeltype::text
                 FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
                WHERE c.contype = 'f'""",
        )
    )
    assert fks["vps_plans.provider_id"] == "c"  # CASCADE
    assert fks["vps_instances.provider_id"] == "n"  # SET NULL
    assert fks["vps_instances.plan_id"] == "n"


async def test_check_constraint_rejects_unknown_type(db: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO service_providers (name, type, api_key_encrypted)"
                    " VALUES ('x', 'azure', 'k')"
                )
            )


async def test_fk_behaviours_live(db: Database) -> None:
    async with db.engine.begin() as conn:
        provider = (
            await conn.execute(
                text(
                    "INSERT INTO service_providers (name, type, api_key_encrypted)"
                    " VALUES ('do', 'digitalocean', 'k') RETURNING id"
                )
            )
        ).scalar_one()
        await conn.execute(
            text(
                "INSERT INTO vps_plans (provider_id, provider_plan_id, name, base_price)"
                " VALUES (:p, 's-1', 's-1', 6)"
            ),
            {"p": provider},
        )
        await conn.execute(
            text(
                "INSERT INTO vps_instances (label, status, provider_id, provider_type)"
                " VALUES ('web', 'running', :p, 'digitalocean')"
            ),
            {"p": provider},
        )
        await conn.execute(text("DELETE FROM service_providers WHERE id = :p"), {"p": provider})
    assert await _scalar(db, "SELECT count(*) FROM vps_plans") == 0
    assert await _scalar(db, "SELECT provider_id FROM vps_instances") is None


async def test_indexes_exist(db: Database) -> None:
    names = {
        row[0]
        for row in await _rows(db, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
    }
    assert {
        "idx_vps_instances_provider_type",
        "idx_vps_instances_provider_id",
        "idx_vps_plans_provider_id",
        "idx_vps_instances_team_created",
        "idx_vps_instances_created_by",
        "idx_activity_logs_team_created",
    } <= names


async def test_backfill_marks_legacy_instances_as_linode(fresh: Database) -> None:
    await migrate.upgrade(fresh.engine, "0001")
    linode = uuid.uuid4()
    async with fresh.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO service_providers (id, name, type, api_key_encrypted, created_at)"
                " VALUES (:id, 'old linode', 'linode', 'k', now() - interval '1 day'),"
                " (gen_random_uuid(), 'newer linode', 'linode', 'k', now()),"
                " (gen_random_uuid(), 'do', 'digitalocean', 'k', now())"
            ),
            {"id": linode},
        )
        await conn.execute(
            text(
                "INSERT INTO vps_instances (label, status, provider_instance_id) VALUES"
                " ('legacy-1', 'running', '111'), ('legacy-2', 'stopped', '222')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO vps_instances (label, status, provider_type) VALUES"
                " ('droplet', 'running', 'digitalocean')"
            )
        )
    await migrate.upgrade(fresh.engine)
    rows = await _rows(
        fresh, "SELECT label, provider_type, provider_id FROM vps_instances ORDER BY label"
    )
    assert rows == [
        ("droplet", "digitalocean", None),
        ("legacy-1", "linode", linode),
        ("legacy-2", "linode", linode),
    ]


async def test_provider_type_becomes_not_null_taking_the_providers_type(fresh: Database) -> None:
    await migrate.upgrade(fresh.engine, "0005")
    droplets = uuid.uuid4()
    async with fresh.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO service_providers (id, name, type, api_key_encrypted)"
                " VALUES (:id, 'do', 'digitalocean', 'k')"
            ),
            {"id": droplets},
        )
        # rows written by hand after 0002's backfill, without a type
        await conn.execute(
            text(
                "INSERT INTO vps_instances (label, status, provider_id) VALUES"
                " ('by-hand', 'running', :p), ('orphan', 'stopped', NULL)"
            ),
            {"p": droplets},
        )
    await migrate.upgrade(fresh.engine, "0006")
    rows = await _rows(fresh, "SELECT label, provider_type FROM vps_instances ORDER BY label")
    assert rows == [("by-hand", "digitalocean"), ("orphan", "linode")]
    nullable = await _rows(
        fresh,
        "SELECT is_nullable FROM information_schema.columns"
        " WHERE table_name = 'vps_instances' AND column_name = 'provider_type'",
    )
    assert nullable == [("NO",)]
    await migrate.downgrade(fresh.engine, "0005")
    nullable = await _rows(
        fresh,
        "SELECT is_nullable FROM information_schema.columns"
        " WHERE table_name = 'vps_instances' AND column_name = 'provider_type'",
    )
    assert nullable == [("YES",)]


async def test_lease_end_done_backfills_ended_leases_and_round_trips(fresh: Database) -> None:
    await migrate.upgrade(fresh.engine, "0009")
    async with fresh.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO vps_instances (label, status, provider_type, expires_at,"
                " lease_ended_at) VALUES"
                " ('ended', 'stopped', 'linode', now() - interval '2 days',"
                "  now() - interval '2 days'),"
                " ('open', 'running', 'linode', now() + interval '2 days', NULL),"
                " ('no-lease', 'running', 'linode', NULL, NULL)"
            )
        )
    await migrate.upgrade(fresh.engine, "0010")
    rows = await _rows(
        fresh,
        "SELECT label, lease_end_done_at IS NOT DISTINCT FROM lease_ended_at,"
        " lease_end_done_at IS NULL FROM vps_instances ORDER BY label",
    )
    # ended the old way: done (never acted on again); the others: not ended, not done
    assert rows == [("ended", True, False), ("no-lease", True, True), ("open", True, True)]
    index = await _scalar(
        fresh,
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_vps_instances_lease_unfinished'",
    )
    assert isinstance(index, str)
    assert "(lease_ended_at)" in index
    assert "lease_ended_at IS NOT NULL" in index and "lease_end_done_at IS NULL" in index
    await migrate.downgrade(fresh.engine, "0009")
    columns = await _rows(
        fresh,
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = 'vps_instances' AND column_name LIKE 'lease_%' ORDER BY 1",
    )
    assert columns == [("lease_ended_at",), ("lease_reminded_at",)]
    assert (
        await _scalar(
            fresh,
            "SELECT count(*) FROM pg_indexes"
            " WHERE indexname = 'idx_vps_instances_lease_unfinished'",
        )
        == 0
    )
    assert await _scalar(fresh, "SELECT count(*) FROM vps_instances") == 3


async def test_0012_repairs_kept_totals_follows_deletes_and_prices_do_backups(
    fresh: Database,
) -> None:
    await migrate.upgrade(fresh.engine, "0010")
    async with fresh.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO vps_instances (label, status, provider_type, team_id, created_at,"
                " price_hourly, price_monthly) VALUES"
                " ('a', 'running', 'linode', 'T1', date_trunc('month', now()), 0.01, 5.00),"
                " ('b', 'running', 'linode', 'T1', date_trunc('month', now()), 0.01, 5.00)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO spend_totals VALUES ('T1', date_trunc('month', now()),"
                " date_trunc('month', now()) + interval '1 month', 10.00)"
            )
        )
        # deleted the production way under 0010: the kept total does not move
        await conn.execute(text("UPDATE vps_instances SET status = 'deleted' WHERE label = 'a'"))
        provider = (
            await conn.execute(
                text(
                    "INSERT INTO service_providers (name, type, api_key_encrypted)"
                    " VALUES ('do', 'digitalocean', 'x') RETURNING id"
                )
            )
        ).scalar_one()
        await conn.execute(
            text(
                "INSERT INTO vps_plans (provider_id, provider_plan_id, name, base_price,"
                " specifications) VALUES (:p, 's-1', 's-1', 6.00, :specs)"
            ),
            {"p": provider, "specs": '{"price_hourly": "0.00893"}'},
        )
    assert await _scalar(fresh, "SELECT projected FROM spend_totals") == 10
    await migrate.upgrade(fresh.engine, "0012")
    charges = (
        "SELECT sum(vps_month_charge(created_at, deleted_at, price_hourly, price_monthly,"
        " date_trunc('month', now()), date_trunc('month', now()) + interval '1 month'))"
        " FROM vps_instances"
    )
    repaired = await _scalar(fresh, "SELECT projected FROM spend_totals")
    assert repaired == await _scalar(fresh, charges) and repaired < 10
    async with fresh.engine.begin() as conn:
        await conn.execute(text("UPDATE vps_instances SET status = 'deleted' WHERE label = 'b'"))
    assert await _scalar(fresh, "SELECT projected FROM spend_totals") == await _scalar(
        fresh, charges
    )
    prices = await _scalar(fresh, "SELECT backups_prices FROM vps_plans")
    assert prices == {"monthly": "1.20", "hourly": "0.001786", "region_prices": {}}
    await migrate.downgrade(fresh.engine, "0010")
    assert (
        await _scalar(
            fresh,
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'vps_plans' AND column_name = 'backups_prices'",
        )
        == 0
    )
