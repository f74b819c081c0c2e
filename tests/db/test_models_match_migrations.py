"""The ORM mapping and the migrations describe the same schema (tables, columns,
types, indexes, constraints): Alembic's comparison finds nothing to change."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from db.engine import Database
from db.models import Base


async def test_models_and_migrations_agree(db: Database) -> None:
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    assert diff == []
