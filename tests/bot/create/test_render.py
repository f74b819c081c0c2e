"""Memoised rendering of create-modal views: same input, same checked dict."""

from __future__ import annotations

from decimal import Decimal

from bot.core.blocks import PlanChoice
from bot.create.draft import Draft
from bot.create.flows import flow_for
from bot.create.render import render
from bot.create.views import ProviderChoice, StepData, view_for
from providers.models import DeploymentOption


def _data(label: str = "web-1", app: str | None = None) -> StepData:
    return StepData(
        draft=Draft(label=label, provider_id="p1", deployment_id=app),
        providers=[ProviderChoice("p1", "do", "digitalocean")],
        flow=flow_for("digitalocean"),
        plans=[
            PlanChoice(
                "x", "Basic", "s-1vcpu-1gb", 1, 1024, 25, 1000, Decimal("7.20"), Decimal("0.0099")
            )
        ],
        deployments=[
            DeploymentOption(
                id="wordpress",
                kind="oneclick",
                name="WordPress",
                category="Blog",
                image="wordpress",
            )
        ],
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
