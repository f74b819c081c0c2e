"""When the status watcher polls: from what a change is expected to take."""

from __future__ import annotations

import pytest

from bot.status.timing import LEAD, TICK, Durations, next_delay


def test_nothing_is_asked_until_just_before_the_expected_end() -> None:
    assert next_delay(2.0, 50.0, learned=True) == pytest.approx(50.0 - LEAD - 2.0)
    assert next_delay(47.9, 50.0, learned=True) == 0.5  # never a busy loop
    assert next_delay(48.0, 50.0, learned=True) == TICK
    assert next_delay(60.0, 50.0, learned=True) == TICK


def test_a_guess_opens_the_window_earlier_than_a_learned_figure() -> None:
    assert next_delay(2.0, 50.0, learned=False) == pytest.approx(23.0)
    assert next_delay(26.0, 50.0, learned=False) == TICK


def test_a_change_far_past_its_time_is_polled_less_and_less() -> None:
    overdue = [next_delay(e, 50.0, learned=True) for e in (130.0, 160.0, 200.0, 400.0)]
    assert overdue == sorted(overdue) and overdue[0] == TICK
    assert overdue[-1] == 60.0


def test_durations_learn_per_account_and_kind() -> None:
    seen = Durations(weight=0.5)
    assert seen.expected("a", "create") == (50.0, False)
    seen.observe("a", "create", 40.0)
    assert seen.expected("a", "create") == (40.0, True)
    seen.observe("a", "create", 60.0)
    assert seen.typical("a", "create") == 50.0
    assert seen.typical("b", "create") is None
    assert seen.expected("a", "reboot") == (30.0, False)
