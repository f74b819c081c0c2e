"""Typed lines after `/vps create` → what the modal starts with (bot/create/quick.py).

The offers mirror what the sandbox serves a workspace: DigitalOcean and Linode, with
their own plan names, cities, countries, images and apps, a distributed Linode region
with its own plan, and a GPU plan that runs nowhere.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.create.quick import Prefill, read_words
from bot.create.vocabulary import AppOffer, CloudOffer, ImageOffer, PlanOffer, RegionOffer

DO_REGIONS = ("nyc1", "nyc3", "ams3", "fra1", "lon1", "sgp1")
LI_CORE = ("us-east", "eu-central", "eu-west", "ap-south", "br-gru")


def _do_plan(slug: str, cls: str, vcpus: int, gb: float, monthly: str, **kw: Any) -> PlanOffer:
    memory = int(gb * 1024)
    size = f"{gb:g} GB" if gb >= 1 else f"{memory} MB"
    return PlanOffer(
        id=f"do:{slug}",
        slug=slug,
        name=f"{cls} · {vcpus} vCPU · {size} RAM",
        vcpus=vcpus,
        memory_mb=memory,
        monthly=Decimal(monthly),
        regions=kw.get("regions", DO_REGIONS),
    )


def _li_plan(slug: str, name: str, vcpus: int, gb: int, monthly: str, **kw: Any) -> PlanOffer:
    return PlanOffer(
        id=f"li:{slug}",
        slug=slug,
        name=name,
        vcpus=vcpus,
        memory_mb=gb * 1024,
        monthly=Decimal(monthly),
        regions=kw.get("regions", LI_CORE),
    )


DIGITALOCEAN = CloudOffer(
    provider_id="p-do",
    name="DigitalOcean",
    aliases=("digitalocean", "do"),
    plans=(
        _do_plan("s-1vcpu-512mb-10gb", "Basic", 1, 0.5, "4.80"),
        _do_plan("s-1vcpu-1gb", "Basic", 1, 1, "7.20"),
        _do_plan("s-1vcpu-2gb", "Basic", 1, 2, "14.40"),
        _do_plan("s-2vcpu-2gb", "Basic", 2, 2, "21.60"),
        _do_plan("s-2vcpu-4gb", "Basic", 2, 4, "28.80"),
        _do_plan("c-2", "CPU-Optimized", 2, 4, "50.40", regions=("nyc1", "nyc3", "fra1")),
    ),
    regions=(
        RegionOffer("nyc1", "New York 1", "us"),
        RegionOffer("nyc3", "New York 3", "us"),
        RegionOffer("ams3", "Amsterdam 3", "nl"),
        RegionOffer("fra1", "Frankfurt 1", "de"),
        RegionOffer("lon1", "London 1", "gb"),
        RegionOffer("sgp1", "Singapore 1", "sg"),
    ),
    images=(
        ImageOffer("ubuntu-24-04-x64", "24.04 (LTS) x64", "Ubuntu"),
        ImageOffer("ubuntu-22-04-x64", "22.04 (LTS) x64", "Ubuntu"),
        ImageOffer("debian-12-x64", "12 x64", "Debian"),
        ImageOffer("debian-11-x64", "11 x64", "Debian"),
        ImageOffer("fedora-40-x64", "40 x64", "Fedora"),
    ),
    apps=(AppOffer("docker-20-04", "Docker"), AppOffer("wordpress-20-04", "WordPress")),
)

LINODE = CloudOffer(
    provider_id="p-li",
    name="Linode",
    aliases=("linode", "akamai"),
    plans=(
        _li_plan("g6-nanode-1", "Nanode 1GB", 1, 1, "6.00"),
        _li_plan("g6-standard-1", "Linode 2GB", 1, 2, "14.40"),
        _li_plan("g6-standard-2", "Linode 4GB", 2, 4, "28.80"),
        _li_plan("g6-dedicated-2", "Dedicated 4GB", 2, 4, "43.20"),
        _li_plan("g7-premium-2", "Premium 4GB", 2, 4, "51.60"),
        _li_plan(
            "g6-dedicated-edge-2",
            "Dedicated 4GB (distributed)",
            2,
            4,
            "51.60",
            regions=("de-ham-2",),
        ),
        _li_plan("g1-gpu-rtx6000-1", "Dedicated 32GB + RTX6000 GPU x1", 8, 32, "1200", regions=()),
    ),
    regions=(
        RegionOffer("us-east", "Newark, NJ", "us"),
        RegionOffer("eu-central", "Frankfurt, DE", "de"),
        RegionOffer("eu-west", "London, UK", "gb"),
        RegionOffer("ap-south", "Singapore, SG", "sg"),
        RegionOffer("br-gru", "São Paulo, BR", "br"),
        RegionOffer("de-ham-2", "Hamburg 2, DE", "de"),
    ),
    images=(
        ImageOffer("linode/ubuntu24.04", "Ubuntu 24.04 LTS", "Ubuntu", "24.04"),
        ImageOffer("linode/debian12", "Debian 12", "Debian", "12"),
        ImageOffer("linode/debian11", "Debian 11", "Debian", "11"),
        ImageOffer("linode/almalinux9", "AlmaLinux 9", "AlmaLinux", "9"),
    ),
    apps=(AppOffer("401697", "WordPress"),),
)

OFFERS = (DIGITALOCEAN, LINODE)

#: typed line → what it decides; "notes" lists a fragment each note must contain,
#: in order (no "notes" key: there must be no note at all)
CASES: list[tuple[str, dict[str, Any]]] = [
    ("", {}),
    ("web-1", {"label": "web-1"}),
    ("Web-1", {"label": "Web-1"}),
    ("web_1", {"label": "web_1"}),
    # plain, one cloud
    (
        "2vcpu 2gb ubuntu fra1",
        {
            "provider": "p-do",
            "plan": "do:s-2vcpu-2gb",
            "region": "fra1",
            "image": "ubuntu-24-04-x64",
        },
    ),
    (
        "1vcpu 2gb fra1 web-1",
        {"provider": "p-do", "plan": "do:s-1vcpu-2gb", "region": "fra1", "label": "web-1"},
    ),
    ("2 gb 2 cpu", {"provider": "p-do", "plan": "do:s-2vcpu-2gb"}),
    ("512mb", {"provider": "p-do", "plan": "do:s-1vcpu-512mb-10gb"}),
    ("0.5gb", {"provider": "p-do", "plan": "do:s-1vcpu-512mb-10gb"}),
    ("s-1vcpu-1gb", {"provider": "p-do", "plan": "do:s-1vcpu-1gb"}),
    ("g6-nanode-1 web-2", {"provider": "p-li", "plan": "li:g6-nanode-1", "label": "web-2"}),
    ("cpu-optimized", {"provider": "p-do", "plan": "do:c-2"}),
    ("cpu-optimised", {"provider": "p-do", "plan": "do:c-2"}),
    ("premium 4gb", {"provider": "p-li", "plan": "li:g7-premium-2"}),
    ("lon1 ubuntu", {"provider": "p-do", "region": "lon1", "image": "ubuntu-24-04-x64"}),
    ("do ubuntu 22.04", {"provider": "p-do", "image": "ubuntu-22-04-x64"}),
    ("do ubuntu22.04", {"provider": "p-do", "image": "ubuntu-22-04-x64"}),
    ("do debian", {"provider": "p-do", "image": "debian-12-x64"}),
    ("docker", {"provider": "p-do", "deployment": "docker-20-04"}),
    (
        "docker fra1 2vcpu 4gb basic",
        {
            "provider": "p-do",
            "deployment": "docker-20-04",
            "region": "fra1",
            "plan": "do:s-2vcpu-4gb",
        },
    ),
    # other providers, by name, alias or what only they have
    (
        "linode 2gb frankfurt",
        {"provider": "p-li", "plan": "li:g6-standard-1", "region": "eu-central"},
    ),
    (
        "LINODE 2GB Frankfurt Web-1",
        {"provider": "p-li", "plan": "li:g6-standard-1", "region": "eu-central", "label": "Web-1"},
    ),
    ("akamai 1gb", {"provider": "p-li", "plan": "li:g6-nanode-1"}),
    ("linode debian 12", {"provider": "p-li", "image": "linode/debian12"}),
    ("linode debian", {"provider": "p-li", "image": "linode/debian12"}),
    ("linode wordpress", {"provider": "p-li", "deployment": "401697"}),
    (
        "linode dedicated 4gb frankfurt",
        {"provider": "p-li", "plan": "li:g6-dedicated-2", "region": "eu-central"},
    ),
    ("sao paulo linode", {"provider": "p-li", "region": "br-gru"}),
    ("São Paulo 1gb", {"provider": "p-li", "region": "br-gru", "plan": "li:g6-nanode-1"}),
    # ambiguous: candidates named, the choice left open
    (
        "2gb ubuntu fra1",
        {
            "provider": "p-do",
            "region": "fra1",
            "image": "ubuntu-24-04-x64",
            "notes": [
                "Plans that match: Basic · 1 vCPU · 2 GB RAM ($14.40/mo), "
                "Basic · 2 vCPU · 2 GB RAM ($21.60/mo)"
            ],
        },
    ),
    ("2gb frankfurt", {"notes": ["Offered on: DigitalOcean, Linode"]}),
    ("basic", {"provider": "p-do", "notes": ["($21.60/mo) and 1 more — pick one below."]}),
    ("do 2gb", {"provider": "p-do", "notes": ["Plans that match: Basic · 1 vCPU"]}),
    (
        "linode 4gb",
        {
            "provider": "p-li",
            "notes": ["Plans that match: Linode 4GB ($28.80/mo), Dedicated 4GB ($43.20/mo)"],
        },
    ),
    (
        "dedicated",
        {"provider": "p-li", "notes": ["Dedicated 4GB ($43.20/mo), Dedicated 4GB (distributed)"]},
    ),
    ("do us", {"provider": "p-do", "notes": ["Regions that match: New York 1, New York 3"]}),
    ("new york", {"provider": "p-do", "notes": ["Regions that match: New York 1, New York 3"]}),
    (
        "linode de",
        {"provider": "p-li", "notes": ["Regions that match: Frankfurt, DE, Hamburg 2, DE"]},
    ),
    ("de", {}),
    ("london", {}),
    ("wordpress", {}),
    ("debian 12", {}),
    # misspelled or unknown words: named, with the nearest known word
    ("frankfrut", {"notes": ["matches “frankfrut” — did you mean Frankfurt?"]}),
    (
        "2gb frankfrut web-1",
        {
            "label": "web-1",
            "notes": ["did you mean Frankfurt?", "Offered on: DigitalOcean, Linode"],
        },
    ),
    ("linode ubunt", {"provider": "p-li", "notes": ["did you mean Ubuntu?"]}),
    ("aws 2gb", {"notes": ["matches “aws”.", "Offered on"]}),
    ("Zürich", {"notes": ["matches “Zürich”."]}),
    ("🚀 web-1", {"label": "web-1", "notes": ["matches “🚀”."]}),
    # words that fit nothing together
    ("64gb", {"notes": ["Nothing this workspace is offered matches all of those together."]}),
    ("linode fra1", {"notes": ["Nothing this workspace is offered matches"]}),
    ("8cpu", {"notes": ["Nothing this workspace is offered matches"]}),  # the GPU runs nowhere
    ("c-2 sgp1", {"notes": ["Nothing this workspace is offered matches"]}),
]


def _decided(prefill: Prefill) -> dict[str, Any]:
    found = {
        "provider": prefill.provider_id,
        "plan": prefill.plan_id,
        "region": prefill.region,
        "image": prefill.image,
        "deployment": prefill.deployment_id,
        "label": prefill.label,
    }
    return {k: v for k, v in found.items() if v is not None}


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(("typed", "expected"), CASES, ids=[c[0] or "(empty)" for c in CASES])
def test_typed_line_prefills(typed: str, expected: dict[str, Any]) -> None:
    prefill = read_words(typed, OFFERS)
    wanted = {k: v for k, v in expected.items() if k != "notes"}
    assert _decided(prefill) == wanted
    notes = expected.get("notes", [])
    assert len(prefill.notes) == len(notes), prefill.notes
    for note, fragment in zip(prefill.notes, notes, strict=True):
        assert fragment in note


def test_one_cloud_alone_still_reads_its_own_words() -> None:
    prefill = read_words("2gb frankfurt", (LINODE,))
    assert _decided(prefill) == {
        "provider": "p-li",
        "plan": "li:g6-standard-1",
        "region": "eu-central",
    }


def test_a_long_unknown_word_is_quoted_short() -> None:
    prefill = read_words("x" * 300 + " web-1", OFFERS)
    assert prefill.label == "web-1"
    assert len(prefill.notes[0]) < 120


def test_the_help_examples_read_as_they_say() -> None:
    """`/vps help`'s one-line examples decide a cloud and name nothing unknown."""
    from bot.help.views import CREATE_EXAMPLES

    for command, _ in CREATE_EXAMPLES:
        prefill = read_words(command.removeprefix("/vps create "), OFFERS)
        assert prefill.provider_id is not None, command
        assert not [n for n in prefill.notes if "matches" in n and "No " in n], command
        assert prefill.region is not None, command
