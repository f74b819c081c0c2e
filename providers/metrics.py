"""Prometheus metrics for the provider clients and the catalogue cache.

Module-level objects on the default registry, so ``/metrics`` exposes them as soon
as :mod:`providers.http` or :mod:`providers.cache` is imported. Labels never carry a
token: accounts are identified by a short hash (see :func:`providers.http.account_key`).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "CATALOG_CACHE_HITS",
    "CATALOG_CACHE_MISSES",
    "PROVIDER_ERRORS",
    "PROVIDER_RATELIMIT_REMAINING",
    "PROVIDER_REQUEST_SECONDS",
]

PROVIDER_REQUEST_SECONDS = Histogram(
    "vpsbot_provider_request_seconds",
    "Latency of provider API calls (one observation per HTTP attempt).",
    ["provider", "endpoint", "method"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)

PROVIDER_ERRORS = Counter(
    "vpsbot_provider_errors_total",
    "Provider API calls that failed, by normalised error code.",
    ["provider", "endpoint", "code"],
)

PROVIDER_RATELIMIT_REMAINING = Gauge(
    "vpsbot_provider_ratelimit_remaining",
    "Requests left in the provider's rate-limit window, per account (short hash).",
    ["provider", "account"],
)

CATALOG_CACHE_HITS = Counter(
    "vpsbot_catalog_cache_hits_total",
    "Catalogue reads served without a new upstream call (cached or joined in flight).",
    ["provider", "kind"],
)

CATALOG_CACHE_MISSES = Counter(
    "vpsbot_catalog_cache_misses_total",
    "Catalogue reads that started an upstream call.",
    ["provider", "kind"],
)
