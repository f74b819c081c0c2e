"""Memoised rendering of create-modal views: same input, same checked dict; any
difference in any field of the input, a new render."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from bot.core.blocks import PlanChoice
from bot.create.draft import Draft
from bot.create.elsewhere import Elsewhere
from bot.create.flows import flow_for
from bot.create.render import _key, render
from bot.create.views import ProviderChoice, StepData, view_for
from providers.models import VPC, DeploymentOption, Image, Region, SSHKey

# the catalogue objects are shared between requests, as the provider cache shares them
WORDPRESS = DeploymentOption(
    id="wordpress", kind="oneclick", name="WordPress", category="Blog", image="wordpress"
)
PLAN = PlanChoice(
    "x", "Basic", "s-1vcpu-1gb", 1, 1024, 25, 1000, Decimal("7.20"), Decimal("0.0099")
)


def _data(label: str = "web-1", app: str | None = None) -> StepData:
    return StepData(
        draft=Draft(label=label, provider_id="p1", deployment_id=app),
        providers=[ProviderChoice("p1", "do", "digitalocean")],
        flow=flow_for("digitalocean"),
        plans=[PLAN],
        deployments=[WORDPRESS],
    )


def test_same_input_is_rendered_once_and_equals_the_builder() -> None:
    first = render("deployment", _data())
    assert render("deployment", _data()) is first
    assert first == view_for("deployment", _data()).to_dict()


def test_any_difference_renders_anew() -> None:
    base = render("deployment", _data())
    chosen = render("deployment", _data(app="wordpress"))
    assert chosen is not base
    assert chosen["blocks"][1]["element"]["initial_option"]["value"] == "wordpress"
    assert render("plan", _data(label="other"))["blocks"] != render("plan", _data())["blocks"]


# a different value for every field StepData has: a field added later must join this table
OTHER = {
    "draft": Draft(label="web-2", provider_id="p1"),
    "providers": [ProviderChoice("p2", "li", "linode")],
    "flow": flow_for("linode"),
    "plans": [dataclasses.replace(PLAN, monthly=Decimal("8.00"))],
    "regions": [Region(id="nyc3", name="New York 3", available=True)],
    "deployments": [],
    "images": [Image(id="ubuntu-24-04-x64", name="Ubuntu 24.04", distribution="Ubuntu")],
    "ssh_keys": [SSHKey(id="1", name="laptop", fingerprint="aa:bb")],
    "vpcs": [VPC(id="v1", name="default", region="nyc3")],
    "steps": ("plan", "deployment", "config", "review"),
    "spend": ["*Cost:* $0.0099/h, $7.20/mo"],
    "leases": (720, None),
    "default_lease": 24,
    "lease_line": "7 days",
    "needs_approval": True,
    "elsewhere": (
        Elsewhere("p", "Linode", "l", "Linode 2GB", "eu-central", "Frankfurt", Decimal("12")),
    ),
}


def test_the_table_names_every_field_of_the_input() -> None:
    assert set(OTHER) == {f.name for f in dataclasses.fields(StepData)}


@pytest.mark.parametrize("name", sorted(OTHER))
def test_every_field_of_the_input_is_part_of_the_key(name: str) -> None:
    base = _data()
    changed = dataclasses.replace(base, **{name: OTHER[name]})
    assert _key("config", changed)[0] != _key("config", base)[0]


def test_a_changed_draft_error_or_sealed_password_is_a_new_key() -> None:
    base = _data()
    errors = dataclasses.replace(base, draft=base.draft.model_copy(update={"errors": {"a": "b"}}))
    sealed = dataclasses.replace(base, draft=base.draft.model_copy(update={"password_sealed": "x"}))
    keys = {_key("config", d)[0] for d in (base, errors, sealed)}
    assert len(keys) == 3
