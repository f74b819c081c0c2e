"""A resize judged like a create: what it adds to the month, the budgets with the
workspace's policy row locked (two racing resizes never both spend the last
dollars), approval only for a dearer plan over the threshold, and the property
that the price the modal shows is the price the row is charged and summed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.blocks import PlanChoice
from bot.core.errors import Refusal
from bot.core.services import Services
from bot.servers import resize
from bot.servers.modals import resize_option
from bot.spend import cost, guard
from bot.spend.policy import Policy
from db.engine import Database
from db.models import Plan, ServiceProvider, VpsInstance
from db.repo import instances, spend
from db.repo.spend import Standing

TEAM = "T0001"
NOW = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # 360 hours left in November
START, END = cost.month_bounds(NOW)
OLD = cost.Usage(NOW - timedelta(days=3), None, Decimal("0.0090"), Decimal("6.00"))
EMPTY = Standing(Decimal(0), Decimal(0), 1)


def test_a_resize_is_judged_on_what_it_adds() -> None:
    policy = Policy(member_budget=Decimal("5.00"), max_servers=1)
    # the row holds one price, so the month is summed at the new one: 432 h since
    # Nov 13 x 0.03 = 12.96 against 432 h x 0.009 = 3.89, 9.07 more: over the 5.00 left
    bigger = guard.judge(policy, EMPTY, Decimal("0.0300"), Decimal("20.00"), NOW, replacing=OLD)
    assert bigger.this_month == cost.projected(
        cost.Usage(OLD.created_at, None, Decimal("0.0300"), Decimal("20.00")), NOW
    ) - cost.projected(OLD, NOW)
    assert bigger.refusal is not None and "resize would cost $9.07" in bigger.refusal
    # at the server cap a resize adds no server; a create would be refused
    assert (
        guard.judge(policy, EMPTY, Decimal("0.0100"), Decimal("7"), NOW, replacing=OLD).refusal
        is None
    )
    create = guard.judge(policy, EMPTY, Decimal("0.0001"), Decimal("0.07"), NOW)
    assert create.refusal is not None and "the limit is 1" in create.refusal


def test_only_a_dearer_plan_over_the_threshold_needs_approval() -> None:
    policy = Policy(approval_threshold=Decimal("5.00"), member_budget=Decimal("-1"))
    over = Standing(Decimal("100"), Decimal("100"), 1)
    smaller = guard.judge(policy, over, Decimal("0.0070"), Decimal("5.50"), NOW, replacing=OLD)
    # a smaller plan spends nothing: never over a budget, never waits for approval
    assert smaller.this_month < 0 and smaller.refusal is None and not smaller.needs_approval
    dearer = guard.judge(
        Policy(approval_threshold=Decimal("5.00")),
        EMPTY,
        Decimal("0.01"),
        Decimal("7"),
        NOW,
        replacing=OLD,
    )
    assert dearer.needs_approval


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900"), places=2)
hourlies = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("2"), places=4)
regions = st.sampled_from(["nyc1", "ams3", "sgp1", "fra1"])


@given(
    monthly=prices,
    hourly=hourlies,
    regional=st.lists(st.tuples(regions, prices, hourlies), max_size=3, unique_by=lambda r: r[0]),
    region=regions,
    old_monthly=prices,
    old_hourly=hourlies,
    hours_ago=st.integers(0, 24 * 60),
)
def test_the_price_shown_is_the_price_charged_and_summed(
    monthly: Decimal,
    hourly: Decimal,
    regional: list[tuple[str, Decimal, Decimal]],
    region: str,
    old_monthly: Decimal,
    old_hourly: Decimal,
    hours_ago: int,
) -> None:
    choice = PlanChoice(
        id=str(uuid.uuid4()),
        name="P",
        provider_plan_id="p-1",
        vcpus=1,
        memory_mb=1024,
        disk_gb=25,
        transfer_gb=1000,
        monthly=monthly,
        hourly=hourly,
        region_prices=tuple(sorted(regional)),
    )
    charged = resize.Price(old_hourly, old_monthly)
    price = resize.price_of(choice, region)
    shown = str(resize_option(choice, region, charged).to_dict()["text"]["text"])
    assert shown.startswith(f"{choice.headline()} — ${price.monthly:.2f}/mo (")
    assert resize.difference(price, charged) in shown
    # what the row keeps while the provider works, and is charged once it confirms
    target = resize.target_of(Plan(id=uuid.UUID(choice.id), provider_plan_id="p-1"), price)
    assert (Decimal(target["hourly"]), Decimal(target["monthly"])) == (price.hourly, price.monthly)
    # what the budget check counts the resize as = what the sum grows by
    old = cost.Usage(NOW - timedelta(hours=hours_ago), None, old_hourly, old_monthly)
    verdict = guard.judge(Policy(), EMPTY, price.hourly, price.monthly, NOW, replacing=old)
    after = cost.Usage(old.created_at, None, Decimal(target["hourly"]), Decimal(target["monthly"]))
    assert (
        cost.total([old], NOW).projected + verdict.this_month == cost.total([after], NOW).projected
    )


async def _servers(db: Database, owners: list[str]) -> tuple[Plan, list[VpsInstance]]:
    async with db.session() as session, session.begin():
        provider = ServiceProvider(name="do", type="digitalocean", api_key_encrypted="sealed")
        session.add(provider)
        await session.flush()
        big = Plan(
            provider_id=provider.id,
            provider_plan_id="s-big",
            name="Big",
            base_price=Decimal("20.00"),
            specifications={"price_hourly": "0.0300"},
        )
        session.add(big)
        rows = [
            VpsInstance(
                label=f"box-{i}",
                status="stopped",
                team_id=TEAM,
                created_by=owner,
                provider_id=provider.id,
                provider_type="digitalocean",
                region="nyc1",
                provider_instance_id=str(i),
                created_at=datetime.now(UTC) - timedelta(hours=1),
                price_hourly=Decimal("0.0090"),
                price_monthly=Decimal("6.00"),
            )
            for i, owner in enumerate(owners)
        ]
        session.add_all(rows)
        await session.flush()
    return big, rows


async def _resize(services: Services, row: VpsInstance, plan: Plan) -> bool:
    """The claim's transaction of a resize: judged under the lock, then claimed."""
    async with services.db.session() as session, session.begin():
        target = await resize.judge(session, row, plan, lock=True)
        await asyncio.sleep(0.05)  # the other one runs meanwhile, if it can
        return await instances.claim_action(
            session, row.id, TEAM, {"action": "resize", "at": 0.0}, resizing=target
        )


