"""Secrets at rest: provider API tokens encrypted with MultiFernet.

The first key encrypts; every configured key decrypts, so keys can be rotated
by prepending a new one and running ``vpsbot rotate-keys``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["SecretBox", "SecretError", "load_or_create_dev_key"]

log = logging.getLogger(__name__)


class SecretError(Exception):
    """A stored secret could not be decrypted with any configured key."""


class SecretBox:
    """Encrypts and decrypts small secrets with the configured keys."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str, *, what: str = "secret") -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretError(
                f"cannot decrypt {what}: no configured VPSBOT_ENCRYPTION_KEYS key matches"
            ) from None

    def rotate(self, token: str, *, what: str = "secret") -> str:
        """Re-encrypt ``token`` under the first key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretError(
                f"cannot re-encrypt {what}: no configured VPSBOT_ENCRYPTION_KEYS key matches"
            ) from None


def load_or_create_dev_key(data_dir: Path) -> str:
    """The development key in ``data_dir/encryption.key``, made once with mode 0600."""
    path = data_dir / "encryption.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    log.warning(
        "generated a development encryption key in %s; set VPSBOT_ENCRYPTION_KEYS in production",
        path,
    )
    return key
