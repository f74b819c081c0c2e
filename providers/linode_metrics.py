"""Linode graphs from ``/v4/linode/instances/{id}/stats``.

The answer holds the last 24 hours as ``[milliseconds, reading]`` pairs: ``cpu``
(percent, where 100 is one core), ``io.io`` (blocks/s) and ``netv4``/``netv6``
``in``/``out`` (bits/s). Longer windows read ``…/stats/{year}/{month}`` for each
month they touch. A Linode too new to have stats answers 400 "Stats are
unavailable at this time."; that is an empty answer, not a failure.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from providers.errors import ValidationError
from providers.http import JsonApi
from providers.models import MetricSeries, ServerMetrics
from providers.series import clip, number, sum_by_time

__all__ = ["linode_metrics", "months_between", "pairs"]

#: How far back ``/stats`` reaches.
_DAY = timedelta(hours=24)


def pairs(raw: Any, scale: float = 1.0) -> list[tuple[float, float]]:
    """``[[ms, value], ...]`` as (seconds, value * scale); odd entries are holes."""
    out = []
    for pair in raw if isinstance(raw, list) else []:
        if not isinstance(pair, list) or len(pair) != 2:
            continue
        t, v = number(pair[0]), number(pair[1])
        if t is not None and v is not None:
            out.append((t / 1000.0, v * scale))
    return out


def months_between(start: datetime, end: datetime) -> list[tuple[int, int]]:
    """(year, month) of every calendar month (UTC) from ``start`` to ``end``."""
    first, last = start.astimezone(UTC), end.astimezone(UTC)
    year, month = first.year, first.month
    found = []
    while (year, month) <= (last.year, last.month):
        found.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _part(body: Any, *keys: str) -> Any:
    for key in keys:
        body = body.get(key) if isinstance(body, dict) else None
    return body


def _series(bodies: list[Any], start: datetime, end: datetime) -> list[MetricSeries]:
    def merged(*keys: str, scale: float = 1.0) -> list[tuple[float, float]]:
        return clip((p for body in bodies for p in pairs(_part(body, *keys), scale)), start, end)

    def network(direction: str) -> list[tuple[float, float]]:
        v4 = merged("netv4", direction, scale=1 / 8)
        v6 = merged("netv6", direction, scale=1 / 8)
        return sum_by_time(v4, v6)

    return [
        MetricSeries(name="cpu", label="CPU", unit="%", points=merged("cpu")),
        MetricSeries(name="net_in", label="Network in", unit="B/s", points=network("in")),
        MetricSeries(name="net_out", label="Network out", unit="B/s", points=network("out")),
        MetricSeries(name="disk_io", label="Disk I/O", unit="blocks/s", points=merged("io", "io")),
    ]


async def linode_metrics(
    api: JsonApi, instance_id: str, start: datetime, end: datetime, *, now: datetime | None = None
) -> ServerMetrics:
    """CPU, network in/out (bytes/s) and disk I/O of Linode ``instance_id``: one read
    through ``api`` for the last day, one per month for longer windows."""
    now = now or datetime.now(UTC)
    base = f"/v4/linode/instances/{instance_id}/stats"
    paths = [base] if start >= now - _DAY - timedelta(minutes=10) else []
    paths = paths or [f"{base}/{y}/{m:02d}" for y, m in months_between(start, end)]
    bodies: list[Any] = []
    for path in paths:
        try:
            bodies.append(await api.get(path))
        except ValidationError as exc:
            if "unavailable" not in exc.message.lower():
                raise
    return ServerMetrics(
        provider="linode",
        instance_id=instance_id,
        start=start,
        end=end,
        series=_series(bodies, start, end),
    )
