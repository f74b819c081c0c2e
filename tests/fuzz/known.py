"""Failures the fuzz suite found that are not fixed yet (issue 10), and how to spot them.

Temporary, like the ``xfail(strict=True)`` regression tests in ``test_known.py``
that pin each one down: a fuzz case whose every logged problem matches an entry
here is counted under that entry (printed at the end of the run) instead of
failing, so the fuzzer keeps finding *new* failures meanwhile. Fixing one means:
its regression test starts passing (strict xfail turns red), then delete both
the ``xfail`` mark and the entry here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["KNOWN", "Known", "known_issue"]


@dataclass(frozen=True)
class Known:
    name: str
    pattern: re.Pattern[str]

    def __str__(self) -> str:
        return self.name


_LISTENERS = r"^bot/(?:create|admin|servers|help|status)/\S+|^bot/core/access\.py:\w+"

KNOWN: list[Known] = [
    Known(
        "issue 10: listeners index a payload's view, actions, trigger_id or private_metadata "
        "without checking it is there and of the right type (KeyError/TypeError)",
        re.compile(_LISTENERS + r" -> (?:KeyError|TypeError: (?!unhashable)|IndexError)"),
    ),
    Known(
        "issue 10: listeners call .get on payload parts of another type (a user that is a "
        "string, a state value that is null) or use an object team id as a cache key",
        re.compile(
            _LISTENERS + r" -> (?:AttributeError: '\w+' object has no attribute 'get'"
            r"|TypeError: unhashable type)"
        ),
    ),
    Known(
        "issue 10: server actions answer through respond() when the payload has no "
        "response_url (a button pressed in a modal)",
        re.compile(r"respond is unsupported here as there is no response_url"),
    ),
    Known(
        "issue 10: server actions respond() to a response_url that is not a URL",
        re.compile(r"^bot/servers/\S+ -> aiohttp\.client_exceptions\.InvalidUrl"),
    ),
    Known(
        "issue 10: a view id that is not text reaches SQL (drafts.load)",
        re.compile(r"^db/repo/\S+ -> asyncpg\.exceptions\.DataError: invalid input for query"),
    ),
    Known(
        "issue 10: a /vps word of about 3,000 characters makes help text over Slack's "
        "3,000-character limit",
        re.compile(r"SlackObjectFormationError: text attribute cannot exceed 3000 characters"),
    ),
    Known(
        "issue 10: a NUL character in user text reaches PostgreSQL",
        re.compile(r'invalid byte sequence for encoding "UTF8": 0x00|\\u0000 cannot be converted'),
    ),
]


def known_issue(problem: str) -> Known | None:
    """The known issue ``problem`` (a logged error with its traceback) is, if any."""
    from tests.fuzz.stack import signature

    text = signature(problem) + "\n" + problem
    return next((k for k in KNOWN if k.pattern.search(text)), None)
