"""The HTTP dialect of api.linode.com: error bodies, rate headers, limits, pagination.

Why its own module: everything about *how* Linode v4 is spoken over HTTP sits on
:class:`LinodeApi` (a :class:`~providers.http.JsonApi`); the provider class above it
only says *what* to ask for.
"""

from __future__ import annotations

import json
from typing import Any

from providers.http import JsonApi, path_template, unique_by

__all__ = ["LinodeApi"]


class LinodeApi(JsonApi):
    """HTTP details of api.linode.com: errors, rate headers, limits, pagination."""

    provider_type = "linode"
    display_name = "Linode"
    default_base_url = "https://api.linode.com"
    #: Linode's general limit is 800 requests/min per token; creates ~10 per 30 s.
    requests_per_minute = 800
    special_limits = {("POST", "/v4/linode/instances"): (10, 30)}
    limit_header = "x-ratelimit-limit"
    remaining_header = "x-ratelimit-remaining"
    reset_header = "x-ratelimit-reset"
    request_id_header = "x-request-id"
    field_names = {
        "type": "plan",
        "root_pass": "root_password",
        "authorized_keys": "ssh_key_ids",
        "backups_enabled": "backups",
        "tags": "tag",
        "stackscript_id": "deployment_id",
        "stackscript_data": "deployment_data",
    }

    def parse_error(self, body: Any) -> tuple[str, str | None]:
        if not isinstance(body, dict):
            return "", None
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if not errors:
            return "", None
        message = "; ".join(str(e.get("reason") or "") for e in errors if e.get("reason"))
        fld = next((str(e["field"]) for e in errors if e.get("field")), None)
        return message, fld

    def parse_fields(self, body: Any) -> dict[str, str]:
        fields: dict[str, str] = {}
        for error in (body.get("errors") or []) if isinstance(body, dict) else []:
            if isinstance(error, dict) and error.get("field") and error.get("reason"):
                name = str(error["field"])
                reason = str(error["reason"])
                fields[name] = f"{fields[name]}; {reason}" if name in fields else reason
        return fields

    def is_busy(self, status: int, message: str) -> bool:
        """``400 {"errors":[{"reason":"Linode busy."}]}``: another job runs on it."""
        return status in (400, 409) and "busy" in message.lower()

    async def get_all(
        self,
        path: str,
        *,
        filter: dict[str, Any] | None = None,
        max_pages: int = 1000,
        key: str | None = "id",
    ) -> list[dict[str, Any]]:
        """Every item of a paginated list (``page_size=500``), optionally X-Filtered.

        An item repeated across a page boundary is kept once (by ``key``; None for
        lists whose items have no id, where a repeat is harmless); a page that is
        not a page (an empty body) is an :class:`OutageError`, never a short list.
        """
        headers = {"X-Filter": json.dumps(filter, separators=(",", ":"))} if filter else None
        items: list[dict[str, Any]] = []
        page = 1
        while page <= max_pages:
            body = await self.get(path, params={"page": page, "page_size": 500}, headers=headers)
            if not isinstance(body, dict) or not isinstance(body.get("data", []), list):
                raise self.odd_answer(f"page {page} of {path_template(path)}")
            items.extend(item for item in body.get("data") or [] if isinstance(item, dict))
            try:
                pages = int(body.get("pages") or 1)
            except (TypeError, ValueError):
                pages = 1
            if page >= pages:
                break
            page += 1
        return unique_by(items, key) if key is not None else items
