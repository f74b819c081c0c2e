"""Prometheus metrics measured where the SQL runs.

Module-level objects on the default registry, exposed by ``/metrics``.
"""

from __future__ import annotations

from prometheus_client import Histogram

__all__ = ["WATCHER_LAG_SECONDS"]

WATCHER_LAG_SECONDS = Histogram(
    "vpsbot_watcher_lag_seconds",
    "How late the status watcher picked up a due row (lease time minus its due time).",
    buckets=(0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0),
)
