"""The state every concern of the Slack stand-in shares, and the few helpers over it.

:class:`StandInCore` is the base of the concern mixins (views, chat, directory, OAuth,
faults, recording): it declares the fake Slack's identity and the stores more than one
concern reads (views, messages, users, installs, calls), hands out ids and timestamps,
and wakes whoever waits for a change. State only one concern uses lives in that
concern's own ``_init_*``.
"""

from __future__ import annotations

import asyncio
import secrets
from contextlib import suppress

from .records import BASE_TS, JSON, ApiError, Call, ResponsePost

__all__ = ["StandInCore"]


class StandInCore:
    """Identity, shared stores and helpers of the Slack stand-in (see the module doc)."""

    bot_token: str
    valid_tokens: set[str]
    team_id: str
    team_domain: str
    team_name: str
    bot_user_id: str
    bot_id: str
    app_id: str
    enterprise_id: str | None
    scopes: str

    def _init_core(self) -> None:
        """The shared stores, empty: a fresh Slack with nothing in it."""
        self.calls: list[Call] = []
        self.views: dict[str, JSON] = {}
        self.closed_views: set[str] = set()
        self.messages: dict[tuple[str, str], JSON] = {}
        #: every ephemeral message as a person sees it (chat.postEphemeral, response_url
        #: posts, a slash command's ack): ts -> message with ``channel`` and ``user``
        self.ephemeral_messages: dict[str, JSON] = {}
        #: the user each modal was opened for (from the trigger_id's interaction)
        self.view_users: dict[str, str] = {}
        #: grows with every change; :meth:`wait_changed` waits for it to pass a value
        self.version = 0
        self.responses: list[ResponsePost] = []
        self.users: dict[str, JSON] = {}
        #: OAuth installs (see the ``oauth`` module): bot token -> its workspace
        self.installs: dict[str, JSON] = {}
        self._counter = 0
        self._ts_counter = 0
        self._trigger_users: dict[str, str] = {}  # issued trigger_id -> who interacted
        self._changed = asyncio.Event()
        self._stopping = False
        self._caller: str | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("SlackStandIn is not started; await api.start() first")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The Web API base URL to give ``AsyncWebClient(base_url=...)``."""
        return f"{self.root_url}/api/"

    def touch(self) -> None:
        """Note a change made outside the Web API (wakes :meth:`wait_changed`)."""
        self._notify()

    async def wait_changed(self, after: int, timeout: float) -> int:
        """Wait until :attr:`version` passes ``after`` (or ``timeout``); returns it."""
        with suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.version <= after and not self._stopping:
                    await self._changed.wait()
        return self.version

    def _notify(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def _next_ts(self) -> str:
        self._ts_counter += 1
        micros = self._ts_counter * 100
        return f"{BASE_TS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_hash(self) -> str:
        return f"{BASE_TS + self._next()}.{secrets.token_hex(4)}"

    def _bot_message(self, args: JSON, ts: str) -> JSON:
        message: JSON = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": args.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        return message

    @staticmethod
    def _require(args: JSON, *names: str) -> None:
        missing = [n for n in names if not args.get(n)]
        if missing:
            raise ApiError(
                "invalid_arguments",
                messages=[f"[ERROR] missing required field: {n}" for n in missing],
            )

    def _caller_team(self) -> str:
        """The workspace of the token making the current call (views carry it)."""
        spec = self.installs.get(self._caller or "")
        return str(spec.get("team_id") or self.team_id) if spec else self.team_id
