"""Server metrics as DigitalOcean's Monitoring API and Linode's ``/stats`` serve them.

Readings are a deterministic function of the server and the time, so a test can
compute what it should see: a daily wave plus a faster one. They are as untidy as
the real ones: nothing before a server existed (a seeded server pre-existed by
:data:`~standins.sandbox.state.SEEDED_HISTORY`), nothing after "now", a
30-minute hole every 8.5 hours (the agent or the collector missed it), and a
droplet without the monitoring agent answers an empty matrix, as DigitalOcean does.
DigitalOcean's CPU series are per-mode CPU-second counters; its bandwidth is in
Mbps; Linode answers ``[ms, value]`` pairs (CPU %, blocks/s, bits/s) for the last
24 hours at 5-minute steps, and per calendar month at 30-minute steps.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Protocol

from aiohttp import web

from standins.sandbox.common import do_error, linode_error
from standins.sandbox.state import DOState, LinodeState

__all__ = ["HOLE_SECONDS", "Clouds", "MetricsAPI", "busy_fraction", "in_hole", "sample_times"]

#: Length of each hole in the readings, and how often one starts.
HOLE_SECONDS = 1800
_HOLE_EVERY = 17 * HOLE_SECONDS
_DAY = 86400.0
_W1, _W2 = 2 * math.pi / _DAY, 2 * math.pi / 5400.0
_BOOT = 100_000.0  # CPU-seconds the counters start from


def in_hole(t: float) -> bool:
    """Whether no reading exists at unix time ``t``."""
    return (t % _HOLE_EVERY) < HOLE_SECONDS


def busy_fraction(server_id: int, t: float) -> float:
    """How busy the server's one CPU is at ``t`` (0.05 to 0.45)."""
    phase = server_id % 7
    return 0.25 + 0.15 * math.sin(_W1 * t + phase) + 0.05 * math.sin(_W2 * t + phase)


def _busy_seconds(server_id: int, t: float) -> float:
    """CPU-seconds spent busy up to ``t``: the integral of :func:`busy_fraction`."""
    phase = server_id % 7
    return (
        0.25 * t - 0.15 / _W1 * math.cos(_W1 * t + phase) - 0.05 / _W2 * math.cos(_W2 * t + phase)
    )


def _wave(server_id: int, t: float, base: float, swing: float, offset: float = 0.0) -> float:
    return base * (1 + swing * math.sin(_W1 * t + server_id % 5 + offset))


def sample_times(start: float, end: float, step: float, since: float, now: float) -> Iterator[int]:
    """Whole multiples of ``step`` in [start, end] with a reading (after ``since``,
    not after ``now``, outside the holes)."""
    first = math.ceil(max(start, since) / step) * step
    t = first
    while t <= min(end, now):
        if not in_hole(t):
            yield int(t)
        t += step


class Clouds(Protocol):
    """What the metric routes read: the sandbox's two clouds (the server passes itself,
    so this module never imports the server that mounts it)."""

    @property
    def do(self) -> DOState: ...

    @property
    def linode(self) -> LinodeState: ...


