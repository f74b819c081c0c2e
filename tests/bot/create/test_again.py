""" "Create another like this": the next label and the draft (bot/create/again.py)."""

from __future__ import annotations

import uuid

import pytest

from bot.create.again import draft_like, label_stem, next_label
from db.models import VpsInstance


@pytest.mark.parametrize(
    ("label", "taken", "expected"),
    [
        ("web-1", set(), "web-2"),
        ("web", set(), "web-2"),
        ("web1", set(), "web2"),
        ("web-09", set(), "web-10"),
        ("web-001", set(), "web-002"),
        ("web-1", {"web-2", "WEB-3"}, "web-4"),
        ("web", {"web-2"}, "web-3"),
        ("2024", set(), "2024-2"),
        ("db.eu-7", {"db.eu-8"}, "db.eu-9"),
        ("a" * 64, set(), "a" * 62 + "-2"),
        ("b" * 63 + "9", set(), "b" * 62 + "10"),
    ],
)
def test_the_next_label_counts_on_and_skips_taken_ones(
    label: str, taken: set[str], expected: str
) -> None:
    found = next_label(label, taken)
    assert found == expected
    assert len(found) <= 64


def test_the_stem_is_what_the_counter_follows() -> None:
    assert label_stem("web-1") == ("web-", 1, 1)
    assert label_stem("web") == ("web-", 1, 0)
    assert label_stem("api-v2-03") == ("api-v2-", 3, 2)


def test_the_draft_copies_what_runs_and_never_a_password() -> None:
    provider, plan = uuid.uuid4(), uuid.uuid4()
    row = VpsInstance(
        label="web-1",
        provider_id=provider,
        plan_id=plan,
        region="fra1",
        configuration={
            "image": "ubuntu-24-04-x64",
            "deployment_id": None,
            "backups": True,
            "options": {"monitoring": True, "ipv6": False},
            "ssh_keys": 1,
            "root_password": "hunter2-should-never-carry",
        },
    )
    draft = draft_like(row, "web-2")
    assert draft.provider_id == str(provider) and draft.plan_id == str(plan)
    assert (draft.region, draft.image, draft.deployment_id) == ("fra1", "ubuntu-24-04-x64", None)
    assert draft.backups is True
    assert draft.options == {"monitoring": True, "ipv6": False}
    assert draft.label == "web-2"
    assert draft.password_sealed is None and draft.secrets_sealed == {}
    assert "hunter2" not in str(draft.store())


def test_a_forged_configuration_is_read_safely() -> None:
    row = VpsInstance(
        label="x", region=None, configuration={"image": 5, "options": "no", "backups": "yes"}
    )
    draft = draft_like(row, "x-2")
    assert draft.provider_id is None and draft.image is None
    assert draft.options == {} and draft.backups is False and draft.region is None
