"""The bot's caches use the project's one cache type, :class:`TtlCache`.

It is defined in :mod:`providers.cache` (the catalogue cache is built on it, and
``providers`` may not import ``bot``); this module is where ``bot`` takes it from,
so a feature never reaches into the provider layer for a cache.
"""

from __future__ import annotations

from providers.cache import TtlCache

__all__ = ["TtlCache"]
