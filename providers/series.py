"""Shared helpers that turn a cloud's metric answers into :class:`MetricSeries`.

Why here: DigitalOcean answers Prometheus matrices, Linode ``[ms, value]`` pairs;
both end up as sorted, finite (seconds, value) points clipped to the asked window,
with the holes the provider left kept as holes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

__all__ = ["clip", "number", "sum_by_time"]


def number(value: Any) -> float | None:
    """A reading as a float: numbers and numeric strings ("0.42"); ``None`` for
    anything else, NaN and infinities included (Prometheus writes "NaN")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        found = float(value)
    elif isinstance(value, str):
        try:
            found = float(value)
        except ValueError:
            return None
    else:
        return None
    return found if math.isfinite(found) else None


def clip(
    points: Iterable[tuple[float, float]], start: datetime, end: datetime
) -> list[tuple[float, float]]:
    """``points`` inside [start, end], one per timestamp (the last one wins), sorted."""
    low, high = start.timestamp(), end.timestamp()
    kept = {t: v for t, v in points if low <= t <= high}
    return sorted(kept.items())


def sum_by_time(*series: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Several series added up per timestamp (a timestamp one lacks counts what the
    others have), sorted by time."""
    total: dict[float, float] = {}
    for points in series:
        for t, v in points:
            total[t] = total.get(t, 0.0) + v
    return sorted(total.items())
