"""Root-password rules and generation shared by the provider clients.

Both providers get the same strength rule (at least three of: lowercase, uppercase,
digit, symbol) so a password accepted for one is accepted for the other; only the
length bounds differ. Passwords are checked before any request is sent.
"""

from __future__ import annotations

import secrets
import string

__all__ = ["generate_password", "strength_error"]

_SYMBOLS = "!#$%&()*+,-./:;<=>?@[]^_{|}~"


def strength_error(password: str, *, min_length: int, max_length: int) -> str | None:
    """Why ``password`` is unacceptable, or None.

    Rules: ``min_length``-``max_length`` characters, printable ASCII only (no
    whitespace other than space, no control characters — the password ends up in a
    cloud-config line or a JSON field), and at least three of the four classes
    lowercase, uppercase, digit, symbol.
    """
    if len(password) < min_length:
        return f"must be at least {min_length} characters long"
    if len(password) > max_length:
        return f"must be at most {max_length} characters long"
    if any(ch not in string.printable or ch in "\t\n\r\x0b\x0c" for ch in password):
        return "may only contain printable ASCII characters"
    if password != password.strip():
        return "must not start or end with a space"
    classes = sum(
        (
            any(ch.islower() for ch in password),
            any(ch.isupper() for ch in password),
            any(ch.isdigit() for ch in password),
            any(not ch.isalnum() for ch in password),
        )
    )
    if classes < 3:
        return "must mix at least three of: lowercase, uppercase, digits, symbols"
    return None


def generate_password(length: int = 32) -> str:
    """A random password that passes :func:`strength_error` for both providers."""
    if length < 8:
        raise ValueError("length must be at least 8")
    alphabet = string.ascii_letters + string.digits + _SYMBOLS
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            strength_error(candidate, min_length=8, max_length=128) is None
            and candidate[0].isalnum()
            and candidate[-1].isalnum()
        ):
            return candidate
