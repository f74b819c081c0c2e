"""Plans as catalogues really arrive: repeated ids, missing prices, region prices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from db.engine import Database
from db.models import Plan, ServiceProvider
from db.repo import plans, providers


async def _provider(db: Database) -> ServiceProvider:
    async with db.session() as session, session.begin():
        return await providers.add(
            session, name="li", type="linode", api_key_encrypted="ciphertext"
        )


def _plan(
    plan_id: str, price: str = "5.00", markup: str = "1.00", **region: dict[str, str]
) -> plans.PlanInput:
    return plans.PlanInput(
        provider_plan_id=plan_id,
        name=plan_id,
        base_price=Decimal(price),
        markup_price=Decimal(markup),
        specifications={"vcpus": 1, "price_hourly": "0.0075", "regions": ["us-east"]},
        region_prices=dict(region),
    )


async def _stored(db: Database, row: ServiceProvider) -> dict[str, Plan]:
    async with db.session() as session:
        return {p.provider_plan_id: p for p in await plans.list_for_provider(session, row.id)}


async def test_a_repeated_id_is_written_once(db: Database) -> None:
    row = await _provider(db)
    async with db.session() as session, session.begin():
        count = await plans.upsert(
            session, row.id, [_plan("g6-nanode-1"), _plan("g6-standard-1"), _plan("g6-nanode-1")]
        )
    assert count == 2
    assert sorted(await _stored(db, row)) == ["g6-nanode-1", "g6-standard-1"]


async def test_plans_without_a_price_are_imported_inactive(db: Database) -> None:
    row = await _provider(db)
    async with db.session() as session, session.begin():
        await plans.upsert(session, row.id, [_plan("free", "0.00"), _plan("paid")])
    stored = await _stored(db, row)
    assert stored["free"].active is False and stored["paid"].active is True
    async with db.session() as session:
        assert await plans.unpriced(session, row.id) == ["free"]
        offered = [p.provider_plan_id for p in await plans.list_offered(session, row.id)]
    assert offered == ["paid"]

    # a plan that loses its price stops being offered; one disabled by an admin
    # stays disabled when it comes back with a price
    async with db.session() as session, session.begin():
        await plans.set_active(session, row.id, "free", False)
        await plans.upsert(session, row.id, [_plan("free", "4.00"), _plan("paid", "0")])
    stored = await _stored(db, row)
    assert stored["paid"].active is False
    assert stored["free"].active is False


async def test_region_prices_are_stored_and_priced_with_the_markup(db: Database) -> None:
    row = await _provider(db)
    jakarta = {"monthly": "6.0", "hourly": "0.009"}
    async with db.session() as session, session.begin():
        await plans.upsert(session, row.id, [_plan("g6-nanode-1", **{"id-cgk": jakarta})])
    nanode = (await _stored(db, row))["g6-nanode-1"]
    assert nanode.price_in(None) == nanode.price_in("us-east") == Decimal("6.00")
    assert nanode.base_in("id-cgk") == Decimal("6.00")
    # the markup keeps its proportion (20% of 5.00 → 20% of 6.00)
    assert nanode.markup_in("id-cgk") == Decimal("1.20")
    assert nanode.price_in("id-cgk") == Decimal("7.20")
    assert nanode.hourly_base_in("id-cgk") == Decimal("0.009")
    assert nanode.hourly_base_in("us-east") == Decimal("0.0075")


async def test_set_region_prices_updates_only_what_changed(db: Database) -> None:
    row = await _provider(db)
    async with db.session() as session, session.begin():
        await plans.upsert(session, row.id, [_plan("a"), _plan("b")])
    prices = {"a": {"br-gru": {"monthly": "7.0", "hourly": "0.0105"}}, "b": {}}
    async with db.session() as session, session.begin():
        assert await plans.set_region_prices(session, row.id, prices) == 1
    async with db.session() as session, session.begin():
        assert await plans.set_region_prices(session, row.id, prices) == 0
    stored = await _stored(db, row)
    assert stored["a"].price_in("br-gru") == Decimal("8.40")
    assert stored["b"].region_prices == {}


async def test_backups_are_stored_per_region_and_marked_up_as_the_plan(db: Database) -> None:
    from bot.core.blocks import plan_choice
    from bot.core.pricing import BackupsUnpriced, plan_price

    row = await _provider(db)
    backups = {
        "monthly": "2.5",
        "hourly": "0.004",
        "region_prices": {"id-cgk": {"monthly": "3.0", "hourly": "0.0045"}},
    }
    priced = _plan("g6-standard-1", "12.00", "2.40", **{"id-cgk": {"monthly": "14.40"}})
    unpriced = _plan("g6-edge-2", "43.00", "8.60")
    async with db.session() as session, session.begin():
        await plans.upsert(
            session,
            row.id,
            [plans.PlanInput(**{**priced.__dict__, "backups_prices": backups}), unpriced],
        )
    stored = await _stored(db, row)
    choice = plan_choice(stored["g6-standard-1"])
    # 20 % markup on the plan: 20 % on its backups too, in every region
    assert plan_price(choice, "us-east", backups=False).monthly == Decimal("14.40")
    with_backups = plan_price(choice, "us-east", backups=True)
    assert (with_backups.monthly, with_backups.backups_monthly) == (
        Decimal("17.40"),
        Decimal("3.00"),
    )
    assert with_backups.hourly == choice.hourly + Decimal("0.0048")  # 0.004 x 3.00 / 2.50
    regional = plan_price(choice, "id-cgk", backups=True)
    assert (regional.monthly, regional.backups_monthly) == (Decimal("20.88"), Decimal("3.60"))
    assert regional.backups_hourly == Decimal("0.0054")
    with pytest.raises(BackupsUnpriced, match="not offered") as refused:
        plan_price(plan_choice(stored["g6-edge-2"]), "us-east", backups=True)
    assert refused.value.field == "options"
