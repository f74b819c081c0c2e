"""Workspace scoping in the repository (migration 0008): which providers a
workspace owns and sees, shares, names per owner, admins and Grid orgs."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.core.offers import OfferCache
from db import migrate
from db.engine import Database
from db.models import ServiceProvider
from db.repo import providers, workspaces
from db.repo.providers import Scope
from tests.conftest import DatabaseFactory


async def _add(db: Database, name: str, team_id: str | None) -> ServiceProvider:
    async with db.session() as session, session.begin():
        return await providers.add(
            session, name=name, type="linode", api_key_encrypted="ciphertext", team_id=team_id
        )


async def _names(db: Database, scope: Scope, *, owned_only: bool = False) -> list[str]:
    async with db.session() as session:
        rows = await providers.list_all(session, scope=scope, owned_only=owned_only)
    return [row.name for row in rows]


async def test_a_workspace_owns_its_own_and_sees_what_is_shared_with_it(db: Database) -> None:
    await _add(db, "a-own", "T0A")
    await _add(db, "b-own", "T0B")
    shared = await _add(db, "operator", None)
    a, b = Scope("T0A"), Scope("T0B")
    assert await _names(db, a) == ["a-own"]
    assert await _names(db, b) == ["b-own"]
    async with db.session() as session, session.begin():
        await providers.share(session, shared.id, "T0A")
        await providers.share(session, shared.id, "T0A")  # idempotent
    assert await _names(db, a) == ["a-own", "operator"]
    assert await _names(db, a, owned_only=True) == ["a-own"]  # usable, not manageable
    assert await _names(db, b) == ["b-own"]
    async with db.session() as session:
        assert await providers.get_visible(session, shared.id, a) is not None
        assert await providers.get_owned(session, shared.id, a) is None
        assert await providers.get_visible(session, shared.id, b) is None
        assert await providers.shares(session) == {shared.id: frozenset({"T0A"})}
    async with db.session() as session, session.begin():
        assert await providers.unshare(session, shared.id, "T0A")
        assert not await providers.unshare(session, shared.id, "T0A")
    assert await _names(db, a) == ["a-own"]


async def test_operator_rows_are_a_single_workspaces_own(db: Database) -> None:
    await _add(db, "legacy", None)
    await _add(db, "other", "T0B")
    single = Scope("T0A", operator_rows=True)
    assert await _names(db, single, owned_only=True) == ["legacy"]
    assert await _names(db, Scope("T0A")) == []
    assert await _names(db, Scope("")) == []  # no workspace: nothing


async def test_names_are_unique_per_owner_and_looked_up_within_it(db: Database) -> None:
    mine = await _add(db, "linode", "T0A")
    theirs = await _add(db, "linode", "T0B")
    operator = await _add(db, "linode", None)
    with pytest.raises(IntegrityError):
        await _add(db, "linode", "T0A")
    with pytest.raises(IntegrityError):
        await _add(db, "linode", None)
    async with db.session() as session:
        assert (await providers.by_name(session, "linode", Scope("T0A"))).id == mine.id  # type: ignore[union-attr]
        assert (await providers.by_name(session, "linode", "T0B")).id == theirs.id  # type: ignore[union-attr]
        assert (await providers.by_name(session, "linode", None)).id == operator.id  # type: ignore[union-attr]
        # in single-token mode the workspace's own row wins over the operator's
        own_first = await providers.by_name(session, "linode", Scope("T0A", operator_rows=True))
        assert own_first is not None and own_first.id == mine.id
        assert await providers.by_name(session, "linode", Scope("T0C")) is None


async def test_the_offer_cache_filters_per_workspace_and_hears_of_shares(db: Database) -> None:
    await _add(db, "a-own", "T0A")
    shared = await _add(db, "operator", None)
    cache = OfferCache(db)
    await cache.start()
    try:
        assert cache.listening
        assert [r.name for r in await cache.providers_for(Scope("T0B"))] == []
        before = cache.generation
        async with db.session() as session, session.begin():
            await providers.share(session, shared.id, "T0B")
        for _ in range(50):  # the NOTIFY of the share trigger arrives
            if cache.generation != before:
                break
            await asyncio.sleep(0.02)
        assert [r.name for r in await cache.providers_for(Scope("T0B"))] == ["operator"]
        assert [r.name for r in await cache.providers_for(Scope("T0A"))] == ["a-own"]
    finally:
        await cache.stop()


async def test_admins_and_orgs(db: Database) -> None:
    async with db.session() as session, session.begin():
        assert await workspaces.add_admin(session, "T0A", "UANN")
        assert not await workspaces.add_admin(session, "T0A", "UANN")
        assert await workspaces.add_admin(session, "E0ORG", "UBOB")
        await workspaces.remember_org(session, "T0A", "E0ORG")
        await workspaces.remember_org(session, "T0A", "E0ORG")
    async with db.session() as session:
        assert await workspaces.is_named_admin(session, ["T0A"], "UANN")
        assert not await workspaces.is_named_admin(session, ["T0B"], "UANN")
        assert await workspaces.is_named_admin(session, ["T0A", "E0ORG"], "UBOB")
        assert not await workspaces.is_named_admin(session, ["T0A", ""], "UBOB")
        assert await workspaces.org_of(session, "T0A") == "E0ORG"
        assert await workspaces.org_of(session, "T0B") is None
        assert await workspaces.teams_of_org(session, "E0ORG") == ["T0A"]


async def test_migration_0008_round_trip_keeps_existing_providers_operator_level(
    databases: DatabaseFactory,
) -> None:
    database = Database(await databases.create("vpsbot_ws_mig"))
    try:
        await migrate.upgrade(database.engine, "0006")
        async with database.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO service_providers (name, type, api_key_encrypted) "
                    "VALUES ('old', 'linode', 'x')"
                )
            )
        await migrate.upgrade(database.engine, "0008")
        async with database.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT name, team_id FROM service_providers"))).all()
            tables = {
                r[0]
                for r in await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            }
        assert [tuple(r) for r in rows] == [("old", None)]
        assert {
            "slack_installations",
            "slack_bots",
            "slack_oauth_states",
            "provider_shares",
            "workspace_admins",
            "workspace_orgs",
        } <= tables
        await migrate.downgrade(database.engine, "0006")
        async with database.engine.connect() as conn:
            columns = {
                r[0]
                for r in await conn.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = 'service_providers'"
                    )
                )
            }
        assert "team_id" not in columns
    finally:
        await database.dispose()
