"""The one root of every refusal vpsbot shows a person.

Whatever the surface — a Slack field, an ephemeral line, the command line — a
refusal is a :class:`VpsbotError` whose message is one finished sentence for a
person, never a traceback or a library's text::

    VpsbotError               where it is shown
    ├── Refusal               not allowed, or not there (ownership, admin rights, gone)
    ├── InputError            bad input; ``field`` names the form field at fault
    │   └── AdminError        an administrative change that cannot be made
    ├── ConfigError           a setting is missing or malformed; names the variable
    └── CliError              a command-line request that cannot be carried out

Each error carries keyword context: ``message`` and ``field`` (or None).
Provider failures keep their own root, :class:`providers.errors.ProviderError`,
because they come from the cloud layer, which never imports ``bot``.
"""

from __future__ import annotations

import secrets

__all__ = [
    "AdminError",
    "CliError",
    "ConfigError",
    "InputError",
    "Refusal",
    "VpsbotError",
    "reference",
]


class VpsbotError(Exception):
    """A refusal with a message fit to show as it is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Refusal(VpsbotError):
    """The user may not do this, or the thing is not there for them."""


class InputError(VpsbotError):
    """What the user typed or picked cannot be used; ``field`` says where."""


class AdminError(InputError):
    """An administrative request (providers, plans, allowlists) that cannot be carried out."""


class ConfigError(VpsbotError):
    """A configuration variable is missing or malformed; the message names it."""


class CliError(VpsbotError):
    """A command-line request that cannot be carried out; printed as one line."""


def reference() -> str:
    """A short id that ties what a person was told to the log line about it."""
    return secrets.token_hex(4)
