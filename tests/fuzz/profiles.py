"""Hypothesis profiles of the fuzz suite: ``ci`` (default) and ``nightly``.

``VPSBOT_FUZZ=nightly`` selects the nightly size; ``VPSBOT_FUZZ_SCALE`` multiplies
every test's example count (both profiles). The profiles are applied per test
through :func:`fuzz_settings`, never loaded globally, so other suites' Hypothesis
tests keep their own settings.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

__all__ = ["PROFILE", "fuzz_settings"]

_QUIET = [
    HealthCheck.function_scoped_fixture,  # the stack is package-scoped; autouse resets are cheap
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]
settings.register_profile(
    "ci", max_examples=80, derandomize=True, database=None, deadline=None,
    suppress_health_check=_QUIET, print_blob=True,
)  # fmt: skip
settings.register_profile(
    "nightly", max_examples=1100, derandomize=False, deadline=None,
    suppress_health_check=_QUIET, print_blob=True,
)  # fmt: skip

PROFILE = os.environ.get("VPSBOT_FUZZ", "ci")
if PROFILE not in ("ci", "nightly"):
    raise pytest.UsageError(f"VPSBOT_FUZZ must be ci or nightly, not {PROFILE!r}")
_SCALE = float(os.environ.get("VPSBOT_FUZZ_SCALE", "1"))


def fuzz_settings(weight: float = 1.0) -> settings:
    """The profile's settings with ``weight`` times its example count."""
    base = settings.get_profile(PROFILE)
    return settings(base, max_examples=max(1, round(base.max_examples * weight * _SCALE)))
