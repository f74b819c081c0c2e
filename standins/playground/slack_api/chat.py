"""Messages: chat.postMessage / update / postEphemeral, ephemeral messages as a person sees
them, and the ``response_url`` s the stand-in hands out and serves.

Messages stay current in ``api.messages`` ((channel, ts) -> message); a response_url
belongs to a message, a channel or a user, so ``replace_original``, ``delete_original``
and ``in_channel`` posts change them as Slack does, at most five times per URL.
"""

from __future__ import annotations

import copy
import json
import secrets

from aiohttp import web

from .base import StandInCore
from .checks import PayloadChecks
from .records import JSON, ApiError, ResponsePost, ResponseTarget

__all__ = ["ChatMessages"]

_RESPONSE_URL_MAX_USES = 5


class ChatMessages(PayloadChecks, StandInCore):
    """Channel, thread and ephemeral messages, and response_url posts."""

    def _init_chat(self) -> None:
        """No ephemeral posts or response_urls handed out yet."""
        self.ephemerals: list[JSON] = []  # the args of every chat.postEphemeral
        self._response_targets: dict[str, ResponseTarget] = {}

    def seed_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U0001",
        blocks: list[JSON] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """Put a message by someone else (a person by default) in ``channel``; returns its ts."""
        ts = self._next_ts()
        message: JSON = {"type": "message", "user": user, "text": text, "ts": ts}
        message["team"] = self.team_id
        if blocks is not None:
            message["blocks"] = blocks
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
        self.messages[(channel, ts)] = message
        return ts

    def add_ephemeral(self, channel: str, user: str, payload: JSON) -> str:
        """Show ``payload`` (text/blocks) to ``user`` only, in ``channel``; returns its ts.

        What Slack does with a slash command's ack body or an ephemeral response_url post.
        """
        ts = self._next_ts()
        message = self._bot_message(payload, ts)
        message.update({"channel": channel, "user": user, "is_ephemeral": True})
        self.ephemeral_messages[ts] = message
        self.touch()
        return ts

    def dismiss_ephemeral(self, ts: str) -> None:
        """Remove an ephemeral message, as its "Dismiss" link does."""
        if self.ephemeral_messages.pop(ts, None) is not None:
            self.touch()

    def response_url(
        self,
        *,
        channel: str | None = None,
        message_ts: str | None = None,
        user: str | None = None,
        ephemeral: bool = False,
    ) -> str:
        """A fresh response_url served by the stand-in.

        With ``channel``/``message_ts`` the URL belongs to that message, so ``replace_original``
        and ``delete_original`` posts change :attr:`messages` like Slack does (with
        ``ephemeral``, the message is in :attr:`ephemeral_messages`); with only a
        ``channel``, ``response_type: in_channel`` posts add a message to that channel. With a
        ``user``, other posts become ephemeral messages to that user.
        """
        response_id = f"R{self._next()}{secrets.token_hex(4)}"
        self._response_targets[response_id] = ResponseTarget(channel, message_ts, user, ephemeral)
        return f"{self.root_url}/response/{response_id}"

    def _resolve_channel(self, channel: str) -> str:
        # Posting to a user ID posts into the DM with the bot; Slack answers with the D... ID.
        if channel[:1] in ("U", "W"):
            return "D" + channel[1:]
        return channel

    def _chat_post_message(self, args: JSON) -> JSON:
        self._require(args, "channel")
        self._check_message_content(args)
        channel = self._resolve_channel(str(args["channel"]))
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        thread_ts = args.get("thread_ts")
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
            parent = self.messages.get((channel, str(thread_ts)))
            if parent is not None:
                parent["thread_ts"] = parent["ts"]
                parent["reply_count"] = int(parent.get("reply_count", 0)) + 1
                parent["latest_reply"] = ts
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _chat_update(self, args: JSON) -> JSON:
        self._require(args, "channel", "ts")
        self._check_message_content(args, require_content=False)
        channel = self._resolve_channel(str(args["channel"]))
        ts = str(args["ts"])
        message = self.messages.get((channel, ts))
        if message is None:
            raise ApiError("message_not_found")
        if message.get("bot_id") != self.bot_id:
            raise ApiError("cant_update_message")
        if not any(key in args for key in ("text", "blocks", "attachments")):
            raise ApiError("no_text")
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": copy.deepcopy(message),
        }

    def _chat_post_ephemeral(self, args: JSON) -> JSON:
        self._require(args, "channel", "user")
        self._check_message_content(args)
        self.ephemerals.append(copy.deepcopy(args))
        channel = self._resolve_channel(str(args["channel"]))
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        message.update({"channel": channel, "user": str(args["user"]), "is_ephemeral": True})
        self.ephemeral_messages[ts] = message
        return {"ok": True, "message_ts": ts}

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        response_id = request.match_info["response_id"]
        target = self._response_targets.get(response_id)
        try:
            payload = await request.json()
        except ValueError:
            text = await request.text()
            payload = {"text": text}
        if not isinstance(payload, dict):
            payload = {"payload": payload}
        if target is None:
            status, body = 404, "no_service"
        elif target.uses >= _RESPONSE_URL_MAX_USES:
            status, body = 404, "used_url"
        elif self.files.block_problems(payload.get("blocks"), "/blocks"):
            status, body = 404, json.dumps({"ok": False, "error": "invalid_blocks"})
        else:
            target.uses += 1
            status, body = 200, "ok"
            self._apply_response_post(target, payload)
        self.responses.append(
            ResponsePost(
                response_id=response_id,
                payload=payload,
                channel=target.channel if target else None,
                message_ts=target.message_ts if target else None,
                status=status,
            )
        )
        self._notify()
        return web.Response(status=status, text=body)

    def _apply_response_post(self, target: ResponseTarget, payload: JSON) -> None:
        channel, ts = target.channel, target.message_ts
        if channel is None:
            return
        if target.ephemeral and ts is not None and ts in self.ephemeral_messages:
            if payload.get("delete_original"):
                del self.ephemeral_messages[ts]
                return
            if payload.get("replace_original"):
                message = self.ephemeral_messages[ts]
                for key in ("text", "blocks", "attachments"):
                    message.pop(key, None)
                    if key in payload:
                        message[key] = payload[key]
                return
        if ts is not None and (channel, ts) in self.messages:
            if payload.get("delete_original"):
                del self.messages[(channel, ts)]
                return
            if payload.get("replace_original"):
                message = self.messages[(channel, ts)]
                for key in ("text", "blocks", "attachments"):
                    if key in payload:
                        message[key] = payload[key]
                return
        if payload.get("response_type") == "in_channel" and not payload.get("replace_original"):
            new_ts = self._next_ts()
            message = self._bot_message(payload, new_ts)
            if payload.get("thread_ts"):
                message["thread_ts"] = payload["thread_ts"]
            self.messages[(channel, new_ts)] = message
        elif target.user is not None and not payload.get("delete_original"):
            # what Slack does with an ephemeral post (the default response_type)
            ts = self._next_ts()
            message = self._bot_message(payload, ts)
            message.update({"channel": channel, "user": target.user, "is_ephemeral": True})
            self.ephemeral_messages[ts] = message
