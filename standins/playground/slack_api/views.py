"""The view stack: views.open / push / update / publish, trigger_ids, and what Slack does
to a modal stack when the app answers a view_submission.

Views stay current in ``api.views`` (closed ones are in ``closed_views``); a stack is at
most three modals deep, a trigger_id is good for one exchange, an update keeps what the
user typed in inputs whose block_id survives, and a stale ``hash`` is a ``hash_conflict``.
"""

from __future__ import annotations

import secrets

from ..view_acks import check_view_submission_ack
from .base import StandInCore
from .checks import PayloadChecks
from .records import BASE_TS, JSON, ApiError, json_copy

__all__ = ["ViewStack"]

_VIEW_STACK_LIMIT = 3


class ViewStack(PayloadChecks, StandInCore):
    """Modals and Home tabs, as Slack keeps them per user."""

    def _init_views(self) -> None:
        """No views, Home tabs or trigger_ids yet."""
        self.home_views: dict[str, str] = {}  # user_id -> view_id
        #: like Slack, a new views.open closes the user's other modals (the playground's
        #: setting; tests keep several sessions of one user open)
        self.one_modal_stack_per_user = False
        self._triggers: dict[str, str | None] = {}  # issued trigger_id -> view it came from
        self._exchanged_triggers: set[str] = set()

    def new_trigger_id(self, view_id: str | None = None, *, user: str | None = None) -> str:
        """A trigger_id as Slack would send with an interaction (optionally from a view),
        by ``user`` when given (a modal opened with it belongs to that user)."""
        n = self._next()
        trigger_id = f"{BASE_TS + n}.{n:010d}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = view_id
        if user is not None:
            self._trigger_users[trigger_id] = user
        return trigger_id

    def open_modals(self, user: str) -> list[JSON]:
        """``user``'s open modals, oldest first (the last is on top)."""
        return [
            view
            for view_id, view in self.views.items()
            if view.get("type") == "modal"
            and self.view_users.get(view_id) == user
            and view_id not in self.closed_views
        ]

    def close_view(self, view_id: str, *, whole_stack: bool = False) -> None:
        """Mark a view (or its whole stack) closed, as when the user closes the modal."""
        view = self.views.get(view_id)
        if view is None:
            return
        if whole_stack:
            root = view.get("root_view_id") or view_id
            for vid, v in self.views.items():
                if (v.get("root_view_id") or vid) == root and v.get("type") == "modal":
                    self.closed_views.add(vid)
        else:
            self.closed_views.add(view_id)

    def apply_view_submission_ack(self, view_id: str, ack: JSON | None) -> None:
        """Apply what the app acked to a view_submission, as Slack does to the modal stack.

        Empty ack closes the view; ``clear`` closes the stack; ``update`` replaces the view
        (same id, new hash); ``push`` pushes a new view; ``errors`` leaves it open. An answer
        Slack would refuse raises :class:`~standins.playground.view_acks.SlackRefusedAck`.
        """
        ack = ack or {}
        if view_id in self.views:
            check_view_submission_ack(self.views[view_id], ack)
        action = ack.get("response_action")
        if action is None:
            self.close_view(view_id)
        elif action == "clear":
            self.close_view(view_id, whole_stack=True)
        elif action == "update" and view_id in self.views:
            self._replace_view(self.views[view_id], ack.get("view") or {})
        elif action == "push" and view_id in self.views:
            try:
                self._push_view(self.views[view_id], ack.get("view") or {})
            except ApiError as e:
                raise AssertionError(f"Slack would reject this push: {e.error}") from e

    def is_open(self, view_id: str) -> bool:
        return view_id in self.views and view_id not in self.closed_views

    def _use_trigger(self, args: JSON) -> str | None:
        self._require(args, "trigger_id")
        trigger_id = str(args["trigger_id"])
        if trigger_id in self._exchanged_triggers:
            raise ApiError("exchanged_trigger_id")
        self._exchanged_triggers.add(trigger_id)
        return self._triggers.get(trigger_id)

    def _materialize_view(self, spec: JSON, *, view_id: str | None = None) -> JSON:
        view_id = view_id or f"V{self._next():010d}"
        view: JSON = {
            "id": view_id,
            "team_id": self._caller_team(),
            "type": spec.get("type"),
            "blocks": json_copy(spec.get("blocks") or []),
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self._new_hash(),
            "title": json_copy(spec.get("title")),
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "close": json_copy(spec.get("close")),
            "submit": json_copy(spec.get("submit")),
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.app_id,
            "external_id": spec.get("external_id", ""),
            "app_installed_team_id": self._caller_team(),
            "bot_id": self.bot_id,
        }
        if view["type"] == "home":
            view["root_view_id"] = None
        return view

    def _replace_view(self, current: JSON, spec: JSON) -> JSON:
        new = self._materialize_view(spec, view_id=current["id"])
        new["previous_view_id"] = current.get("previous_view_id")
        new["root_view_id"] = current.get("root_view_id")
        if not spec.get("external_id"):
            new["external_id"] = current.get("external_id", "")
        # Slack keeps what the user typed in inputs whose block_id survives the update.
        kept = {b.get("block_id") for b in new["blocks"] if isinstance(b, dict)}
        old_values = (current.get("state") or {}).get("values") or {}
        new["state"] = {"values": {k: v for k, v in old_values.items() if k in kept}}
        self.views[current["id"]] = new
        return new

    def _push_view(self, under: JSON, spec: JSON) -> JSON:
        depth = 1
        cursor: JSON | None = under
        while cursor is not None and cursor.get("previous_view_id"):
            depth += 1
            cursor = self.views.get(cursor["previous_view_id"])
        if depth >= _VIEW_STACK_LIMIT:
            raise ApiError("push_limit_reached")
        view = self._materialize_view(spec)
        if under["id"] in self.view_users:
            self.view_users[view["id"]] = self.view_users[under["id"]]
        view["previous_view_id"] = under["id"]
        view["root_view_id"] = under.get("root_view_id") or under["id"]
        self.views[view["id"]] = view
        return view

    def _find_view(self, args: JSON) -> JSON:
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if view_id:
            view = self.views.get(str(view_id))
        elif external_id:
            view = next(
                (v for v in self.views.values() if v.get("external_id") == external_id), None
            )
        else:
            raise ApiError(
                "invalid_arguments", messages=["[ERROR] view_id or external_id is required"]
            )
        if view is None or view["id"] in self.closed_views:
            raise ApiError("not_found")
        return view

    def _views_open(self, args: JSON) -> JSON:
        self._use_trigger(args)
        spec = self._check_view(args.get("view"), expected_type="modal")
        user = self._trigger_users.get(str(args["trigger_id"]))
        view = self._materialize_view(spec)
        if user is not None:
            if self.one_modal_stack_per_user:
                for other in self.open_modals(user):
                    self.closed_views.add(other["id"])
            self.view_users[view["id"]] = user
        self.views[view["id"]] = view
        return {"ok": True, "view": view}

    def _views_push(self, args: JSON) -> JSON:
        from_view = self._use_trigger(args)
        spec = self._check_view(args.get("view"), expected_type="modal")
        under = self.views.get(from_view) if from_view else None
        if under is not None and under.get("type") == "modal" and self.is_open(under["id"]):
            view = self._push_view(under, spec)
        else:
            view = self._materialize_view(spec)
            self.views[view["id"]] = view
        return {"ok": True, "view": view}

    def _views_update(self, args: JSON) -> JSON:
        spec = self._check_view(args.get("view"))
        current = self._find_view(args)
        expected = args.get("hash")
        if expected and expected != current.get("hash"):
            raise ApiError("hash_conflict")
        view = self._replace_view(current, spec)
        return {"ok": True, "view": view}

    def _views_publish(self, args: JSON) -> JSON:
        self._require(args, "user_id")
        spec = self._check_view(args.get("view"), expected_type="home")
        user_id = str(args["user_id"])
        existing_id = self.home_views.get(user_id)
        if existing_id is not None:
            current = self.views[existing_id]
            expected = args.get("hash")
            if expected and expected != current.get("hash"):
                raise ApiError("hash_conflict")
            view = self._replace_view(current, spec)
        else:
            view = self._materialize_view(spec)
            self.views[view["id"]] = view
            self.home_views[user_id] = view["id"]
        return {"ok": True, "view": view}
