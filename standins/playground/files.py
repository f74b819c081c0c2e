"""Slack's external file upload, as the stand-in serves it.

Slack's way to upload a file (``files.upload`` is retired): ``files.getUploadURLExternal``
(``filename``, ``length``) hands out an ``upload_url`` and a ``file_id``; the app POSTs
the bytes there; ``files.completeUploadExternal`` (``files`` = JSON ``[{"id", "title"}]``,
optionally ``channel_id``) finishes it. Without a channel the file stays private to
the app — what vpsbot wants for charts, shown in an image block's ``slack_file``.

The stand-in keeps every file (:attr:`SlackFiles.files`), serves the bytes at
``GET /files/{id}`` so the playground page can draw ``slack_file`` images, and checks
image blocks as Slack does: an ``alt_text`` of at most 2000 characters, exactly one of
``image_url`` / ``slack_file``, and a ``slack_file`` that names a completed upload.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

__all__ = ["FileHost", "SlackFiles", "StoredFile"]

JSON = dict[str, Any]


class FileHost(Protocol):
    """What the uploads need of the Slack stand-in that serves them
    (:class:`~standins.playground.slack_api.SlackStandIn` passes itself, so this module
    never imports it)."""

    @property
    def root_url(self) -> str: ...

    @property
    def caller_token(self) -> str | None: ...

    def register_method(self, method: str, handler: Callable[[JSON], JSON]) -> None: ...

    def api_error(self, error: str) -> Exception: ...

    def touch(self) -> None: ...


_ALT_TEXT_MAX = 2000
_TITLE_MAX = 2000
_MAX_LENGTH = 1024 * 1024 * 1024


@dataclass
class StoredFile:
    """One upload: what was announced, what arrived, and whether it was completed."""

    id: str
    filename: str
    length: int
    alt_txt: str | None
    token: str | None
    data: bytes | None = None
    title: str | None = None
    completed: bool = False
    #: channels it was shared to (empty: private to the app, as vpsbot uploads)
    shared_to: list[str] = field(default_factory=list)
    #: monotonic time from which blocks may name it (Slack processes uploads after
    #: files.completeUploadExternal answers; before, a slack_file naming it is invalid)
    ready_at: float = 0.0


class SlackFiles:
    """The two Web API methods, the upload URL and the file bytes of a stand-in."""

    def __init__(self, api: FileHost) -> None:
        self.api = api
        self.files: dict[str, StoredFile] = {}
        self.uploads = 0  # POSTs to upload URLs, for tests
        #: seconds a completed upload stays unusable in blocks, as Slack's processing
        self.processing_seconds = 0.0
        api.register_method("files.getUploadURLExternal", self._get_upload_url)
        api.register_method("files.completeUploadExternal", self._complete)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/files/{file_id}", self._serve)

    def shown(self) -> list[StoredFile]:
        """Completed files, oldest first."""
        return [f for f in self.files.values() if f.completed]

    # ------------------------------------------------------------------ Web API

    def _get_upload_url(self, args: JSON) -> JSON:
        filename, length = args.get("filename"), args.get("length")
        if not filename or length in (None, ""):
            raise self.api.api_error("invalid_arguments")
        try:
            size = int(length)
        except (TypeError, ValueError):
            raise self.api.api_error("invalid_arguments") from None
        if not 0 < size <= _MAX_LENGTH:
            raise self.api.api_error("invalid_arguments")
        file_id = "F" + secrets.token_hex(5).upper()
        alt = args.get("alt_txt")
        self.files[file_id] = StoredFile(
            id=file_id,
            filename=str(filename),
            length=size,
            alt_txt=str(alt) if alt else None,
            token=self.api.caller_token,
        )
        upload_url = f"{self.api.root_url}/upload/{file_id}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    def _complete(self, args: JSON) -> JSON:
        raw = args.get("files")
        try:
            items = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            raise self.api.api_error("invalid_arguments") from None
        if not isinstance(items, list) or not items:
            raise self.api.api_error("invalid_arguments")
        channel = args.get("channel_id") or None
        done = []
        for item in items:
            stored = self.files.get(str(item.get("id"))) if isinstance(item, dict) else None
            if stored is None or stored.data is None or stored.token != self.api.caller_token:
                raise self.api.api_error("file_not_found")
            stored.completed = True
            stored.ready_at = time.monotonic() + self.processing_seconds
            stored.title = str(item.get("title") or stored.filename)
            if channel:
                stored.shared_to.append(str(channel))
            done.append(self._describe(stored))
        self.api.touch()
        return {"ok": True, "files": done}

    def _describe(self, stored: StoredFile) -> JSON:
        return {
            "id": stored.id,
            "name": stored.filename,
            "title": stored.title,
            "mimetype": "image/png" if stored.filename.endswith(".png") else "",
            "filetype": stored.filename.rsplit(".", 1)[-1],
            "size": len(stored.data or b""),
            "url_private": f"{self.api.root_url}/files/{stored.id}",
            "is_public": bool(stored.shared_to),
            "channels": list(stored.shared_to),
        }

    # ------------------------------------------------------------------ HTTP

    async def _upload(self, request: web.Request) -> web.Response:
        stored = self.files.get(request.match_info["file_id"])
        if stored is None or stored.completed:
            return web.Response(status=404, text="not_found")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = form.get("file") or form.get("filename")
            data = part.file.read() if isinstance(part, web.FileField) else str(part).encode()
        else:
            data = await request.read()
        if len(data) != stored.length:
            return web.Response(status=400, text="length_mismatch")
        stored.data = data
        self.uploads += 1
        return web.Response(text=f"OK - {len(data)}")

    async def _serve(self, request: web.Request) -> web.Response:
        stored = self.files.get(request.match_info["file_id"])
        if stored is None or not stored.completed or stored.data is None:
            return web.Response(status=404, text="file_not_found")
        kind = "image/png" if stored.filename.endswith(".png") else "application/octet-stream"
        return web.Response(body=stored.data, content_type=kind)

    # ------------------------------------------------------------------ Block Kit

    def block_problems(self, blocks: Any, pointer: str) -> list[str]:
        """Slack's checks of the image blocks (and image elements) in ``blocks``."""
        problems: list[str] = []
        for i, block in enumerate(blocks if isinstance(blocks, list) else []):
            if not isinstance(block, dict):
                continue
            where = f"{pointer}/{i}"
            if block.get("type") == "image":
                problems += self._image_problems(block, where)
                if len(str((block.get("title") or {}).get("text", ""))) > _TITLE_MAX:
                    problems.append(f"[ERROR] must be less than 2001 characters [{where}/title]")
            for j, element in enumerate(block.get("elements") or []):
                if isinstance(element, dict) and element.get("type") == "image":
                    problems += self._image_problems(element, f"{where}/elements/{j}")
        return problems

    def _image_problems(self, image: JSON, where: str) -> list[str]:
        problems = []
        alt = image.get("alt_text")
        if not isinstance(alt, str) or not alt:
            problems.append(f"[ERROR] missing required field: alt_text [json-pointer:{where}]")
        elif len(alt) > _ALT_TEXT_MAX:
            problems.append(
                f"[ERROR] must be less than 2001 characters [json-pointer:{where}/alt_text]"
            )
        sources = [k for k in ("image_url", "slack_file") if image.get(k)]
        if len(sources) != 1:
            problems.append(
                f"[ERROR] must provide exactly one of image_url, slack_file [json-pointer:{where}]"
            )
        slack_file = image.get("slack_file")
        if isinstance(slack_file, dict) and "url" not in slack_file:
            stored = self.files.get(str(slack_file.get("id")))
            if stored is None or not stored.completed or time.monotonic() < stored.ready_at:
                problems.append(f"[ERROR] invalid slack file [json-pointer:{where}/slack_file]")
        return problems
