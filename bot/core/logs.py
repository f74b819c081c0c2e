"""Logging set-up with a redaction filter.

Secrets known to the process (Slack tokens, the signing secret, decrypted provider
tokens) are registered here and masked in every log record, and common secret
shapes (Slack tokens, password fields) are masked even when unregistered.
"""

from __future__ import annotations

import logging
import re
import sys

__all__ = ["REDACTED", "SecretRedactor", "configure_logging", "redactor"]

REDACTED = "[redacted]"

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

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


redactor = SecretRedactor()


def configure_logging(level: str = "INFO") -> None:
    """One line per record on stderr, every handler behind the redactor."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # pgserver logs every initdb/pg_ctl command with its whole output at INFO
    logging.getLogger("pgserver").setLevel(logging.WARNING)
