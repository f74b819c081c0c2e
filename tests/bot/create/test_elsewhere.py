"""The same size elsewhere (bot/create/elsewhere.py): the nearest plan on another
provider and the nearest region it runs in."""

from __future__ import annotations

from decimal import Decimal

from bot.core.blocks import PlanChoice
from bot.create.elsewhere import (
    SWITCH_ACTION,
    Elsewhere,
    elsewhere_blocks,
    nearest_plan,
    nearest_region,
    pick,
    switch_value,
)
from providers.models import Region


def _plan(
    id: str,
    vcpus: int,
    gb: int,
    disk: int,
    monthly: str,
    regions: tuple[str, ...] = ("us-east", "eu-central", "br-gru"),
    prices: tuple[tuple[str, str], ...] = (),
) -> PlanChoice:
    return PlanChoice(
        id=id,
        name=id.title(),
        provider_plan_id=id,
        vcpus=vcpus,
        memory_mb=gb * 1024,
        disk_gb=disk,
        transfer_gb=1000,
        monthly=Decimal(monthly),
        hourly=Decimal(monthly) / 730,
        regions=regions,
        region_prices=tuple((r, Decimal(m), Decimal(m) / 730) for r, m in prices),
    )


CHOSEN = _plan("s-1vcpu-2gb", 1, 2, 50, "14.40", regions=("fra1", "nyc3"))
LINODE_PLANS = [
    _plan("nanode", 1, 1, 25, "6.00"),
    _plan("standard-1", 1, 2, 50, "14.40"),
    _plan("standard-1-big", 1, 2, 80, "18.00"),
    _plan("dedicated-2", 2, 4, 80, "43.20"),
]
LINODE_REGIONS = [
    Region(id="us-east", name="Newark, NJ", country="us"),
    Region(id="eu-central", name="Frankfurt, DE", country="de"),
    Region(id="eu-west", name="London, UK", country="gb"),
    Region(id="de-ber", name="Berlin, DE", country="de"),
    Region(id="br-gru", name="Sao Paulo, BR", country="br"),
    Region(id="closed", name="Frankfurt 2", country="de", available=False),
]
FRANKFURT = Region(id="fra1", name="Frankfurt 1", country="de")


def test_the_nearest_plan_has_the_same_cpus_and_memory_and_the_nearest_disk() -> None:
    found = nearest_plan(CHOSEN, LINODE_PLANS)
    assert found is not None and found.id == "standard-1"
    bigger = _plan("x", 1, 2, 70, "1.00")
    found = nearest_plan(bigger, LINODE_PLANS)
    assert found is not None and found.id == "standard-1-big"


def test_a_disk_tie_goes_to_the_cheaper_plan() -> None:
    plans = [_plan("dear", 1, 2, 40, "20.00"), _plan("cheap", 1, 2, 60, "10.00")]
    found = nearest_plan(CHOSEN, plans)
    assert found is not None and found.id == "cheap"


def test_no_counterpart_without_the_same_cpus_and_memory_or_anywhere_to_run() -> None:
    assert nearest_plan(_plan("big", 8, 64, 500, "500.00"), LINODE_PLANS) is None
    assert nearest_plan(CHOSEN, [_plan("nowhere", 1, 2, 50, "1.00", regions=())]) is None
    assert nearest_plan(CHOSEN, []) is None


def test_the_nearest_region_is_the_same_city_then_country_then_cheapest() -> None:
    plan = _plan("p", 1, 2, 50, "10.00", regions=("us-east", "eu-central", "de-ber", "br-gru"))
    found = nearest_region(FRANKFURT, plan, LINODE_REGIONS)
    assert found is not None and found.id == "eu-central"  # same city
    munich = Region(id="muc1", name="Munich 1", country="de")
    no_frankfurt = _plan("p", 1, 2, 50, "10.00", regions=("us-east", "de-ber", "br-gru"))
    found = nearest_region(munich, no_frankfurt, LINODE_REGIONS)
    assert found is not None and found.id == "de-ber"  # same country
    tokyo = Region(id="tyo1", name="Tokyo 1", country="jp")
    priced = _plan(
        "p", 1, 2, 50, "10.00", regions=("us-east", "br-gru"), prices=(("us-east", "12.00"),)
    )
    found = nearest_region(tokyo, priced, LINODE_REGIONS)
    assert found is not None and found.id == "br-gru"  # neither: the cheapest
    found = nearest_region(None, priced, LINODE_REGIONS)
    assert found is not None and found.id == "br-gru"


