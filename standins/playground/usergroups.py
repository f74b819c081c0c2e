"""``usergroups.list`` of the Slack stand-in: the workspace's user groups as Slack
lists them (id, name, handle, how many members), for pickers that offer them."""

from __future__ import annotations

from typing import Any

__all__ = ["usergroups_list"]

JSON = dict[str, Any]


def usergroups_list(members: dict[str, list[str]], names: dict[str, str]) -> JSON:
    """The answer to ``usergroups.list``: every group in ``members`` (id → user ids),
    named from ``names`` (id → name; the id when unnamed), handles in lower case."""
    groups = []
    for group_id, users in members.items():
        name = names.get(group_id, group_id)
        groups.append(
            {
                "id": group_id,
                "name": name,
                "handle": name.lower().replace(" ", "-"),
                "is_usergroup": True,
                "date_delete": 0,
                "user_count": len(users),
            }
        )
    return {"ok": True, "usergroups": groups}