class MetricsAPI:
    """The metric routes of both providers over a sandbox's current state."""

    def __init__(self, sandbox: Clouds) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[web.RouteDef]:
        do = "/digitalocean/v2/monitoring/metrics/droplet/"
        stats = "/linode/v4/linode/instances/{linode_id}/stats"
        return [
            web.get(do + "cpu", self.do_cpu),
            web.get(do + "bandwidth", self.do_bandwidth),
            web.get(stats, self.linode_day),
            web.get(stats + "/{year}/{month}", self.linode_month),
        ]

    # ------------------------------------------------------------------ DigitalOcean
    def _do_window(self, request: web.Request) -> tuple[int, float, float, float, float] | None:
        """(droplet id, start, end, since, now), or None for a droplet with no agent
        (or none at all: Prometheus just has no series for it)."""
        query = request.query
        for name in ("host_id", "start", "end"):
            if not query.get(name):
                raise do_error(400, "bad_request", f"{name} is required")
        try:
            host, start, end = int(query["host_id"]), float(query["start"]), float(query["end"])
        except ValueError:
            raise do_error(400, "bad_request", "host_id, start and end must be numbers") from None
        state = self.sandbox.do
        droplet = state.droplets.get(host)
        if droplet is None or not droplet.monitoring:
            return None
        since = state.clock.epoch(droplet.created) - droplet.history
        return host, start, end, since, state.clock.epoch()

    @staticmethod
    def _matrix(results: list[dict[str, Any]]) -> web.Response:
        return web.json_response(
            {"status": "success", "data": {"resultType": "matrix", "result": results}}
        )

    @staticmethod
    def _do_step(start: float, end: float) -> float:
        return max(60.0, round((end - start) / 240 / 60) * 60)

    async def do_cpu(self, request: web.Request) -> web.Response:
        window = self._do_window(request)
        if window is None:
            return self._matrix([])
        host, start, end, since, now = window
        times = list(sample_times(start, end, self._do_step(start, end), since, now))
        modes: dict[str, Callable[[float], float]] = {
            "idle": lambda t: t - _busy_seconds(host, t),
            "user": lambda t: 0.7 * _busy_seconds(host, t),
            "system": lambda t: 0.3 * _busy_seconds(host, t),
            "iowait": lambda t: 0.0,
        }
        results = []
        for mode, counter in modes.items():
            values = [[t, f"{_BOOT + counter(t) - counter(since):.2f}"] for t in times]
            results.append({"metric": {"host_id": str(host), "mode": mode}, "values": values})
        return self._matrix(results if times else [])

    async def do_bandwidth(self, request: web.Request) -> web.Response:
        window = self._do_window(request)
        interface = request.query.get("interface")
        direction = request.query.get("direction")
        if interface not in ("public", "private") or direction not in ("inbound", "outbound"):
            raise do_error(400, "bad_request", "interface and direction are required")
        if window is None:
            return self._matrix([])
        host, start, end, since, now = window
        base = (0.8 if direction == "inbound" else 2.4) * (1 if interface == "public" else 0.05)
        offset = 0.0 if direction == "inbound" else 1.0
        values = [
            [t, str(_wave(host, t, base, 0.6, offset))]
            for t in sample_times(start, end, self._do_step(start, end), since, now)
        ]
        labels = {"host_id": str(host), "interface": interface, "direction": direction}
        return self._matrix([{"metric": labels, "values": values}] if values else [])

    # ------------------------------------------------------------------ Linode
    def _linode(self, request: web.Request) -> tuple[int, float, float, str]:
        state = self.sandbox.linode
        try:
            inst = state.instances.get(int(request.match_info["linode_id"]))
        except ValueError:
            inst = None
        if inst is None:
            raise linode_error(404, "Not found")
        since = state.clock.epoch(inst.created) - inst.history
        return inst.id, since, state.clock.epoch(), inst.label

    @staticmethod
    def _stats(linode_id: int, times: list[int], title: str) -> dict[str, Any]:
        def pairs(value: Callable[[float], float]) -> list[list[float]]:
            return [[t * 1000, round(value(t), 2)] for t in times]

        return {
            "cpu": pairs(lambda t: 100 * busy_fraction(linode_id, t)),
            "io": {
                "io": pairs(lambda t: _wave(linode_id, t, 4.0, 0.5)),
                "swap": pairs(lambda t: 0),
            },
            "netv4": {
                "in": pairs(lambda t: _wave(linode_id, t, 80_000.0, 0.6)),
                "out": pairs(lambda t: _wave(linode_id, t, 240_000.0, 0.6, 1.0)),
                "private_in": pairs(lambda t: 0),
                "private_out": pairs(lambda t: 0),
            },
            "netv6": {
                "in": pairs(lambda t: _wave(linode_id, t, 2_000.0, 0.3)),
                "out": [],
                "private_in": [],
                "private_out": [],
            },
            "title": title,
        }

    async def linode_day(self, request: web.Request) -> web.Response:
        linode_id, since, now, label = self._linode(request)
        if now - since < 900:
            raise linode_error(400, "Stats are unavailable at this time.")
        times = list(sample_times(now - _DAY, now, 300, since, now))
        title = f"linode.com - {label} (linode{linode_id}) - day (5 min avg)"
        return web.json_response(self._stats(linode_id, times, title))

    async def linode_month(self, request: web.Request) -> web.Response:
        linode_id, since, now, label = self._linode(request)
        try:
            year, month = int(request.match_info["year"]), int(request.match_info["month"])
            first = datetime(year, month, 1, tzinfo=UTC).timestamp()
        except ValueError:
            raise linode_error(400, "Invalid year or month", "month") from None
        days = calendar.monthrange(year, month)[1]
        times = list(sample_times(first, first + days * _DAY - 1, 1800, since, now))
        title = f"linode.com - {label} (linode{linode_id}) - month (30 min avg)"
        return web.json_response(self._stats(linode_id, times, title))
