"""Where each workspace's bot token lives in OAuth mode, sealed and cached.

slack_sdk's ``AsyncSQLAlchemyInstallationStore`` keeps installations in
PostgreSQL (tables created by migration 0008, never at run time). This subclass
adds two things the project needs:

* tokens are sealed with the project's Fernet keys before they are written and
  unsealed when read, so no Slack token is plaintext in the database;
* :meth:`async_find_bot` — what Bolt's authorize step calls on every request,
  and what background jobs call to reach a workspace — is answered from memory
  for ``ttl`` seconds. Saving or deleting an installation drops the entry at
  once in this process, and in every other replica through the ``slack_bots``
  trigger's NOTIFY (migration 0008; the services container routes it to
  :meth:`SealedInstallationStore.forget`); ``ttl`` bounds a missed notice.
"""

from __future__ import annotations

import contextvars
import copy
import logging
from typing import Any

from cachetools import TTLCache
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.logs import redactor
from db.crypto import SecretBox

__all__ = ["SealedInstallationStore"]

log = logging.getLogger(__name__)

_TOKEN_FIELDS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
#: set while :meth:`SealedInstallationStore.async_save` has already sealed the bot
_saving: contextvars.ContextVar[bool] = contextvars.ContextVar("vpsbot_saving", default=False)
_MISSING = object()


class SealedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's async SQLAlchemy store with sealed tokens and a cached bot lookup."""

    def __init__(
        self,
        client_id: str,
        engine: AsyncEngine,
        box: SecretBox,
        *,
        ttl: float = 60.0,
        maxsize: int = 20_000,
    ) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        self.box = box
        self._bots: TTLCache[tuple[str | None, str | None], Any] = TTLCache(maxsize, ttl)
        #: database reads made by :meth:`async_find_bot` (the benchmark reports it)
        self.bot_reads = 0

    # -- sealing -------------------------------------------------------------------

    def _sealed(self, entity: Any) -> Any:
        sealed = copy.copy(entity)
        for name in _TOKEN_FIELDS:
            value = getattr(sealed, name, None)
            if isinstance(value, str) and value:
                setattr(sealed, name, self.box.encrypt(value))
        return sealed

    def _unsealed(self, entity: Any) -> Any:
        if entity is None:
            return None
        for name in _TOKEN_FIELDS:
            value = getattr(entity, name, None)
            # a Fernet token starts with its version byte, 0x80 ("gA" in base64);
            # the parent may have copied an already unsealed bot token in
            if isinstance(value, str) and value.startswith("gA"):
                plain = self.box.decrypt(value, what=f"slack {name}")
                redactor.add(plain)
                setattr(entity, name, plain)
        return entity

    # -- writes --------------------------------------------------------------------

    def forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        """Drop the cached bot of one installation (and of its org-wide form)."""
        self._bots.pop((enterprise_id, team_id), None)
        self._bots.pop((enterprise_id, None), None)
        if enterprise_id is not None:
            self._bots.pop((None, team_id), None)

    async def async_save(self, installation: Installation) -> None:
        token = _saving.set(True)
        try:
            await super().async_save(self._sealed(installation))
            # the bot row, written by the parent from the sealed installation
        finally:
            _saving.reset(token)
        self.forget(installation.enterprise_id, installation.team_id)

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(bot if _saving.get() else self._sealed(bot))
        self.forget(bot.enterprise_id, bot.team_id)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await super().async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.forget(enterprise_id, team_id)

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        await super().async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )
        self.forget(enterprise_id, team_id)

    # -- reads ---------------------------------------------------------------------

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        key = (enterprise_id, None if is_enterprise_install or team_id is None else team_id)
        cached = self._bots.get(key, _MISSING)
        if cached is not _MISSING:
            return copy.copy(cached) if cached is not None else None
        self.bot_reads += 1
        found = await super().async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        bot = self._unsealed(found)
        self._bots[key] = bot
        return copy.copy(bot) if bot is not None else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = await super().async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._unsealed(found)  # type: ignore[no-any-return]
