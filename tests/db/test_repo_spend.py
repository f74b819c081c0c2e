"""The claim-time sum in SQL agrees with bot.spend.cost to the cent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from bot.spend import cost
from db.engine import Database
from db.models import SpendTotal, VpsInstance
from db.repo import spend

NOW = datetime(2026, 11, 15, 12, 30, tzinfo=UTC)
ROWS = [
    # created, deleted, hourly, monthly, member
    (datetime(2026, 11, 10, 8, 15, tzinfo=UTC), None, "0.0179", "12.00", "U1"),
    (datetime(2026, 10, 3, tzinfo=UTC), None, "0.0179", "12.00", "U1"),
    (
        datetime(2026, 11, 2, tzinfo=UTC),
        datetime(2026, 11, 2, 3, 0, 1, tzinfo=UTC),
        "0.06",
        "40",
        "U2",
    ),
    (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC), "1", "500", "U2"),
    (NOW - timedelta(minutes=1), None, "0.0714", "48.00", "U2"),
]


async def test_standing_matches_the_pure_computation(db: Database) -> None:
    async with db.session() as session, session.begin():
        for created, deleted, hourly, monthly, user in ROWS:
            session.add(
                VpsInstance(
                    id=uuid.uuid4(),
                    label="x",
                    status="deleted" if deleted else "running",
                    provider_type="linode",
                    team_id="T1",
                    created_by=user,
                    created_at=created,
                    deleted_at=deleted,
                    price_hourly=Decimal(hourly),
                    price_monthly=Decimal(monthly),
                )
            )
    start, end = cost.month_bounds(NOW)
    async with db.session() as session:
        got = await spend.standing(session, "T1", "U1", start, end)
        usage = await spend.usages(session, "T1", start, end)
    usages = [cost.Usage(r.created_at, r.deleted_at, r.hourly, r.monthly, r.user_id) for r in usage]
    assert len(usages) == 4  # the one gone before November is not read
    mine = cost.total([u for u in usages if u.user_id == "U1"], NOW).projected
    # by hand: 8.88 (496 h x 0.0179) + 12.00 (capped) = 20.88
    assert got.member_projected == mine == Decimal("20.88")
    # + 0.24 (4 h x 0.06) + 26.56 (372 h x 0.0714 = 26.5608) = 47.68
    assert got.workspace_projected == cost.total(usages, NOW).projected == Decimal("47.68")
    assert got.member_servers == 2


async def test_the_kept_workspace_total_follows_every_change(db: Database) -> None:
    """``spend_totals`` (kept by a trigger) always equals the full sum."""
    start, end = cost.month_bounds(NOW)

    async def full() -> Decimal:
        async with db.session() as session:
            return await spend.workspace_projected(session, "T1", start, end)

    ids = []
    async with db.session() as session, session.begin():
        for created, deleted, hourly, monthly, user in ROWS[:3]:
            row = VpsInstance(
                id=uuid.uuid4(),
                label="x",
                status="running",
                provider_type="linode",
                team_id="T1",
                created_by=user,
                created_at=created,
                deleted_at=deleted,
                price_hourly=Decimal(hourly),
                price_monthly=Decimal(monthly),
            )
            session.add(row)
            ids.append(row.id)
    expected = await full()
    async with db.session() as session, session.begin():
        kept = await spend.workspace_projected(session, "T1", start, end, keep=True)
    assert kept == expected == Decimal("21.12")  # 8.88 + 12.00 + 0.24
    async with db.session() as session, session.begin():
        # a new server, a deletion, a price change and a removed row, all after the
        # total was stored: the trigger keeps it right
        session.add(
            VpsInstance(
                id=uuid.uuid4(),
                label="y",
                status="running",
                provider_type="linode",
                team_id="T1",
                created_by="U3",
                created_at=NOW,
                price_hourly=Decimal("0.0714"),
                price_monthly=Decimal("48.00"),
            )
        )
        first = await session.get(VpsInstance, ids[0])
        assert first is not None
        first.deleted_at = NOW
        second = await session.get(VpsInstance, ids[1])
        assert second is not None
        second.price_monthly = Decimal("10.00")
        third = await session.get(VpsInstance, ids[2])
        await session.delete(third)
    async with db.session() as session:
        stored = (
            await session.execute(select(SpendTotal.projected).where(SpendTotal.team_id == "T1"))
        ).scalar_one()
        recomputed = await session.execute(
            select(func.sum(spend._charge(start, end))).where(VpsInstance.team_id == "T1")
        )
    # by hand: 2.24 (125 h) + 10.00 (new cap) + 0 (removed) + 26.56 (372 h x 0.0714)
    assert stored == recomputed.scalar_one() == Decimal("38.80")


async def test_deleting_stamps_deleted_at(db: Database) -> None:
    row_id = uuid.uuid4()
    async with db.session() as session, session.begin():
        session.add(VpsInstance(id=row_id, label="x", status="running", provider_type="linode"))
    async with db.session() as session, session.begin():
        row = await session.get(VpsInstance, row_id)
        assert row is not None and row.deleted_at is None
        row.status = "deleted"
    async with db.session() as session:
        row = await session.get(VpsInstance, row_id)
        assert row is not None and row.deleted_at is not None


async def _kept_vs_charges(db: Database, team: str) -> list[spend.TotalCheck]:
    async with db.session() as session:
        return await spend.check_totals(session, team)


async def test_a_server_deleted_by_a_status_change_leaves_the_kept_total(db: Database) -> None:
    """Production deletes by ``status = 'deleted'`` and the BEFORE trigger stamps
    ``deleted_at``; the kept total must follow that, not only a hand-set deleted_at."""
    now = datetime.now(UTC)
    start, end = cost.month_bounds(now)
    created = max(start, now - timedelta(hours=3))
    ids = []
    async with db.session() as session, session.begin():
        for user in ("U1", "U2"):
            row = VpsInstance(
                id=uuid.uuid4(),
                label=f"box-{user}",
                status="running",
                provider_type="digitalocean",
                team_id="TDEL",
                created_by=user,
                created_at=created,
                price_hourly=Decimal("0.0714"),
                price_monthly=Decimal("48.00"),
            )
            session.add(row)
            ids.append(row.id)
    async with db.session() as session, session.begin():
        before = await spend.workspace_projected(session, "TDEL", start, end, keep=True)
    async with db.session() as session, session.begin():
        row = await session.get(VpsInstance, ids[0])
        assert row is not None
        row.status = "deleted"
    async with db.session() as session:
        kept = await spend.standing(session, "TDEL", "U2", start, end)
        deleted = await session.get(VpsInstance, ids[0])
    assert deleted is not None and deleted.deleted_at is not None
    gone = cost.Usage(created, deleted.deleted_at, Decimal("0.0714"), Decimal("48.00"))
    running = cost.Usage(created, None, Decimal("0.0714"), Decimal("48.00"))
    expected = cost.projected(gone, now) + cost.projected(running, now)
    assert kept.workspace_projected == expected < before
    assert [c.matches for c in await _kept_vs_charges(db, "TDEL")] == [True]


async def test_kept_totals_equal_the_charges_after_each_kind_of_change(db: Database) -> None:
    """Recompute every kept total from the charges after each way a server changes
    (created, priced, moved between workspaces, deleted by status, removed)."""
    now = datetime.now(UTC)
    start, end = cost.month_bounds(now)
    created = max(start, now - timedelta(hours=5))
    async with db.session() as session, session.begin():
        for team in ("TA", "TB"):
            await spend.workspace_projected(session, team, start, end, keep=True)
    row_id = uuid.uuid4()

    async def change(**values: object) -> None:
        async with db.session() as session, session.begin():
            row = await session.get(VpsInstance, row_id)
            assert row is not None
            for name, value in values.items():
                setattr(row, name, value)
        checks = await _kept_vs_charges(db, "TA") + await _kept_vs_charges(db, "TB")
        assert len(checks) == 2
        assert all(c.matches for c in checks), (values, checks)

    async with db.session() as session, session.begin():
        session.add(
            VpsInstance(
                id=row_id,
                label="moving",
                status="provisioning",
                provider_type="linode",
                team_id="TA",
                created_by="U1",
                created_at=created,
            )
        )
    await change(price_hourly=Decimal("0.0090"), price_monthly=Decimal("6.00"))
    await change(status="running")
    await change(team_id="TB")
    await change(status="deleted")
    async with db.session() as session:
        row = await session.get(VpsInstance, row_id)
        assert row is not None and row.deleted_at is not None
    async with db.session() as session, session.begin():
        row = await session.get(VpsInstance, row_id)
        await session.delete(row)
    assert all(c.matches and c.stored == 0 for c in await _kept_vs_charges(db, "TB"))
