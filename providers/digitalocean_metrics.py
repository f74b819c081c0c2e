"""DigitalOcean droplet graphs from the Monitoring API.

``/v2/monitoring/metrics/droplet/cpu`` answers per-mode CPU seconds (counters) as a
Prometheus matrix; ``…/bandwidth`` answers megabits per second per interface and
direction. Both need the droplet's monitoring agent: without it they answer an
empty ``result``, which is reported as ``agent_missing`` rather than as a quiet
server. DigitalOcean publishes no disk I/O series for droplets, so there is none.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from datetime import datetime
from statistics import median
from typing import Any

from providers.http import JsonApi
from providers.models import MetricSeries, ServerMetrics
from providers.series import clip, number, sum_by_time

__all__ = ["cpu_percent", "droplet_metrics", "matrix"]

_MBPS_TO_BYTES = 1_000_000 / 8


def matrix(body: Any) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
    """(labels, points) of each result of a Prometheus matrix answer; readings that
    are not numbers are dropped (a hole), so are results that are not objects."""
    data = body.get("data") if isinstance(body, dict) else None
    results = data.get("result") if isinstance(data, dict) else None
    found = []
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, dict):
            continue
        labels = result.get("metric")
        points = []
        for pair in result.get("values") or []:
            if not isinstance(pair, list) or len(pair) != 2:
                continue
            t, v = number(pair[0]), number(pair[1])
            if t is not None and v is not None:
                points.append((t, v))
        found.append(({str(k): str(v) for k, v in (labels or {}).items()}, sorted(points)))
    return found


def _step(times: list[float]) -> float:
    gaps = [b - a for a, b in itertools.pairwise(times) if b > a]
    return median(gaps) if gaps else 0.0


def cpu_percent(
    modes: Iterable[tuple[dict[str, str], list[tuple[float, float]]]],
) -> list[tuple[float, float]]:
    """Busy CPU % between consecutive samples from per-mode CPU-second counters:
    100 * (1 - d_idle / d_all). A stretch longer than twice the usual step is a hole
    (the agent was not reporting), so no point is drawn across it; a counter that
    went down (a reboot) gives no point either."""
    totals: dict[float, float] = {}
    idle: dict[float, float] = {}
    counted: dict[float, int] = {}
    kinds = 0
    for labels, points in modes:
        kinds += 1
        for t, v in points:
            totals[t] = totals.get(t, 0.0) + v
            counted[t] = counted.get(t, 0) + 1
            if labels.get("mode") == "idle":
                idle[t] = v
    times = sorted(t for t in totals if counted[t] == kinds and t in idle)
    step = _step(times)
    out = []
    for a, b in itertools.pairwise(times):
        if step and b - a > 2 * step:
            continue
        spent, rested = totals[b] - totals[a], idle[b] - idle[a]
        if spent <= 0 or rested < 0:
            continue
        out.append((b, max(0.0, min(100.0, 100.0 * (1 - rested / spent)))))
    return out


async def droplet_metrics(
    api: JsonApi, instance_id: str, start: datetime, end: datetime
) -> ServerMetrics:
    """CPU % and public network in/out (bytes/s) of droplet ``instance_id``: three
    reads through ``api`` (so through its rate-limit budget and retries)."""
    window = {"host_id": instance_id, "start": str(int(start.timestamp()))}
    window["end"] = str(int(end.timestamp()))
    path = "/v2/monitoring/metrics/droplet/"
    public = {**window, "interface": "public"}
    cpu, inbound, outbound = await asyncio.gather(
        api.get(path + "cpu", params=window),
        api.get(path + "bandwidth", params={**public, "direction": "inbound"}),
        api.get(path + "bandwidth", params={**public, "direction": "outbound"}),
    )
    answers = [matrix(cpu), matrix(inbound), matrix(outbound)]
    if not any(answers):
        return ServerMetrics(
            provider="digitalocean",
            instance_id=instance_id,
            start=start,
            end=end,
            agent_missing=True,
        )

    def bandwidth(
        found: list[tuple[dict[str, str], list[tuple[float, float]]]],
    ) -> list[tuple[float, float]]:
        summed = sum_by_time(*(points for _, points in found))
        return [(t, v * _MBPS_TO_BYTES) for t, v in clip(summed, start, end)]

    busy = cpu_percent(answers[0])
    series = [
        MetricSeries(name="cpu", label="CPU", unit="%", points=clip(busy, start, end)),
        MetricSeries(name="net_in", label="Network in", unit="B/s", points=bandwidth(answers[1])),
        MetricSeries(name="net_out", label="Network out", unit="B/s", points=bandwidth(answers[2])),
    ]
    return ServerMetrics(
        provider="digitalocean", instance_id=instance_id, start=start, end=end, series=series
    )
