"""Auth: auth.test, api.test, apps.connections.open, OAuth installs, and workspace strictness.

OAuth installs: Slack's side of the v2 OAuth flow for many workspaces. ``issue_code`` is
what Slack does when a person approves the install; ``oauth.v2.access`` exchanges the
code (once) for a new bot token, and ``auth.test`` answers per token with that token's
own workspace.

Strict workspaces: with ``strict_workspaces`` on (OAuth mode), the stand-in is as strict
as Slack about whose token a call carries. Only tokens issued by an install are valid; a
call without one is ``not_authed``, with an unknown one ``invalid_auth``, with a revoked
one ``token_revoked``; a token of one workspace naming another workspace's channel, user,
view or trigger gets ``channel_not_found`` / ``user_not_found`` / ``not_found`` /
``invalid_trigger_id``. Every such refusal is also kept in ``refusals``, for a test to
fail on the ones it did not ask for. Channels and users belong to the stand-in's own
``team_id`` unless said otherwise (``place``).
"""

from __future__ import annotations

import secrets

from .base import StandInCore
from .records import JSON, ApiError, Call

__all__ = ["OAuthInstalls", "WorkspaceStrictness"]


class OAuthInstalls(StandInCore):
    """Installs, their bot tokens, and the auth methods answered per token."""

    def _init_oauth(self) -> None:
        """The app's client id and secret; no codes issued yet."""
        self._codes: dict[str, JSON] = {}
        self.client_id = "1111.2222"
        self.client_secret = "stand-in-client-secret"
        #: what apps.connections.open hands out (a Socket Mode WebSocket URL);
        #: the app-level token must also be in ``valid_tokens``
        self.socket_url: str | None = None

    def issue_code(
        self,
        team_id: str,
        user_id: str,
        *,
        team_name: str | None = None,
        enterprise_id: str | None = None,
        org_wide: bool = False,
    ) -> str:
        """The code Slack would put on the redirect after ``user_id`` approves."""
        code = f"code-{secrets.token_hex(8)}"
        self._codes[code] = {
            "team_id": None if org_wide else team_id,
            "team_name": team_name or f"workspace {team_id}",
            "user_id": user_id,
            "enterprise_id": enterprise_id,
            "org_wide": org_wide,
        }
        return code

    def revoke(self, token: str) -> None:
        """The token stops working, as after an uninstall or a revocation."""
        self.valid_tokens.discard(token)

    def uninstall(self, team_id: str) -> list[str]:
        """What Slack does when a workspace (or Grid org) removes the app: every
        token issued to it stops working. The ``app_uninstalled`` event that
        follows is the sender's to deliver; the revoked tokens are returned."""
        gone = [
            token
            for token, spec in self.installs.items()
            if team_id in (spec["team_id"], spec["enterprise_id"]) and token in self.valid_tokens
        ]
        for token in gone:
            self.revoke(token)
        return gone

    def token_of(self, team_id: str) -> str:
        """The latest bot token issued to ``team_id`` (or a Grid org)."""
        found = [
            t for t, w in self.installs.items() if team_id in (w["team_id"], w["enterprise_id"])
        ]
        assert found, f"no install for {team_id}"
        return found[-1]

    def _oauth_v2_access(self, args: JSON) -> JSON:
        if str(args.get("client_id", self.client_id)) != self.client_id:
            raise ApiError("invalid_client_id")
        spec = self._codes.pop(str(args.get("code") or ""), None)
        if spec is None:
            raise ApiError("invalid_code")
        n = self._next()
        token = f"xoxb-{n}-{secrets.token_hex(12)}"
        self.valid_tokens.add(token)
        self.installs[token] = {**spec, "bot_user_id": f"U0BOT{n}", "bot_id": f"B0BOT{n}"}
        enterprise = spec["enterprise_id"]
        return {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": spec["user_id"]},
            "scope": self.scopes,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": f"U0BOT{n}",
            "team": {"id": spec["team_id"], "name": spec["team_name"]} if spec["team_id"] else None,
            "enterprise": {"id": enterprise, "name": f"org {enterprise}"} if enterprise else None,
            "is_enterprise_install": spec["org_wide"],
        }

    def _install_auth_test(self, token: str) -> JSON:
        if token not in self.valid_tokens:
            raise ApiError("token_revoked")
        spec = self.installs[token]
        return {
            "ok": True,
            "url": "https://workspace.slack.com/",
            "team": spec["team_name"],
            "user": "vpsbot",
            "team_id": spec["team_id"],
            "user_id": spec["bot_user_id"],
            "bot_id": spec["bot_id"],
            "enterprise_id": spec["enterprise_id"],
            "is_enterprise_install": spec["org_wide"],
        }

    def _api_test(self, args: JSON) -> JSON:
        return {"ok": True, "args": args}

    def _apps_connections_open(self, args: JSON) -> JSON:
        if self.socket_url is None:
            raise ApiError("not_allowed_token_type")
        return {"ok": True, "url": self.socket_url}

    def _auth_test(self, args: JSON) -> JSON:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "vpsbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "enterprise_id": self.enterprise_id,
            "is_enterprise_install": False,
        }