async def test_two_resizes_racing_for_the_last_dollars_never_both_pass(
    db: Database, services: Services
) -> None:
    big, rows = await _servers(db, ["UALICE", "UBOB"])
    now = datetime.now(UTC)
    old = cost.Usage(rows[0].created_at, None, Decimal("0.0090"), Decimal("6.00"))
    new = cost.Usage(rows[0].created_at, None, Decimal("0.0300"), Decimal("20.00"))
    one = cost.projected(new, now) - cost.projected(old, now)
    async with db.session() as session, session.begin():
        base = await spend.workspace_projected(session, TEAM, *cost.month_bounds(now), keep=True)
        await spend.save_policy(session, TEAM, {"monthly_budget": base + one + one / 2}, "UADMIN")
    results = await asyncio.gather(
        *(_resize(services, row, big) for row in rows), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["Refusal", "bool"], results
    refused = next(r for r in results if isinstance(r, Refusal))
    assert "workspace's budget" in refused.message
    # the one in flight counts until the provider answers; refused, it no longer does
    async with db.session() as session:
        _, pending = await spend.pending_resizes(session, TEAM, "UALICE", *cost.month_bounds(now))
    assert pending == one
    sent = next(r for r, ok in zip(rows, results, strict=True) if ok is True)
    async with db.session() as session, session.begin():
        await instances.end_resize(session, sent.id, done=False)
    async with db.session() as session:
        assert await spend.pending_resizes(session, TEAM, "UALICE", *cost.month_bounds(now)) == (
            Decimal(0),
            Decimal(0),
        )
        row = await session.get(VpsInstance, sent.id)
    assert row is not None and row.price_monthly == Decimal("6.00")


async def test_a_confirmed_resize_charges_its_price_and_the_totals_follow(
    db: Database, services: Services
) -> None:
    big, rows = await _servers(db, ["UALICE"])
    now = datetime.now(UTC)
    async with db.session() as session, session.begin():
        before = await spend.workspace_projected(session, TEAM, *cost.month_bounds(now), keep=True)
    assert await _resize(services, rows[0], big)
    async with db.session() as session, session.begin():
        await instances.end_resize(session, rows[0].id, done=True)
    async with db.session() as session:
        row = await session.get(VpsInstance, rows[0].id)
        after = await spend.workspace_projected(session, TEAM, *cost.month_bounds(now))
    assert row is not None and row.plan_id == big.id and row.configuration["plan"] == "s-big"
    price = resize.price_of(resize.plan_choice(big), "nyc1")
    assert (row.price_hourly, row.price_monthly) == (price.hourly, price.monthly)
    usage = cost.Usage(row.created_at, None, price.hourly, price.monthly)
    old = cost.Usage(row.created_at, None, Decimal("0.0090"), Decimal("6.00"))
    assert after - before == cost.projected(usage, now) - cost.projected(old, now)


@pytest.mark.parametrize("done", [True, False])
async def test_no_resize_in_flight_settles_to_nothing(db: Database, done: bool) -> None:
    _, rows = await _servers(db, ["UALICE"])
    async with db.session() as session, session.begin():
        assert await instances.end_resize(session, rows[0].id, done=done) is None


def test_a_server_with_backups_is_resized_at_the_plan_price_with_backups() -> None:
    """Backups go on costing after a resize: the modal, the check and the row price the
    new plan as a create with Backups ticked would (bot.core.pricing.plan_price)."""
    bigger = PlanChoice(
        id="p2",
        name="Linode 4GB",
        provider_plan_id="g6-standard-2",
        vcpus=2,
        memory_mb=4096,
        disk_gb=80,
        transfer_gb=4000,
        monthly=Decimal("28.80"),
        hourly=Decimal("0.0432"),
        region_prices=(("br-gru", Decimal("33.60"), Decimal("0.0504")),),
        backups=(Decimal("6.00"), Decimal("0.0090")),
        backups_region_prices=(("br-gru", Decimal("7.20"), Decimal("0.0108")),),
    )
    unpriced = PlanChoice(
        id="p3",
        name="Legacy 4GB",
        provider_plan_id="g5-standard-2",
        vcpus=2,
        memory_mb=4096,
        disk_gb=80,
        transfer_gb=4000,
        monthly=Decimal("20.00"),
        hourly=Decimal("0.0300"),
    )
    row = VpsInstance(region="br-gru", configuration={"backups": True}, label="web-1")
    assert resize.backups_on(row)
    assert resize.price_of(bigger, "br-gru", backups=True) == resize.Price(
        hourly=Decimal("0.0612"), monthly=Decimal("40.80")
    )
    assert resize.priced([bigger, unpriced], row) == [bigger]  # no price, not offered
    option = resize_option(bigger, "br-gru", resize.Price(Decimal("0.02"), Decimal("14.40")), True)
    assert "$40.80/mo (+$26.40/mo)" in str(option.to_dict()["text"])
    plain = VpsInstance(region="br-gru", configuration={}, label="web-2")
    assert resize.priced([bigger, unpriced], plain) == [bigger, unpriced]
