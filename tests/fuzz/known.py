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


#: Open findings (none now: every one the suite found is fixed and pinned in test_known.py).
KNOWN: list[Known] = []


def known_issue(problem: str) -> Known | None:
    """The known issue ``problem`` (a logged error with its traceback) is, if any."""
    from tests.fuzz.stack import signature

    text = signature(problem) + "\n" + problem
    return next((k for k in KNOWN if k.pattern.search(text)), None)
