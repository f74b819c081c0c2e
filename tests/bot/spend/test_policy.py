"""Policy edits: each bad field refused with a message at that field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.errors import InputError
from bot.spend.policy import DEFAULTS, Policy, parse_changes


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"monthly_budget": "lots"}, "monthly_budget", "amount in dollars"),
        ({"monthly_budget": "-5"}, "monthly_budget", "between 0"),
        ({"member_budget": "1.234"}, "member_budget", "two decimals"),
        ({"max_servers_per_member": "2.5"}, "max_servers_per_member", "whole number"),
        ({"reminder_hours": ""}, "reminder_hours", "cannot be empty"),
        ({"default_lease_hours": "0"}, "default_lease_hours", "between 1"),
        ({"approver_ids": "@bob"}, "approver_ids", "not a Slack user"),
        ({"approval_channel": "<#C111> <#C222>"}, "approval_channel", "one channel"),
        ({"lease_end_action": "explode"}, "lease_end_action", "power_off or delete"),
        ({"colour": "red"}, "colour", "Unknown policy field"),
        ({"default_lease_hours": "5000"}, "default_lease_hours", "at most the maximum"),
        ({"reminder_hours": "800"}, "reminder_hours", "before the lease ends"),
        ({"approval_threshold": "50"}, "approver_ids", "Name approvers"),
        (
            {"approval_threshold": "50", "approver_ids": "<@U123ABC>"},
            "approval_channel",
            "channel approval requests",
        ),
        ({"monthly_budget": "100", "member_budget": "150"}, "member_budget", "cannot exceed"),
    ],
)
def test_bad_fields_are_named(raw: dict[str, str], field: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_changes(raw, DEFAULTS)
    assert caught.value.field == field
    assert words in caught.value.message


def test_good_edit_is_typed() -> None:
    values = parse_changes(
        {
            "monthly_budget": "$1,000",
            "approval_threshold": "40",
            "approver_ids": "<@U0AAA|ann>, U0BBB",
            "approval_channel": "<#C0APP|approvals>",
            "create_channels": "<#C0ONE> <#C0TWO|ops>",
            "lease_end_action": "Delete",
            "max_lease_hours": "",
        },
        Policy(),
    )
    assert values == {
        "monthly_budget": Decimal("1000"),
        "approval_threshold": Decimal("40"),
        "approver_ids": ["U0AAA", "U0BBB"],
        "approval_channel": "C0APP",
        "create_channels": ["C0ONE", "C0TWO"],
        "lease_end_action": "delete",
        "max_lease_hours": None,
    }
