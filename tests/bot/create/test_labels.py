"""A server's label: one rule per provider, stated under the field, refused in a
full sentence, and never changed behind the person's back."""

from __future__ import annotations

import pytest

from bot.create.draft import Draft
from bot.create.flows import flow_for
from bot.create.steps import label_problem
from bot.create.views import ProviderChoice, StepData, plan_view
from providers.digitalocean import DigitalOceanProvider
from providers.ec2 import Ec2Provider
from providers.ec2.families import family_of as ec2_family
from providers.linode import LinodeProvider, family_of
from providers.registry import capabilities_for


def _label_block(provider: str, label: str) -> dict[str, object]:
    data = StepData(
        draft=Draft(provider_id="p1", label=label),
        providers=[ProviderChoice("p1", "main", provider)],
        flow=flow_for(provider),
    )
    blocks = plan_view(data).to_dict()["blocks"]
    return next(b for b in blocks if b.get("block_id") == "label")


@pytest.mark.parametrize("provider", ["digitalocean", "linode", "aws"])
def test_the_hint_states_the_providers_own_rule(provider: str) -> None:
    caps = capabilities_for(provider)
    assert caps is not None and caps.label_rule
    block = _label_block(provider, "web-1")
    assert block["hint"]["text"] == caps.label_rule  # type: ignore[index]
    assert block["element"]["max_length"] == caps.label_max  # type: ignore[index]


def test_a_label_longer_than_the_rule_is_kept_whole_and_refused_at_the_field() -> None:
    long = "w" * 300
    block = _label_block("linode", long)
    element = block["element"]
    assert element["initial_value"] == long  # type: ignore[index]
    assert element["max_length"] >= 300  # type: ignore[index]
    assert label_problem(LinodeProvider, long) == (  # type: ignore[arg-type]
        "The label must be 3 to 64 characters long; this one has 300."
    )


@pytest.mark.parametrize(
    ("provider", "label", "said"),
    [
        (DigitalOceanProvider, "ab", None),
        (DigitalOceanProvider, "1web", None),
        (
            DigitalOceanProvider,
            "web_1",
            'The label may only contain letters, digits, dots (.) and hyphens (-), not "_".',
        ),
        (DigitalOceanProvider, "", "The label must not be empty."),
        (
            DigitalOceanProvider,
            "x" * 300,
            "The label must be at most 255 characters long; this one has 300.",
        ),
        (LinodeProvider, "ab", "The label must be 3 to 64 characters long; this one has 2."),
        (LinodeProvider, "1web", "The label must start with a letter."),
        (LinodeProvider, "web_1", None),
        (
            Ec2Provider,
            "web 1",
            "The label may only contain letters, digits, dots (.) and hyphens (-).",
        ),
    ],
)
def test_each_provider_refuses_in_a_full_sentence(
    provider: type, label: str, said: str | None
) -> None:
    assert label_problem(provider, label) == said  # type: ignore[arg-type]


def test_plans_are_grouped_as_each_providers_create_page_groups_them() -> None:
    assert family_of("nanode") == family_of("standard") == "Shared CPU"
    assert family_of("dedicated") == "Dedicated CPU"
    assert family_of("highmem") == "High Memory"
    assert family_of("some_new_class") == "Some new class"  # kept, not folded away
    assert ec2_family("t3.micro") == "Burstable"
    assert ec2_family("m7g.large") == "General purpose"
    assert ec2_family("c7i.xlarge") == "Compute optimized"
    assert ec2_family("inf2.xlarge") == "Accelerated computing"
