"""The HTTP dialect of api.digitalocean.com: error messages, rate headers, limits, pages.

Why its own module: everything about *how* DigitalOcean v2 is spoken over HTTP sits
on :class:`DigitalOceanApi` (a :class:`~providers.http.JsonApi`); the provider class
above it only says *what* to ask for.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from providers.http import JsonApi, path_template, unique_by

__all__ = ["DigitalOceanApi"]

#: Words that open a DigitalOcean 422 message → the request field they name.
_MESSAGE_FIELDS = {
    "name": "name",
    "names": "name",
    "region": "region",
    "size": "size",
    "image": "image",
    "ssh_keys": "ssh_keys",
    "ssh": "ssh_keys",
    "tags": "tags",
    "tag": "tags",
    "vpc_uuid": "vpc_uuid",
    "vpc": "vpc_uuid",
    "user_data": "user_data",
    "backups": "backups",
}


class DigitalOceanApi(JsonApi):
    """HTTP details of api.digitalocean.com: errors, rate headers, limits."""

    provider_type = "digitalocean"
    display_name = "DigitalOcean"
    default_base_url = "https://api.digitalocean.com"
    requests_per_minute = 250
    special_limits = {("GET", "/v2/account/keys"): (10, 60)}
    limit_header = "ratelimit-limit"
    remaining_header = "ratelimit-remaining"
    reset_header = "ratelimit-reset"
    request_id_header = "x-request-id"
    field_names = {
        "name": "label",
        "size": "plan",
        "ssh_keys": "ssh_key_ids",
        "vpc_uuid": "vpc_id",
        "tags": "tag",
        "user_data": "root_password",
    }

    def parse_error(self, body: Any) -> tuple[str, str | None]:
        if not isinstance(body, dict):
            return "", None
        message = str(body.get("message") or body.get("id") or "")
        match = re.match(r"\s*([A-Za-z_]+)\b", message)
        fld = _MESSAGE_FIELDS.get(match.group(1).lower()) if match else None
        if fld is None:
            # "You specified an invalid size for Droplet creation."
            invalid = re.search(r"\binvalid\s+([A-Za-z_]+)", message, re.IGNORECASE)
            fld = _MESSAGE_FIELDS.get(invalid.group(1).lower()) if invalid else None
        return message, fld

    def is_busy(self, status: int, message: str) -> bool:
        """``422 "Droplet already has a pending event."``: another action runs."""
        return status == 422 and "pending event" in message.lower()

    async def get_all(
        self, path: str, key: str, params: dict[str, Any] | None = None, *, unique: str = "id"
    ) -> list[dict[str, Any]]:
        """Every item of a paginated list, following ``links.pages.next``.

        An item repeated across a page boundary (same ``unique`` key) is kept
        once; a page that is not a page (an empty body) is an
        :class:`OutageError`, never a silently short list.
        """
        query: dict[str, Any] = {"per_page": 200, **(params or {})}
        items: list[dict[str, Any]] = []
        seen_pages: set[str] = set()
        for _ in range(1000):
            body = await self.get(path, params=query)
            if not isinstance(body, dict) or not isinstance(body.get(key, []), list):
                raise self.odd_answer(f"a page of {path_template(path)}")
            items.extend(item for item in body.get(key) or [] if isinstance(item, dict))
            nxt = ((body.get("links") or {}).get("pages") or {}).get("next")
            if not nxt:
                break
            # Re-issue the next page against *our* base URL: only its query is used.
            next_query = dict(parse_qsl(urlsplit(nxt).query))
            page = next_query.get("page")
            if not page or page in seen_pages:
                break
            seen_pages.add(page)
            query = {**query, **next_query}
        return unique_by(items, unique)