class WorkspaceStrictness(OAuthInstalls):
    """Refusing calls whose token does not reach what they name (see the module doc)."""

    def _init_strictness(self) -> None:
        self.strict_workspaces = False
        #: every call refused by the strict checks (never an injected fault)
        self.refusals: list[Call] = []
        #: channel or user id -> the workspace it belongs to (default: ``team_id``)
        self.homes: dict[str, str] = {}
        #: workspace -> its Grid org, for the tokens of org-wide installs
        self.orgs: dict[str, str] = {}

    def install(
        self, team_id: str, *, enterprise_id: str | None = None, org_wide: bool = False
    ) -> str:
        """A bot token for ``team_id`` (or a Grid org) as an approved install would
        issue, without the browser's part of the dance."""
        code = self.issue_code(
            team_id, "UINSTALLER", enterprise_id=enterprise_id, org_wide=org_wide
        )
        if enterprise_id and not org_wide:
            self.orgs[team_id] = enterprise_id
        return str(self._oauth_v2_access({"code": code})["access_token"])

    def place(self, team_id: str, *ids: str) -> None:
        """Say that channels or users ``ids`` belong to workspace ``team_id``."""
        for one in ids:
            self.homes[one] = team_id

    def home_of(self, channel_or_user: str) -> str:
        """The workspace a channel or user id belongs to (a DM's, its user's)."""
        key = channel_or_user
        if key not in self.homes and key[:1] == "D":
            key = "U" + key[1:]
        found = self.homes.get(key)
        if found is None and key in self.users and self.users[key].get("team_id"):
            found = str(self.users[key]["team_id"])
        return found or self.team_id

    def _may_reach(self, token: str, team_id: str) -> bool:
        spec = self.installs[token]
        if spec["team_id"]:
            return bool(spec["team_id"] == team_id)
        return bool(spec["enterprise_id"]) and self.orgs.get(team_id) == spec["enterprise_id"]

    def _refuse(self, call: Call, error: str) -> None:
        call.response = {"ok": False, "error": error}
        self.refusals.append(call)
        raise ApiError(error)

    def _check_strictly(self, method: str, call: Call) -> None:
        """Refuse ``call`` as Slack would refuse it with its token (see above)."""
        if method == "api.test":
            return
        token = call.token
        if not token:
            self._refuse(call, "not_authed")
        assert token is not None
        if token not in self.installs:
            self._refuse(call, "invalid_auth")
        if token not in self.valid_tokens:
            self._refuse(call, "token_revoked")
        args = call.args
        for key, error in (
            ("channel", "channel_not_found"),
            ("user", "user_not_found"),
            ("user_id", "user_not_found"),
        ):
            value = args.get(key)
            if isinstance(value, str) and value and not self._may_reach(token, self.home_of(value)):
                self._refuse(call, error)
        view_id = args.get("view_id")
        view = self.views.get(str(view_id)) if view_id else None
        if view is not None and not self._may_reach(token, str(view.get("team_id"))):
            self._refuse(call, "not_found")
        trigger_user = self._trigger_users.get(str(args.get("trigger_id") or ""))
        if trigger_user and not self._may_reach(token, self.home_of(trigger_user)):
            self._refuse(call, "invalid_trigger_id")
