"""Finding out what became of a create whose answer was lost.

Why its own module: every provider (the HTTP ones and EC2 alike) must answer the
same question after a create that timed out or got a 5xx — did the server get
made? — without ever sending the create again; the tag each create carries is how.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from providers.errors import OutcomeUnknownError, ProviderError

if TYPE_CHECKING:
    from providers.base import Provider
    from providers.models import Instance

__all__ = ["resolve_lost_create"]

logger = logging.getLogger("providers.http")


async def resolve_lost_create(
    provider: Provider,
    tag: str,
    cause: OutcomeUnknownError,
    *,
    rechecks: int = 2,
    delay: float = 2.0,
) -> Instance:
    """After a create whose answer was lost, find the server by its unique tag.

    Found → return it (the create happened; nothing is sent again). Not found after
    ``rechecks`` lookups ``delay`` seconds apart → :class:`OutcomeUnknownError`,
    because tag listings can lag behind a create: the caller must look again
    later and must not blindly create again. A lookup that itself fails also
    raises :class:`OutcomeUnknownError`.
    """
    display = cause.provider
    for attempt in range(max(1, rechecks)):
        if attempt:
            await asyncio.sleep(delay)
        try:
            found = await provider.find_by_tag(tag)
        except ProviderError as exc:
            raise OutcomeUnknownError(
                f"the create was sent but its answer was lost ({cause.message}), and looking "
                f"the server up by tag failed ({exc.message}); look it up again later",
                provider=display,
                status=cause.status,
            ) from exc
        if found is not None:
            logger.info(
                "%s create answer lost; found the server by tag",
                display,
                extra={"provider": provider.type, "instance_id": found.id},
            )
            return found
    raise OutcomeUnknownError(
        f"the create was sent but its answer was lost ({cause.message}) and no server with "
        "its tag exists yet; look it up again later before creating another",
        provider=display,
        status=cause.status,
    )
