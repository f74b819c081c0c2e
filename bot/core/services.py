"""The process's shared parts, built once and handed to every listener.

``Services`` owns the database, the secret box, the provider registry, the Slack
client and what the process caches (all in the one cache type,
:class:`~bot.core.cache.TtlCache`). Bolt's global ``ProvideServices`` middleware
puts it in every request's context, so a listener asks for it as its
``services`` argument; each feature's ``register(app)`` only wires listeners.

When something cached changes, :meth:`Services.changed` drops it here at once
and tells the other replicas (a PostgreSQL NOTIFY, heard on the offer cache's
listening connection).

In OAuth mode no Slack client without a workspace exists: ``Services.slack`` is a
:class:`WorkspacelessClient` that only carries the pooled session, base URL and
retry policy the per-workspace clients share, and refuses every call. Whatever
speaks to Slack says for which workspace: :meth:`Services.slack_for`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.cache import TtlCache
from bot.core.config import Settings
from bot.core.errors import ConfigError
from bot.core.installs import SealedInstallationStore
from bot.core.logs import redactor
from bot.core.offers import OfferCache
from bot.core.slack_retries import retry_handlers
from db.crypto import SecretBox, load_or_create_dev_key
from db.embedded import EmbeddedPostgres
from db.engine import Database
from db.models import ApprovalRequest, ServiceProvider, VpsInstance
from db.repo import changes, workspaces
from db.repo.providers import Scope
from providers.base import Provider
from providers.http import Transport
from providers.registry import ProviderRegistry

__all__ = [
    "DecidedHook",
    "NoWorkspaceError",
    "ServerHook",
    "Services",
    "Topic",
    "WorkspacelessClient",
    "resolve_database_url",
    "resolve_keys",
]

log = logging.getLogger(__name__)

#: What :meth:`Services.changed` can say changed, with the key it names: a provider
#: (its id: its client, catalogue and the offer), a workspace's named admins (the
#: workspace or Grid org), an installation (``<enterprise>:<team>``), a workspace's
#: channel rules for `/vps create` (the workspace).
Topic = Literal["provider", "admins", "install", "channels"]

#: Called after a server's card is published (the Home tab of its owner, say).
ServerHook = Callable[["Services", VpsInstance], Awaitable[None]]
#: Called after an approval request is decided or expires, with who decided
#: (None: expiry).
DecidedHook = Callable[["Services", ApprovalRequest, str | None], Awaitable[None]]


def resolve_keys(settings: Settings) -> list[str]:
    """The configured Fernet keys, or a generated development key for embedded mode."""
    keys = [key.get_secret_value() for key in settings.vpsbot_encryption_keys]
    if keys:
        return keys
    if not settings.embedded_database:
        raise ConfigError(
            "VPSBOT_ENCRYPTION_KEYS: required when DATABASE_URL is set "
            "(generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        )
    return [load_or_create_dev_key(Path(settings.vpsbot_data_dir))]


def resolve_database_url(
    settings: Settings, embedded: EmbeddedPostgres | None
) -> tuple[str, EmbeddedPostgres | None]:
    """DATABASE_URL, or the embedded server's ``vpsbot`` database (started here)."""
    if settings.database_url:
        return settings.database_url, None
    server = embedded or EmbeddedPostgres(Path(settings.vpsbot_data_dir))
    server.start()
    return server.create_database("vpsbot"), server


def _slack_api_logger() -> logging.Logger:
    """slack_sdk logs whole request bodies at DEBUG (user input, one-time passwords):
    its logger is held at INFO whatever the root level."""
    logger = logging.getLogger("bot.slack_api")
    logger.setLevel(logging.INFO)
    return logger


class NoWorkspaceError(RuntimeError):
    """A Slack call in OAuth mode that did not say for which workspace (a bug)."""


class WorkspacelessClient(AsyncWebClient):
    """OAuth mode's template client: the session, base URL, logger and retry policy
    that Bolt's per-request clients and :meth:`Services.slack_for` copy. It holds no
    token and refuses every call, so a path that forgets its workspace fails loudly
    in tests instead of Slack answering ``invalid_auth`` to nobody."""

    async def api_call(self, api_method: str, **kwargs: Any) -> Any:
        """Only a call that brings its own credentials passes: Bolt's OAuth flow
        exchanging a code (client id and secret) or checking the token it got."""
        if kwargs.get("auth") is not None or any(
            isinstance(kwargs.get(part), dict) and kwargs[part].get("token")
            for part in ("params", "data", "json")
        ):
            return await super().api_call(api_method, **kwargs)
        raise NoWorkspaceError(
            f"Slack {api_method} without a workspace: use services.slack_for(team_id)"
        )


