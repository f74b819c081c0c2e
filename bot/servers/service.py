"""Day-2 server management, reading: the list and one server's details.

Every entry point takes the team from Bolt's context and re-loads rows with the
team in the query (:func:`db.repo.instances.get_for_team`): instance ids from
buttons, view ids and private_metadata are untrusted. Acting on a server is
:mod:`bot.servers.operations`.
"""

from __future__ import annotations

import uuid

from bot.core.access import is_admin
from bot.core.actions import ACTIONS
from bot.core.blocks import plan_choice
from bot.core.names import region_names
from bot.core.services import Services
from bot.servers.views import (
    STATUS_FILTERS,
    ActivityLine,
    ListState,
    ServerDetails,
    ServerLine,
)
from db.models import ServiceProvider, VpsInstance
from db.repo import activity, instances
from providers.base import Provider
from providers.registry import type_for_word

__all__ = [
    "details",
    "find_by_label",
    "list_page",
    "may_manage",
    "offered_actions",
    "parse_list_text",
    "provider_of",
]


def parse_list_text(text: str) -> ListState:
    """`/vps list [provider] [status] [text]`: known words are filters, the rest a search."""
    provider = status_ = None
    rest: list[str] = []
    for word in text.split():
        lowered = word.lower()
        if provider is None and (kind := type_for_word(lowered)) is not None:
            provider = kind
        elif status_ is None and lowered in STATUS_FILTERS:
            status_ = lowered
        else:
            rest.append(word)
    return ListState.clean(provider, status_, " ".join(rest))


def _line(listed: instances.Listed, regions: dict[str, str]) -> ServerLine:
    row, plan = listed.instance, listed.plan
    return ServerLine(
        id=str(row.id),
        label=row.label,
        status=row.status,
        provider_type=row.provider_type,
        provider_name=listed.provider_name,
        region=regions.get(row.region, row.region) if row.region else None,
        plan=plan_choice(plan).headline() if plan else _plan_name(row),
        ipv4=row.ip_address,
        # the price charged: fixed at the create, else the plan's price in its region
        monthly=row.price_monthly or (plan.price_in(row.region) if plan else None),
    )


def _software(row: VpsInstance) -> str | None:
    """``1-Click app: WordPress``, as the create stored it (None: a plain OS)."""
    software = row.configuration.get("software")
    return software if isinstance(software, str) and software else None


def _plan_name(row: VpsInstance) -> str | None:
    plan = row.configuration.get("plan")
    return str(plan) if plan else None


async def list_page(
    services: Services, team_id: str, state: ListState, *, page_size: int
) -> tuple[list[ServerLine], int]:
    """One page of the team's servers (newest first) and how many match."""
    filters = instances.ListFilter(
        provider_type=state.provider, status=state.status, text=state.text
    )
    async with services.db.session() as session:
        rows, total = await instances.list_for_team(
            session, team_id, filters, limit=page_size, offset=state.offset
        )
        ids = {listed.instance.provider_id for listed in rows} - {None}
        provider_rows = [await session.get(ServiceProvider, i) for i in ids]
    names: dict[object, dict[str, str]] = {}
    for provider_row in provider_rows:
        if provider_row is not None:
            names[provider_row.id] = await region_names(services.provider_for(provider_row))
    return [_line(listed, names.get(listed.instance.provider_id, {})) for listed in rows], total


async def find_by_label(services: Services, team_id: str, label: str) -> list[uuid.UUID]:
    """Ids of the team's live servers named ``label`` (any case), newest first."""
    async with services.db.session() as session:
        return [row.id for row in await instances.by_label(session, team_id, label)]


async def details(
    services: Services, team_id: str, instance_id: uuid.UUID
) -> tuple[ServerDetails, VpsInstance] | None:
    """The server's details and recent activity; None if it is not the team's."""
    async with services.db.session() as session:
        listed = await instances.get_listed(session, instance_id, team_id)
        if listed is None:
            return None
        logs = await activity.recent(session, team_id=team_id, entity_id=str(instance_id), limit=5)
    row, plan = listed.instance, listed.plan
    image = row.configuration.get("image")
    return (
        ServerDetails(
            id=str(row.id),
            label=row.label,
            status=row.status,
            raw_status=row.configuration.get("raw_status"),
            provider_type=row.provider_type,
            provider_name=listed.provider_name,
            region=row.region,
            image=str(image) if image else None,
            ipv4=row.ip_address,
            ipv6=row.ipv6_address,
            created_by=row.created_by,
            created_at=row.created_at,
            plan=plan_choice(plan) if plan else None,
            plan_name=_plan_name(row),
            software=_software(row),
            note=row.configuration.get("note"),
            expires_at=row.expires_at,
            lease_ended_at=row.lease_ended_at,
            charged=(
                (row.price_monthly, row.price_hourly)
                if row.price_monthly is not None and row.price_hourly is not None
                else None
            ),
            activity=tuple(
                ActivityLine(
                    when=log_.created_at,
                    event=log_.event_type,
                    status=log_.status,
                    user_id=log_.user_id,
                )
                for log_ in logs
            ),
        ),
        row,
    )


def offered_actions(row: VpsInstance, provider: Provider | None) -> tuple[str, ...]:
    """The buttons that make sense for the row's current state and provider."""
    if row.status == "error" and not row.provider_instance_id:
        return ("delete",)  # never created at the provider: only the row is left to clear
    if provider is None or row.status in ("deleted", "deleting") or not row.provider_instance_id:
        return ()
    supported = set(provider.capabilities.actions)
    return tuple(
        name
        for name, action in ACTIONS.items()
        if row.status in action.offered_when and (name in supported or not action.needs_capability)
    )


async def provider_of(services: Services, row: VpsInstance) -> Provider | None:
    if row.provider_id is None:
        return None
    async with services.db.session() as session:
        provider_row = await session.get(ServiceProvider, row.provider_id)
    return services.provider_for(provider_row) if provider_row is not None else None


async def may_manage(services: Services, row: VpsInstance, team_id: str, user_id: str) -> bool:
    return row.created_by == user_id or await is_admin(services, team_id, user_id)
