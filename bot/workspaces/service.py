"""What an install, an uninstall or a token revocation changes.

An uninstall removes the workspace's tokens (installation store) and its
unfinished `/vps create` drafts; its servers, providers, plans, admins and audit
log stay, so admins of a reinstall find everything where they left it.
"""

from __future__ import annotations

import logging

from slack_sdk.oauth.installation_store import Installation

from bot.core.services import Services
from db.repo import activity, workspaces

__all__ = ["installed", "revoked", "uninstalled"]

log = logging.getLogger(__name__)


async def installed(services: Services, installation: Installation) -> bool:
    """The installing user becomes the workspace's (or Grid org's) first vpsbot admin,
    and a later installer only when no named admin is left: in many workspaces any
    member may install apps, and a reinstall (for new scopes, say) grants nothing.
    The audit entry says which it was; True when the installer was named."""
    team_id = installation.team_id or installation.enterprise_id or ""
    if not team_id or not installation.user_id:
        return False
    async with services.db.session() as session, session.begin():
        added = await workspaces.add_first_admin(session, team_id, installation.user_id)
        await activity.record(
            session,
            event_type="workspace.installed",
            status="success",
            team_id=team_id,
            user_id=installation.user_id,
            entity_type="workspace",
            entity_id=team_id,
            metadata={
                "enterprise_id": installation.enterprise_id,
                "org_wide": bool(installation.is_enterprise_install),
                "new_admin": added,
            },
        )
    services.admin_verdicts.forget((team_id, installation.user_id))
    log.info("installed in %s by %s (named admin: %s)", team_id, installation.user_id, added)
    return added


async def uninstalled(services: Services, enterprise_id: str | None, team_id: str | None) -> None:
    """``app_uninstalled``: every token of the installation goes, drafts too."""
    store = services.installations
    if store is not None:
        await store.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)
        await store.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
    key = team_id or enterprise_id or ""
    async with services.db.session() as session, session.begin():
        # an org-wide install served every workspace of the org seen so far
        teams = [team_id] if team_id else await workspaces.teams_of_org(session, key)
        dropped = 0
        for team in teams:
            dropped += await workspaces.drop_drafts(session, team)
        await activity.record(
            session,
            event_type="workspace.uninstalled",
            status="info",
            team_id=key or None,
            entity_type="workspace",
            entity_id=key or None,
            metadata={"enterprise_id": enterprise_id, "drafts_dropped": dropped},
        )
    services.admin_verdicts.clear()
    log.info("uninstalled from %s (%d draft(s) dropped)", key, dropped)


async def revoked(
    services: Services,
    enterprise_id: str | None,
    team_id: str | None,
    *,
    bot_revoked: bool,
    user_ids: list[str],
) -> None:
    """``tokens_revoked``: the revoked bot token (and user tokens) go; a revoked bot
    token means nothing can be posted there, exactly as after an uninstall."""
    store = services.installations
    if store is None:
        return
    for user_id in user_ids:
        await store.async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )
    if bot_revoked:
        await uninstalled(services, enterprise_id, team_id)