@dataclass
class Services:
    settings: Settings
    db: Database
    box: SecretBox
    registry: ProviderRegistry
    #: single-token mode: the one client; OAuth mode: a :class:`WorkspacelessClient`
    #: (refuses every call). Code that speaks to Slack uses :meth:`slack_for`.
    slack: AsyncWebClient
    offers: OfferCache
    embedded: EmbeddedPostgres | None = None
    admins: frozenset[str] = field(default_factory=frozenset)
    #: "is this user a vpsbot admin here?" per (team, user), for five minutes;
    #: dropped per workspace when its named admins change (:meth:`forget_admins`)
    admin_verdicts: TtlCache[tuple[str, str], bool] = field(
        default_factory=lambda: TtlCache(maxsize=4096, ttl=300), repr=False
    )
    #: members of an approver user group per (team, group), for a minute: a click
    #: on Approve is answered before Slack's 3 s, without asking Slack each time
    group_members: TtlCache[tuple[str, str], frozenset[str]] = field(
        default_factory=lambda: TtlCache(maxsize=1024, ttl=60), repr=False
    )
    #: the channels each workspace allows `/vps create` in, for 30 s: read on every
    #: command, changed by an admin now and then (dropped on every replica at once
    #: by :meth:`changed`; the TTL bounds a missed notice)
    create_channels: TtlCache[str, tuple[str, ...]] = field(
        default_factory=lambda: TtlCache(maxsize=4096, ttl=30), repr=False
    )
    #: drawn server graphs by (server id, window), reused a few minutes
    #: (bot/servers/graphs.py): reopening the details does not ask the cloud again
    server_charts: TtlCache[tuple[Any, str], Any] = field(
        default_factory=lambda: TtlCache(maxsize=512, ttl=300), repr=False
    )
    #: drawn spend charts by (team, user): (the figures drawn, Slack file id, chart),
    #: reused while the figures hold (bot/home/charts.py)
    spend_charts: TtlCache[tuple[str, str], Any] = field(
        default_factory=lambda: TtlCache(maxsize=4096, ttl=600), repr=False
    )
    #: OAuth mode: every workspace's installation (None in single-token mode)
    installations: SealedInstallationStore | None = None
    #: what features that show servers or requests elsewhere (the Home tab) want to
    #: hear of: a card published (:mod:`bot.status.service`), a request decided
    #: (:mod:`bot.spend.requests`); added once each by :meth:`on_server_change`
    #: and :meth:`on_request_decided`, failures logged by the caller
    server_hooks: list[ServerHook] = field(default_factory=list, repr=False)
    decided_hooks: list[DecidedHook] = field(default_factory=list, repr=False)
    _own_slack_session: bool = False
    #: decrypted provider tokens per ciphertext (a ciphertext never changes meaning)
    _tokens: TtlCache[str, str] = field(
        default_factory=lambda: TtlCache(maxsize=256, ttl=3600), repr=False
    )
    #: Web API clients per workspace token, sharing the pooled session
    _clients: TtlCache[str, AsyncWebClient] = field(
        default_factory=lambda: TtlCache(maxsize=1024, ttl=3600), repr=False
    )
    #: workspace -> its Grid org ('' when it has none), as read from workspace_orgs
    _orgs: TtlCache[str, str] = field(
        default_factory=lambda: TtlCache(maxsize=20_000, ttl=300), repr=False
    )

    @property
    def single_workspace(self) -> bool:
        """One bot token for one workspace (``SLACK_BOT_TOKEN``), not OAuth installs."""
        return self.installations is None

    def on_server_change(self, hook: ServerHook) -> None:
        """Call ``hook`` whenever a server's card is published (once per hook)."""
        if hook not in self.server_hooks:
            self.server_hooks.append(hook)

    def on_request_decided(self, hook: DecidedHook) -> None:
        """Call ``hook`` whenever an approval request is decided or expires (once per hook)."""
        if hook not in self.decided_hooks:
            self.decided_hooks.append(hook)

    def scope(self, team_id: str) -> Scope:
        """The providers ``team_id`` may reach; operator-level rows are its own only
        in single-token mode (one workspace), else only once shared with it."""
        return Scope(team_id=team_id, operator_rows=self.single_workspace)

    async def org_of(self, team_id: str) -> str | None:
        """The Grid org ``team_id`` belongs to, if it made requests through one."""
        known = self._orgs.get(team_id)
        if known is None:
            async with self.db.session() as session:
                known = await workspaces.org_of(session, team_id) or ""
            self._orgs[team_id] = known
        return known or None

    async def remember_org(self, team_id: str, enterprise_id: str) -> None:
        """Note (once per process and TTL) that ``team_id`` is in ``enterprise_id``."""
        if self._orgs.get(team_id) == enterprise_id:
            return
        async with self.db.session() as session, session.begin():
            await workspaces.remember_org(session, team_id, enterprise_id)
        self._orgs[team_id] = enterprise_id

    def forget_admins(self, team_id: str) -> None:
        """Drop the cached admin verdicts of ``team_id`` (a workspace, or a Grid org:
        then those of its workspaces seen so far) after its named admins changed."""
        self.admin_verdicts.forget_where(
            lambda key, _verdict: key[0] == team_id or self._orgs.get(key[0]) == team_id
        )

    def client_for_token(self, token: str) -> AsyncWebClient:
        """A Web API client for one workspace's token, sharing the pooled session."""
        client = self._clients.get(token)
        if client is None:
            client = AsyncWebClient(
                token=token,
                base_url=self.slack.base_url,
                session=self.slack.session,
                logger=self.slack.logger,
                retry_handlers=self.slack.retry_handlers,
            )
            self._clients[token] = client
        return client

    async def slack_for(
        self, team_id: str | None, enterprise_id: str | None = None
    ) -> AsyncWebClient | None:
        """The client that speaks to ``team_id`` with its own installation's token;
        None when the workspace has none (uninstalled or revoked). In single-token
        mode, the one client."""
        if self.installations is None:
            return self.slack
        if not team_id and not enterprise_id:
            return None
        bot = await self.installations.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None and team_id and not enterprise_id:
            enterprise_id = await self.org_of(team_id)
        if bot is None and enterprise_id:
            bot = await self.installations.async_find_bot(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
        if bot is None or not bot.bot_token:
            return None
        return self.client_for_token(bot.bot_token)

    @classmethod
    def build(cls, settings: Settings, *, database_url: str | None = None) -> Services:
        embedded = None
        if database_url is None:
            database_url, embedded = resolve_database_url(settings, None)
        keys = resolve_keys(settings)
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        redactor.add(
            token,
            settings.slack_signing_secret.get_secret_value()
            if settings.slack_signing_secret
            else None,
            settings.slack_app_token.get_secret_value() if settings.slack_app_token else None,
            *keys,
        )
        db = Database(database_url)
        box = SecretBox(keys)
        installations = None
        if settings.slack_client_id:
            secret = settings.slack_client_secret
            redactor.add(secret.get_secret_value() if secret else None)
            installations = SealedInstallationStore(settings.slack_client_id, db.engine, box)
        client_type = AsyncWebClient if installations is None else WorkspacelessClient
        return cls(
            settings=settings,
            db=db,
            offers=OfferCache(db),
            box=box,
            registry=ProviderRegistry(
                transport=Transport(trusted_origins=settings.vpsbot_provider_hosts)
            ),
            slack=client_type(
                token=token if installations is None else None,
                base_url=settings.slack_api_url,
                logger=_slack_api_logger(),
                retry_handlers=retry_handlers(),
            ),
            embedded=embedded,
            admins=frozenset(settings.vpsbot_admins),
            installations=installations,
        )

    def provider_for(self, row: ServiceProvider) -> Provider:
        """The live provider client for a ``service_providers`` row (cached per row version).

        The decrypted token is kept per ciphertext so hot paths do not pay a Fernet
        decryption per request; the client holds the token in memory anyway.
        """
        token = self._tokens.get(row.api_key_encrypted)
        if token is None:
            token = self.box.decrypt(
                row.api_key_encrypted, what=f"provider {row.name!r} ({row.id})"
            )
            redactor.add(token)
            self._tokens[row.api_key_encrypted] = token
        configuration = dict(row.configuration)
        if row.team_id is None and not self.single_workspace:
            # an operator-level row shared with workspaces: one budget, fair shares
            configuration["shared"] = True
        return self.registry.get(
            str(row.id),
            type=row.type,
            name=row.name,
            token=token,
            configuration=configuration,
            version=row.updated_at.isoformat(),
        )

    async def start(self) -> None:
        """Start what needs a running loop: the offer cache's change listener and one
        pooled HTTP session for Slack (slack_sdk otherwise opens a connection per call)."""
        if self.slack.session is None:
            self.slack.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.slack.timeout)
            )
            self._own_slack_session = True
        await self.offers.start()
        self.offers.on_change(self._changed)

    async def changed(self, topic: Topic, key: str) -> None:
        """Say that what ``topic`` and ``key`` name changed (call it once the change
        is committed): this process drops what it cached about it at once, every
        other replica when the NOTIFY reaches it (:meth:`_changed`)."""
        self._forget(topic, key)
        async with self.db.session() as session, session.begin():
            await changes.announce(session, topic, key)

    def _forget(self, topic: str, key: str) -> None:
        """Drop what this process cached about ``topic``/``key``."""
        if topic == "provider":
            self.registry.invalidate(key)
            self.offers.clear()
        elif topic == "admins":
            self.forget_admins(key)
        elif topic == "install":
            enterprise_id, _, team_id = key.partition(":")
            if self.installations is not None:
                self.installations.forget(enterprise_id or None, team_id or None)
        elif topic == "channels":
            self.create_channels.forget(key)

    def _changed(self, payload: str) -> None:
        """A NOTIFY from another replica (or this one): ``<topic>:<key>`` as sent by
        :meth:`changed` or a trigger, or a bare provider id (a provider, plan or
        share trigger)."""
        topic, sep, key = payload.partition(":")
        if not sep:
            topic, key = "provider", payload
        self._forget(topic, key)

    async def aclose(self) -> None:
        """Release what it owns; the registry's ``aclose`` closes the provider HTTP session."""
        if self._own_slack_session and self.slack.session is not None:
            await self.slack.session.close()
            self.slack.session = None
        await self.offers.stop()
        await self.registry.aclose()
        await self.db.dispose()
        if self.embedded is not None:
            self.embedded.stop()
