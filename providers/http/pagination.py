"""What both clients do with a list read page by page.

Why its own module: each API pages its own way (Linode by page number, DigitalOcean
by ``links.pages.next``; see their ``get_all``), but both must cope with the same
fault of paginated reads — a list that changes between two page reads repeats an
item across the boundary — in the same way.
"""

from __future__ import annotations

from typing import Any

__all__ = ["unique_by"]


def unique_by(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """``items`` without repeats of the same ``key`` (first one kept).

    Paginated catalogues can repeat an item across a page boundary when the list
    changes between two page reads; items without the key are dropped.
    """
    seen: set[str] = set()
    out = []
    for item in items:
        value = item.get(key)
        if value is None or str(value) in seen:
            continue
        seen.add(str(value))
        out.append(item)
    return out
