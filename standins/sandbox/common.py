"""HTTP helpers shared by the two provider emulations (errors and pagination), and the
request log's record that the server writes and the control API reads."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from aiohttp import web

__all__ = [
    "PAGING",
    "TOKEN",
    "ApiError",
    "Paging",
    "RecordedRequest",
    "do_error",
    "do_page",
    "int_param",
    "linode_error",
    "linode_page",
    "read_json",
]


class RecordedRequest(NamedTuple):
    """One upstream call as the sandbox saw it (status 0: no answer was sent)."""

    provider: str
    method: str
    path: str
    query: dict[str, str]
    status: int


#: The caller's API token, stored on the request by the auth middleware.
TOKEN = web.RequestKey("token", str)


@dataclass
class Paging:
    """Untidy pagination, set from the control API.

    ``max_page_size`` caps every page (so a small catalogue spans pages) and
    ``overlap`` starts each later page that many items early, repeating items
    across the boundary, as a list that grows while it is paged through does.
    """

    max_page_size: int | None = None
    overlap: int = 0

    def window(self, page: int, size: int, total: int) -> tuple[int, int, int]:
        """(first index, page size, page count) of 1-based ``page``: each later
        page starts ``overlap`` items early, and the page count grows to match,
        so every item is served and the repeated ones twice."""
        if self.max_page_size is not None:
            size = min(size, self.max_page_size)
        step = max(1, size - min(self.overlap, size - 1))
        pages = 1 + max(0, math.ceil((total - size) / step))
        return (page - 1) * step, size, pages


PAGING = web.AppKey("paging", Paging)


def _paging(request: web.Request) -> Paging:
    return request.config_dict.get(PAGING) or Paging()


class ApiError(Exception):
    """An error answer; the server middleware renders ``body`` with ``status``.

    For DigitalOcean bodies the middleware adds the ``request_id``.
    """

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def do_error(status: int, error_id: str, message: str) -> ApiError:
    """A DigitalOcean error: ``{"id": ..., "message": ..., "request_id": ...}``."""
    return ApiError(status, {"id": error_id, "message": message})


def linode_error(status: int, reason: str, field: str | None = None) -> ApiError:
    """A Linode error: ``{"errors": [{"field": ..., "reason": ...}]}``."""
    item: dict[str, str] = {"reason": reason}
    if field is not None:
        item["field"] = field
    return ApiError(status, {"errors": [item]})


def int_param(request: web.Request, name: str, default: int) -> int | None:
    """An integer query parameter, ``default`` if absent, None if malformed."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        return None


async def read_json(request: web.Request, error: ApiError) -> dict[str, Any]:
    """The JSON object body, or raise ``error`` when it is not one."""
    try:
        body = await request.json(loads=json.loads) if request.can_read_body else {}
    except (ValueError, UnicodeDecodeError):
        raise error from None
    if not isinstance(body, dict):
        raise error
    return body


def do_page(request: web.Request, items: Sequence[Any], key: str) -> dict[str, Any]:
    """One DigitalOcean page: ``{key: [...], "links": {"pages": ...}, "meta": {"total"}}``.

    ``per_page`` defaults to 20 and is capped at 200; page links are absolute
    URLs back at this server that keep the other query parameters.
    """
    per_page = int_param(request, "per_page", 20)
    page = int_param(request, "page", 1)
    if per_page is None or page is None:
        raise do_error(400, "bad_request", "page and per_page must be integers")
    per_page = min(max(per_page, 1), 200)
    page = max(page, 1)
    total = len(items)
    start, size, last = _paging(request).window(page, per_page, total)
    chunk = list(items[start : start + size])

    def link(n: int) -> str:
        return str(request.url.update_query(page=str(n), per_page=str(per_page)))

    pages: dict[str, str] = {}
    if page > 1:
        pages["first"] = link(1)
        pages["prev"] = link(min(page - 1, last))
    if page < last:
        pages["next"] = link(page + 1)
        pages["last"] = link(last)
    return {key: chunk, "links": {"pages": pages}, "meta": {"total": total}}


def linode_page(request: web.Request, items: Sequence[Any]) -> dict[str, Any]:
    """One Linode page: ``{"data", "page", "pages", "results"}``; page_size 25-500."""
    page_size = int_param(request, "page_size", 100)
    page = int_param(request, "page", 1)
    if page_size is None or not 25 <= page_size <= 500:
        raise linode_error(400, "Must be 25-500", "page_size")
    if page is None or page < 1:
        raise linode_error(400, "Must be an integer greater than or equal to 1", "page")
    total = len(items)
    start, size, pages = _paging(request).window(page, page_size, total)
    return {
        "data": list(items[start : start + size]),
        "page": page,
        "pages": pages,
        "results": total,
    }
