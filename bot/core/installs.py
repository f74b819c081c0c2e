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

Bolt's authorize step keeps each token's ``auth.test`` answer so a request costs
no Slack call; its own cache is a plain dict that keeps every token it ever saw
(uninstalled and rotated ones too) for the life of the process, and trusts a
token Slack revoked without telling us (a missed ``tokens_revoked``) for as long.
The store hands Bolt its ``authorized`` cache instead (the one cache type,
:class:`~bot.core.cache.TtlCache`): bounded in size, each answer trusted for
``AUTHORIZE_SECONDS``, and a workspace's answers dropped whenever the store
forgets it. The bot lookup above still runs first on every request, so an
uninstalled workspace finds no token to look an answer up by.
"""

from __future__ import annotations

import contextvars
import copy
import logging
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.cache import TtlCache
from bot.core.logs import redactor
from db.crypto import SecretBox

__all__ = ["AUTHORIZE_SECONDS", "SealedInstallationStore", "forget_answers"]

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

#: Seconds an ``auth.test`` answer is trusted before Slack is asked again.
AUTHORIZE_SECONDS = 600.0


def forget_answers(
    cache: TtlCache[str, AuthorizeResult], enterprise_id: str | None, team_id: str | None
) -> int:
    """Drop the ``auth.test`` answers of one workspace (or of a whole Grid org); how
    many went."""
    return cache.forget_where(
        lambda _token, result: bool(
            (team_id and result.get("team_id") == team_id)
            or (enterprise_id and result.get("enterprise_id") == enterprise_id)
        )
    )


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
        self._bots: TtlCache[tuple[str | None, str | None], Bot | None] = TtlCache(
            ttl=ttl, maxsize=maxsize
        )
        #: Bolt's ``auth.test`` answers per token (its ``authorize_result_cache``),
        #: dropped with the workspace's bot
        self.authorized: TtlCache[str, AuthorizeResult] = TtlCache(
            ttl=AUTHORIZE_SECONDS, maxsize=maxsize
        )
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
        """Drop the cached bot of one installation (and of its org-wide form), and
        Bolt's ``auth.test`` answers for it."""
        self._bots.forget((enterprise_id, team_id))
        self._bots.forget((enterprise_id, None))
        if enterprise_id is not None:
            self._bots.forget((None, team_id))
        forget_answers(self.authorized, enterprise_id, team_id)

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

        async def load() -> Bot | None:
            self.bot_reads += 1
            found = await super(SealedInstallationStore, self).async_find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
            return self._unsealed(found)  # type: ignore[no-any-return]

        bot = await self._bots.get_or_load(key, load)
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
