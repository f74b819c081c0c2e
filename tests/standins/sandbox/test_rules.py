"""Pure rules: Linode label/password checks against the spec, X-Filter semantics."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from standins.sandbox.digitalocean import name_error
from standins.sandbox.linode import apply_filter_one, label_error, password_error

# The label pattern and length bounds from the Linode spec.
SPEC_LABEL = re.compile(r"^[a-zA-Z]((?!--|__|\.\.)[a-zA-Z0-9-_.])+$")
LABEL_CHARS = st.text(alphabet="ab-_.Z9 !é", min_size=0, max_size=70)


@given(LABEL_CHARS)
def test_label_rules_match_the_spec_pattern(label: str) -> None:
    spec_ok = 3 <= len(label) <= 64 and SPEC_LABEL.match(label) is not None
    assert (label_error(label) is None) == spec_ok


@given(st.text(min_size=0, max_size=140))
def test_password_rules(password: str) -> None:
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    ok = 11 <= len(password) <= 128 and classes >= 3
    assert (password_error(password) is None) == ok


def test_password_examples() -> None:
    assert password_error("aComplexP@ssword") is None
    assert password_error("Sh0rt!") == "Length must be 11-128 characters"
    # the live API's bound, not the published spec's 7
    assert password_error("Abc123!xyz") == "Length must be 11-128 characters"
    assert password_error("lowercaseonly1") == "Password does not meet strength requirement."


def test_droplet_names() -> None:
    assert name_error("web-01.example.com") is None
    assert name_error("a") is None
    assert name_error("web_01") is not None
    assert name_error("web-") is not None
    assert name_error("x" * 256) is not None


ITEM: dict[str, Any] = {
    "id": 7,
    "label": "alpha",
    "tags": ["a", "b"],
    "entity": {"id": 5, "type": "linode"},
    "mine": True,
    "memory": 2048,
}


def test_filter_semantics() -> None:
    assert apply_filter_one(ITEM, {"tags": "a"})
    assert not apply_filter_one(ITEM, {"tags": "c"})
    assert apply_filter_one(ITEM, {"entity.id": 5})
    assert apply_filter_one(ITEM, {"entity": {"id": 5}})
    assert apply_filter_one(ITEM, {"entity.id": "5"})
    assert not apply_filter_one(ITEM, {"mine": "true"})
    assert apply_filter_one(ITEM, {"memory": {"+gte": 2048, "+lt": 4096}})
    assert not apply_filter_one(ITEM, {"memory": {"+gt": 2048}})
    assert apply_filter_one(ITEM, {"label": {"+neq": "beta"}})
    assert apply_filter_one(ITEM, {"label": {"+or": ["beta", "alpha"]}})
    assert apply_filter_one(ITEM, {"+or": [{"label": "x"}, {"id": 7}]})
    assert not apply_filter_one(ITEM, {"+and": [{"label": "alpha"}, {"id": 8}]})
    assert not apply_filter_one(ITEM, {"missing": 1})
    assert apply_filter_one(ITEM, {"+order_by": "id", "+order": "desc"})
