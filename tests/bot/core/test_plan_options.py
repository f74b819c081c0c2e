"""Plans as people pick them: name, specifications and price, grouped by class."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.core.blocks import PlanChoice, option_text, plan_option, plan_option_groups

BASIC = PlanChoice(
    "p1",
    "Basic · 1 vCPU · 1 GB RAM · 25 GB disk",
    "s-1vcpu-1gb",
    1,
    1024,
    25,
    1000,
    Decimal("7.20"),
    Decimal("0.0107"),
    family="Basic",
)
GENERAL = PlanChoice(
    "p2",
    "General Purpose · 2 vCPU · 8 GB RAM · 25 GB disk",
    "g-2vcpu-8gb",
    2,
    8192,
    25,
    4000,
    Decimal("75.60"),
    Decimal("0.1125"),
    family="General Purpose",
)
NANODE = PlanChoice(
    "p3",
    "Nanode 1GB",
    "g6-nanode-1",
    1,
    1024,
    25,
    1000,
    Decimal("6.00"),
    Decimal("0.0090"),
    region_prices=(("id-cgk", Decimal("7.20"), Decimal("0.0108")),),
    family="Shared CPU",
)


def test_an_option_reads_like_the_providers_create_page() -> None:
    option = plan_option(BASIC).to_dict()
    assert option["text"]["text"] == "Basic · 1 vCPU · 1 GB · 25 GB SSD — $7.20/mo"
    # the provider's id is still there for people who know it, below the name
    assert option["description"]["text"] == "s-1vcpu-1gb · 1,000 GB transfer"
    assert plan_option(NANODE).to_dict()["text"]["text"] == (
        "Nanode 1GB · 1 vCPU · 1 GB · 25 GB SSD — from $6.00/mo"
    )
    assert "$7.20/mo" in plan_option(NANODE, "id-cgk").to_dict()["text"]["text"]


def test_plans_of_several_classes_come_in_groups_in_catalogue_order() -> None:
    options, groups = plan_option_groups([BASIC, GENERAL, NANODE], "")
    assert options is None and groups is not None
    assert [g["label"]["text"] for g in groups] == ["Basic", "General Purpose", "Shared CPU"]
    assert [o["value"] for g in groups for o in g["options"]] == ["p1", "p2", "p3"]
    # one class only: a plain list reads better than one group
    options, groups = plan_option_groups([BASIC], "")
    assert groups is None and options is not None and len(options) == 1


def test_a_search_matches_the_class_the_name_and_the_providers_id() -> None:
    for query in ("general", "s-1vcpu", "nanode 1gb"):
        options, groups = plan_option_groups([BASIC, GENERAL, NANODE], query)
        found = options or [o for g in groups or [] for o in g["options"]]
        assert len(found) == 1, query


@given(head=st.text(min_size=0, max_size=200), cents=st.integers(0, 10**9))
def test_the_price_is_never_cut_off_and_the_text_fits_slacks_limit(head: str, cents: int) -> None:
    price = f"${Decimal(cents) / 100:.2f}/mo"
    text = option_text(head, price)
    assert len(text) <= 75
    assert text.endswith(f" — {price}")
