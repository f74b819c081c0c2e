"""Test helpers: the calls as recorded, marks, and awaiting calls or response_url posts.

Every Web API call (failed ones too) is kept in ``api.calls`` as a
:class:`~.records.Call`; ``wait_for_call`` / ``wait_for_response`` / ``wait_for`` let
an async test await what the app sends, without sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import TypeVar

from .base import StandInCore
from .records import Call, ResponsePost, WaitResult, WaitTimeout

__all__ = ["CallRecording"]

_T = TypeVar("_T")


class CallRecording(StandInCore):
    """Reading back and awaiting the calls and response_url posts the app made."""

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def mark(self) -> int:
        """Index of the next call; pass to ``wait_for_call(after=...)`` to skip earlier calls."""
        return len(self.calls)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        timeout: float = 5.0,
        after: int = 0,
    ) -> Call:
        """The first call to ``method`` at index >= ``after`` matching ``predicate``.

        Calls already recorded count, so nothing is missed; pass ``after=api.mark()``
        (taken before the action) or a ``predicate`` to skip earlier calls.
        """

        def find() -> Call | None:
            for call in self.calls[after:]:
                if call.method == method and (predicate is None or predicate(call)):
                    return call
            return None

        return await self._wait_until(find, timeout, f"a {method} call")

    async def wait_for_response(
        self,
        predicate: Callable[[ResponsePost], bool] | None = None,
        *,
        timeout: float = 5.0,
        after: int = 0,
    ) -> ResponsePost:
        """The first response_url post at index >= ``after`` matching ``predicate``."""

        def find() -> ResponsePost | None:
            for post in self.responses[after:]:
                if predicate is None or predicate(post):
                    return post
            return None

        return await self._wait_until(find, timeout, "a response_url post")

    @asynccontextmanager
    async def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
    ) -> AsyncIterator[WaitResult]:
        """``async with api.wait_for("chat.update") as got: ...`` waits on exit until
        ``count`` matching calls arrived *after* entering; they are in ``got.calls``."""
        start = len(self.calls)
        result = WaitResult()
        yield result

        def find() -> list[Call] | None:
            found = [
                c
                for c in self.calls[start:]
                if c.method == method and (predicate is None or predicate(c))
            ]
            return found[:count] if len(found) >= count else None

        result.calls = await self._wait_until(find, timeout, f"{count} {method} call(s)")

    async def _wait_until(self, find: Callable[[], _T | None], timeout: float, what: str) -> _T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                recorded = ", ".join(
                    f"{c.method}({'ok' if c.ok else c.error})" for c in self.calls[-20:]
                )
                raise WaitTimeout(
                    f"timed out after {timeout}s waiting for {what}; last calls: [{recorded}]"
                )
            event = self._changed
            with suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
