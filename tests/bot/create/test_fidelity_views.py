"""What the create modal shows of the providers' untidy facts: region prices,
regions that run the plan, image end of life, root access, several field errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.core.blocks import PlanChoice, image_options
from bot.create.draft import Draft
from bot.create.flows import flow_for
from bot.create.service import field_errors
from bot.create.views import ProviderChoice, StepData, plan_view, review_view
from providers.errors import ValidationError
from providers.models import Image, Region

NANODE = PlanChoice(
    "p-nanode",
    "Nanode 1GB",
    "g6-nanode-1",
    1,
    1024,
    25,
    1000,
    Decimal("6.00"),
    Decimal("0.0090"),
    regions=("us-east", "id-cgk"),
    region_prices=(("id-cgk", Decimal("7.20"), Decimal("0.0108")),),
)
REGIONS = [
    Region(id="us-east", name="Newark, NJ"),
    Region(id="id-cgk", name="Jakarta, ID"),
    Region(id="us-den-1", name="Distributed - Denver, CO", site_type="distributed"),
]


def _data(provider: str = "linode", **draft: object) -> StepData:
    return StepData(
        draft=Draft(provider_id="p1", label="web-1", plan_id="p-nanode", **draft),
        providers=[ProviderChoice("p1", "main", provider)],
        flow=flow_for(provider),
        plans=[NANODE],
        regions=REGIONS,
    )


def _text(view: object) -> str:
    return json.dumps(view.to_dict(), ensure_ascii=False)  # type: ignore[attr-defined]


def test_step_one_prices_each_region_and_offers_only_regions_that_run_the_plan() -> None:
    view = plan_view(_data())
    region_block = next(b for b in view.to_dict()["blocks"] if b.get("block_id") == "region")
    texts = [o["text"]["text"] for o in region_block["element"]["options"]]
    assert texts == ["Newark, NJ (us-east) — $6.00/mo", "Jakarta, ID (id-cgk) — $7.20/mo"]
    assert "from $6.00/mo" in _text(view)  # the plan's price before a region is chosen
    assert "$7.20/mo ($0.0108/h)" in _text(plan_view(_data(region="id-cgk")))


def test_review_shows_the_chosen_regions_price() -> None:
    text = _text(review_view(_data(region="id-cgk")))
    # the region by its city, the plan by its name and specifications, not their ids
    assert "Price in Jakarta, ID:* $7.20/mo ($0.0108/h)" in text
    assert "*Region:* Jakarta, ID" in text and "id-cgk" not in text
    assert "*Plan:* Nanode 1GB · 1 vCPU · 1 GB · 25 GB SSD" in text
    assert "g6-nanode-1" not in text
    assert "$6.00/mo" not in text


def test_review_states_root_access_for_digitalocean() -> None:
    keys_only = _text(review_view(_data("digitalocean", region="us-east", ssh_key_ids=["1"])))
    assert "1 SSH key only; no root password, SSH password login off" in keys_only
    two = _text(review_view(_data("digitalocean", region="us-east", ssh_key_ids=["1", "2"])))
    assert "2 SSH keys only" in two
    sealed = _data("digitalocean", region="us-east", ssh_key_ids=["1"], password_sealed="x")
    assert "SSH password login on" in _text(review_view(sealed))
    neither = _text(review_view(_data("digitalocean", region="us-east")))
    assert "generated root password (shown to you once), SSH password login on" in neither
    linode = _text(review_view(_data("linode", region="us-east", ssh_key_ids=["1"])))
    assert "random root password is set and never shown" in linode


def test_images_sort_by_version_number_and_show_a_near_end_of_life() -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    images = [
        Image(id="linode/rocky9", name="Rocky Linux 9", distribution="Rocky Linux", version="9"),
        Image(id="linode/rocky10", name="Rocky Linux 10", distribution="Rocky Linux", version="10"),
        Image(
            id="linode/debian11",
            name="Debian 11",
            distribution="Debian",
            version="11",
            eol=now + timedelta(days=120),
        ),
        Image(
            id="linode/debian12",
            name="Debian 12",
            distribution="Debian",
            version="12",
            eol=now + timedelta(days=900),
        ),
    ]
    groups = {
        g["label"]["text"]: g["options"] for g in (o.to_dict() for o in image_options(images, now))
    }
    assert [o["value"] for o in groups["Rocky Linux"]] == ["linode/rocky10", "linode/rocky9"]
    debian = {o["value"]: o["text"]["text"] for o in groups["Debian"]}
    assert debian["linode/debian11"] == "Debian 11 · EOL 2027-03-30"
    assert debian["linode/debian12"] == "Debian 12"  # far away: not shown


def test_each_refused_field_goes_to_its_own_field() -> None:
    data = _data(region="us-east")
    error = ValidationError(
        "label is taken; root_pass is weak",
        provider="Linode",
        fields={"label": "Label must be unique", "root_password": "too weak"},
    )
    step, errors = field_errors(data, error)
    assert step == "plan"  # the earliest step among the fields
    assert errors == {"label": "Label must be unique", "password": "too weak"}
    one = ValidationError("bad image", provider="Linode", field="image")
    assert field_errors(data, one) == ("image", {"image": "bad image"})
    none = ValidationError("nope", provider="Linode")
    assert field_errors(data, none) == ("review", {"review": "Linode rejected the request: nope"})
