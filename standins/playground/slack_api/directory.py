"""Who and where: users.info, conversations.info and usergroups.users.list.

A test or the playground stores users, channels and user groups (``api.users``,
``api.channels``, ``api.usergroups``); the methods answer them in Slack's shapes, with
Slack's defaults for the fields not stored.
"""

from __future__ import annotations

import copy

from .base import StandInCore
from .records import JSON, ApiError

__all__ = ["Directory"]


class Directory(StandInCore):
    """Users, channels and user groups as the Web API reports them."""

    def _init_directory(self) -> None:
        """No user groups or channels stored yet (``users`` is shared: see ``base``)."""
        #: user groups by id ("S…") -> their members, for usergroups.users.list
        self.usergroups: dict[str, list[str]] = {}
        #: their names ("S…" -> "Platform team"), for usergroups.list
        self.usergroup_names: dict[str, str] = {}
        self.channels: dict[str, JSON] = {}

    def _usergroups_users_list(self, args: JSON) -> JSON:
        self._require(args, "usergroup")
        members = self.usergroups.get(str(args["usergroup"]))
        if members is None:
            raise ApiError("no_such_subteam")
        return {"ok": True, "users": list(members)}

    def _users_info(self, args: JSON) -> JSON:
        self._require(args, "user")
        user_id = str(args["user"])
        stored = self.users.get(user_id)
        if stored is None:
            raise ApiError("user_not_found")
        name = str(stored.get("name", user_id.lower()))
        user: JSON = {
            "id": user_id,
            "team_id": self._caller_team(),  # a member of the asking workspace, unless stored
            "name": name,
            "real_name": name,
            "deleted": False,
            "tz": "UTC",
            "tz_label": "Coordinated Universal Time",
            "tz_offset": 0,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": False,
            "is_app_user": False,
            "profile": {"real_name": name, "display_name": name},
        }
        user.update(copy.deepcopy(stored))
        return {"ok": True, "user": user}

    def _conversations_info(self, args: JSON) -> JSON:
        self._require(args, "channel")
        channel_id = str(args["channel"])
        stored = self.channels.get(channel_id)
        if stored is None:
            raise ApiError("channel_not_found")
        channel: JSON = {
            "id": channel_id,
            "name": channel_id.lower(),
            "is_channel": channel_id.startswith("C"),
            "is_group": channel_id.startswith("G"),
            "is_im": channel_id.startswith("D"),
            "is_private": False,
            "is_archived": False,
            "is_member": True,
            "context_team_id": self.team_id,
        }
        channel.update(copy.deepcopy(stored))
        return {"ok": True, "channel": channel}
