"""Block Kit and payload checks: the limits Slack enforces on messages and views.

Pure checks over what a Web API call carries; they answer Slack-style problem lists or
raise :class:`~.records.ApiError` (``invalid_blocks``, ``invalid_arguments``,
``msg_too_long``, ``no_text``) as Slack does.
"""

from __future__ import annotations

from typing import Any

from ..files import SlackFiles
from .records import JSON, ApiError

__all__ = ["PayloadChecks", "block_problems", "text_of"]

_MAX_MESSAGE_BLOCKS = 50
_MAX_VIEW_BLOCKS = 100
_MAX_MESSAGE_TEXT = 40_000
_MAX_VIEW_TITLE = 24
_MAX_PRIVATE_METADATA = 3000
_MAX_CALLBACK_ID = 255
_MAX_ID_LEN = 255  # block_id and action_id


def text_of(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    if isinstance(obj, str):
        return obj
    return ""


def block_problems(blocks: Any, *, limit: int, pointer: str) -> list[str]:
    """Cheap checks of the Block Kit limits Slack enforces; returns Slack-style messages."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"[ERROR] must be less than {limit + 1} items [json-pointer:{pointer}]")
    seen_block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"{pointer}/{i}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"[ERROR] missing required field: type [json-pointer:{where}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > _MAX_ID_LEN:
                problems.append(f"[ERROR] invalid block_id [json-pointer:{where}/block_id]")
            elif block_id in seen_block_ids:
                problems.append(f"[ERROR] duplicate block_id [json-pointer:{where}/block_id]")
            else:
                seen_block_ids.add(block_id)
        kind = block["type"]
        if kind == "section":
            if len(text_of(block.get("text"))) > 3000:
                problems.append(
                    f"[ERROR] must be less than 3001 characters [json-pointer:{where}/text/text]"
                )
            fields = block.get("fields") or []
            if len(fields) > 10:
                problems.append(f"[ERROR] must be less than 11 items [json-pointer:{where}/fields]")
            for j, f in enumerate(fields):
                if len(text_of(f)) > 2000:
                    problems.append(
                        "[ERROR] must be less than 2001 characters "
                        f"[json-pointer:{where}/fields/{j}/text]"
                    )
        elif kind == "header":
            if len(text_of(block.get("text"))) > 150:
                problems.append(
                    f"[ERROR] must be less than 151 characters [json-pointer:{where}/text/text]"
                )
        elif kind == "actions":
            if len(block.get("elements") or []) > 25:
                problems.append(
                    f"[ERROR] must be less than 26 items [json-pointer:{where}/elements]"
                )
        elif kind == "context" and len(block.get("elements") or []) > 10:
            problems.append(f"[ERROR] must be less than 11 items [json-pointer:{where}/elements]")
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        if isinstance(block.get("element"), dict):
            elements.append(block["element"])
        for element in elements:
            if not isinstance(element, dict):
                continue
            action_id = element.get("action_id")
            if action_id is not None and (
                not isinstance(action_id, str) or len(action_id) > _MAX_ID_LEN
            ):
                problems.append(f"[ERROR] invalid action_id [json-pointer:{where}]")
            if element.get("type") == "button":
                if len(text_of(element.get("text"))) > 75:
                    problems.append(f"[ERROR] button text too long [json-pointer:{where}]")
                if len(str(element.get("value", ""))) > 2000:
                    problems.append(f"[ERROR] button value too long [json-pointer:{where}]")
    return problems


class PayloadChecks:
    """The message and view checks, as methods of the stand-in's Web API handlers."""

    files: SlackFiles  # the stand-in's uploads: image blocks may name them

    def _check_message_content(self, args: JSON, *, require_content: bool = True) -> None:
        if "blocks" in args and args["blocks"] not in (None, ""):
            problems = block_problems(args["blocks"], limit=_MAX_MESSAGE_BLOCKS, pointer="/blocks")
            problems += self.files.block_problems(args["blocks"], "/blocks")
            if problems:
                raise ApiError("invalid_blocks", messages=problems)
        if len(str(args.get("text") or "")) > _MAX_MESSAGE_TEXT:
            raise ApiError("msg_too_long")
        if require_content and not (
            args.get("text") or args.get("blocks") or args.get("attachments")
        ):
            raise ApiError("no_text")

    def _check_view(self, view: Any, *, expected_type: str | None = None) -> JSON:
        if not isinstance(view, dict):
            raise ApiError("invalid_arguments", messages=["[ERROR] missing required field: view"])
        problems: list[str] = []
        kind = view.get("type")
        if kind not in ("modal", "home"):
            problems.append("[ERROR] must be one of modal, home [json-pointer:/view/type]")
        elif expected_type is not None and kind != expected_type:
            problems.append(f"[ERROR] must be {expected_type} [json-pointer:/view/type]")
        problems += block_problems(
            view.get("blocks"), limit=_MAX_VIEW_BLOCKS, pointer="/view/blocks"
        )
        problems += self.files.block_problems(view.get("blocks"), "/view/blocks")
        if kind == "modal":
            title = text_of(view.get("title"))
            if not title:
                problems.append("[ERROR] missing required field: title [json-pointer:/view/title]")
            for key in ("title", "submit", "close"):
                if len(text_of(view.get(key))) > _MAX_VIEW_TITLE:
                    problems.append(
                        f"[ERROR] must be less than {_MAX_VIEW_TITLE + 1} characters "
                        f"[json-pointer:/view/{key}/text]"
                    )
            raw_blocks = view.get("blocks")
            blocks: list[Any] = raw_blocks if isinstance(raw_blocks, list) else []
            has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
            if has_input and not view.get("submit"):
                problems.append(
                    "[ERROR] submit is required when an input block is within the blocks "
                    "[json-pointer:/view/submit]"
                )
        if len(str(view.get("private_metadata") or "")) > _MAX_PRIVATE_METADATA:
            problems.append(
                "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]"
            )
        if len(str(view.get("callback_id") or "")) > _MAX_CALLBACK_ID:
            problems.append(
                "[ERROR] must be less than 256 characters [json-pointer:/view/callback_id]"
            )
        if problems:
            raise ApiError("invalid_arguments", messages=problems)
        return view