def test_a_closed_region_or_one_the_plan_skips_is_never_picked() -> None:
    only_closed = _plan("p", 1, 2, 50, "10.00", regions=("closed", "eu-west"))
    found = nearest_region(FRANKFURT, only_closed, LINODE_REGIONS)
    assert found is not None and found.id == "eu-west"
    assert nearest_region(FRANKFURT, _plan("p", 1, 2, 50, "1", regions=("x",)), []) is None


def test_an_unknown_country_is_not_a_match() -> None:
    nowhere = Region(id="zz1", name="Atlantis 1", country="")
    blank = [Region(id="a", name="A", country=""), Region(id="b", name="B", country="")]
    plan = _plan("p", 1, 2, 50, "10.00", regions=("a", "b"), prices=(("a", "11.00"),))
    found = nearest_region(nowhere, plan, blank)
    assert found is not None and found.id == "b"  # the cheapest, not the first blank


def test_pick_prices_the_counterpart_in_its_region() -> None:
    item = pick("p-li", "Linode", CHOSEN, FRANKFURT, LINODE_PLANS, LINODE_REGIONS)
    assert item == Elsewhere(
        provider_id="p-li",
        provider_name="Linode",
        plan_id="standard-1",
        plan_name="Standard-1",
        region="eu-central",
        region_name="Frankfurt, DE",
        monthly=Decimal("14.40"),
    )


def test_pick_without_a_region_list_uses_the_plans_cheapest_region() -> None:
    plans = [
        _plan(
            "standard-1",
            1,
            2,
            50,
            "14.40",
            regions=("us-east", "br-gru"),
            prices=(("br-gru", "13.00"),),
        )
    ]
    item = pick("p-li", "Linode", CHOSEN, FRANKFURT, plans, [])
    assert item is not None
    assert (item.region, item.region_name, item.monthly) == ("br-gru", "br-gru", Decimal("13.00"))
    assert pick("p-li", "Linode", CHOSEN, FRANKFURT, LINODE_PLANS[:1], LINODE_REGIONS) is None


def test_the_blocks_say_where_and_how_much_and_switch_in_a_click() -> None:
    item = Elsewhere(
        "p-li",
        "Linode *prod*",
        "standard-1",
        "Linode 2 GB",
        "eu-central",
        "Frankfurt, DE",
        Decimal("12"),
    )
    blocks = [b.to_dict() for b in elsewhere_blocks([item])]
    assert elsewhere_blocks([]) == []
    line = blocks[1]
    for part in ("Linode 2 GB", "Frankfurt, DE", "$12.00/mo"):
        assert part in line["text"]["text"]
    assert "*prod*" not in line["text"]["text"]  # escaped: a provider name is not mrkdwn
    assert line["accessory"]["action_id"] == SWITCH_ACTION
    assert line["accessory"]["value"] == switch_value(item) == "p-li|standard-1|eu-central"


def test_a_city_in_parentheses_is_the_same_city() -> None:
    plan = _plan("p", 1, 2, 50, "10.00", regions=("eu-west-1", "eu-central-1"))
    aws = [
        Region(id="eu-west-1", name="Europe (Ireland)"),
        Region(id="eu-central-1", name="Europe (Frankfurt)"),
    ]
    found = nearest_region(FRANKFURT, plan, aws)
    assert found is not None and found.id == "eu-central-1"


def test_a_region_where_the_plan_is_sold_out_is_never_picked() -> None:
    plan = _plan("standard-1", 1, 2, 50, "10.00", regions=("eu-central", "de-ber"))
    regions = [
        Region(id="eu-central", name="Frankfurt, DE", country="de", sold_out=["standard-1"]),
        Region(id="de-ber", name="Berlin, DE", country="de"),
    ]
    found = nearest_region(FRANKFURT, plan, regions)
    assert found is not None and found.id == "de-ber"
