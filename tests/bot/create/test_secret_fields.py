"""StackScript fields that hold secrets: recognised, sealed, never shown back."""

from __future__ import annotations

import json

import pytest

from bot.core.services import Services
from bot.create import steps
from bot.create.draft import Draft
from bot.create.flows import flow_for
from bot.create.views import StepData, review_lines
from providers.models import DeploymentOption, ScriptField

SCRIPT = DeploymentOption(
    id="ss-1",
    kind="stackscript",
    name="LAMP",
    fields=[
        ScriptField(name="db_password", label="MySQL root password"),
        ScriptField(name="site_name", label="Site name"),
        ScriptField(name="api", label="Cloudflare API token", default=""),
    ],
)


@pytest.mark.parametrize(
    ("name", "label", "secret"),
    [
        ("db_password", "MySQL root password", True),
        ("pass", "Admin", True),
        ("x", "Deploy KEY", True),
        ("client_secret", "Client", True),
        ("API_TOKEN", "", True),
        ("site_name", "Site name", False),
        ("hostname", "Hostname", False),
    ],
)
def test_secret_fields_are_recognised_by_name_or_label(name: str, label: str, secret: bool) -> None:
    assert ScriptField(name=name, label=label).secret is secret


def _submitted(values: dict[str, str]) -> dict[str, dict[str, dict[str, object]]]:
    state: dict[str, dict[str, dict[str, object]]] = {
        "deployment": {
            "create_deployment_pick": {
                "type": "static_select",
                "selected_option": {"value": "ss-1"},
            }
        }
    }
    for name, value in values.items():
        state[f"udf:{name}"] = {f"udf:{name}": {"type": "plain_text_input", "value": value}}
    return state


async def test_secrets_are_sealed_in_the_draft_and_masked_everywhere(services: Services) -> None:
    draft = Draft(label="web-1", deployment_id="ss-1")
    data = StepData(draft=draft, flow=flow_for("linode"), deployments=[SCRIPT])
    values = _submitted({"db_password": "Sup3r-S3cret!", "site_name": "blog", "api": "cf-123"})
    assert steps.read_step(services, "deployment", values, data, None) == {}
    stored = json.dumps(draft.store())
    assert "Sup3r-S3cret!" not in stored and "cf-123" not in stored
    assert draft.deployment_fields == {"site_name": "blog"}
    assert services.box.decrypt(draft.secrets_sealed["db_password"]) == "Sup3r-S3cret!"
    # each field by its label, the secret only said to be set
    review = dict(review_lines(data))
    assert review["MySQL root password"] == "set (hidden)"
    assert review["Site name"] == "blog"
    assert "Sup3r" not in str(review) and "db_password" not in str(review)
    # going back shows the secret's field empty, marked as already set
    blocks = json.dumps([b.to_dict() for b in data.flow.deployment_blocks(draft, [SCRIPT])])
    assert "Sup3r-S3cret!" not in blocks and "Already set" in blocks


async def test_a_secret_left_blank_keeps_its_sealed_value(services: Services) -> None:
    draft = Draft(label="web-1", deployment_id="ss-1")
    data = StepData(draft=draft, flow=flow_for("linode"), deployments=[SCRIPT])
    steps.read_step(
        services,
        "deployment",
        _submitted({"db_password": "first-Secret1", "site_name": "a"}),
        data,
        None,
    )
    errors = steps.read_step(
        services, "deployment", _submitted({"db_password": "", "site_name": "b"}), data, None
    )
    assert errors == {}
    assert services.box.decrypt(draft.secrets_sealed["db_password"]) == "first-Secret1"
    assert draft.deployment_fields == {"site_name": "b"}
