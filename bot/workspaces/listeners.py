"""Slack's uninstall and revocation events, and the OAuth flow's end pages."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.response import BoltResponse

from bot.core.services import Services
from bot.core.slack import slack_id
from bot.workspaces import service
from bot.workspaces.pages import failure_page, success_page

__all__ = ["app_uninstalled", "callback_options", "note_org", "register", "tokens_revoked"]

log = logging.getLogger(__name__)

_HTML: dict[str, str | Sequence[str]] = {"Content-Type": "text/html; charset=utf-8"}


async def note_org(
    context: AsyncBoltContext, services: Services, next: Callable[[], Awaitable[None]]
) -> None:
    """Global middleware (OAuth mode): remember which Grid org a workspace is in, so
    background jobs find an org-wide install's token for its servers."""
    if context.enterprise_id and context.team_id:
        await services.remember_org(context.team_id, context.enterprise_id)
    await next()


def _installation_team(context: AsyncBoltContext) -> str | None:
    """The installation's team: none for an org-wide install (it is the org's)."""
    return None if context.is_enterprise_install else context.team_id


def _forged(context: AsyncBoltContext) -> bool:
    """Whether the event names a workspace or org no Slack id looks like (too long
    for the tables, or not an id at all): nothing of ours can be installed there."""
    return any(
        value is not None and slack_id(value) is None
        for value in (context.team_id, context.enterprise_id)
    )


async def app_uninstalled(context: AsyncBoltContext, services: Services) -> None:
    if _forged(context):
        log.info("app_uninstalled for an id Slack would not send; ignored")
        return
    await service.uninstalled(services, context.enterprise_id, _installation_team(context))


async def tokens_revoked(
    event: dict[str, Any], context: AsyncBoltContext, services: Services
) -> None:
    if _forged(context):
        log.info("tokens_revoked for an id Slack would not send; ignored")
        return
    tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
    assert isinstance(tokens, dict)
    bots = tokens.get("bot") if isinstance(tokens.get("bot"), list) else []
    users = tokens.get("oauth") if isinstance(tokens.get("oauth"), list) else []
    assert isinstance(bots, list) and isinstance(users, list)
    await service.revoked(
        services,
        context.enterprise_id,
        _installation_team(context),
        bot_revoked=bool(bots),
        user_ids=[u for u in users if slack_id(u) is not None],
    )


def callback_options(services: Services) -> AsyncCallbackOptions:
    """Success: the installer becomes admin (when first), then a friendly page. Failure: a page
    naming what the person can do, never the raw error."""

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        named = await service.installed(services, installation)
        page = success_page(
            installation.team_name or installation.enterprise_name,
            f"https://slack.com/app_redirect?app={installation.app_id}"
            if installation.app_id
            else None,
            admin=named,
        )
        return BoltResponse(status=200, body=page, headers=_HTML)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        log.warning("install failed: %s", args.reason)
        status = args.suggested_status_code if 400 <= args.suggested_status_code < 600 else 400
        return BoltResponse(status=status, body=failure_page(args.reason), headers=_HTML)

    return AsyncCallbackOptions(success=success, failure=failure)


def register(app: AsyncApp) -> None:
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
