"""Alembic environment: runs on the connection handed over by :mod:`db.migrate`."""

from __future__ import annotations

from alembic import context

from db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - vpsbot always hands one over
    raise RuntimeError("run migrations through `vpsbot migrate` (db.migrate)")

context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
