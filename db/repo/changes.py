"""Change notices: how one replica tells every replica (itself included) that
something they may hold in memory changed.

A notice is a ``pg_notify`` on ``vpsbot_catalog`` with the payload
``<topic>:<key>``, delivered when the sending transaction commits. The triggers
of migrations 0005 and 0008 send on the same channel: a bare provider id when a
provider, a plan or a share changes, and ``install:<enterprise>:<team>`` when a
bot installation does.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["CHANNEL", "announce"]

CHANNEL = "vpsbot_catalog"


async def announce(session: AsyncSession, topic: str, key: str) -> None:
    """Tell every replica, once the transaction commits, that ``topic``/``key`` changed."""
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": f"{topic}:{key}"},
    )
