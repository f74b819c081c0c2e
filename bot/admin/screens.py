"""The data behind the admin screens: each provider's status, its plans, the named
admins and the audit log, read from the database and the live provider clients.

The listeners ask here for a finished :class:`View` (or log entries) and only
send it; the builders in :mod:`bot.admin.views` and its siblings stay pure.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from slack_sdk.models.views import View

from bot.admin import admins_service
from bot.admin.endpoint_rules import not_allowed
from bot.admin.home_views import home_view
from bot.admin.log_views import LogEntry, detail_of
from bot.admin.plan_views import PlanRow, plans_view
from bot.admin.views import KIND_NAMES, Capability, Notice, ProviderStatus
from bot.core.services import Services
from db.crypto import SecretError
from db.models import ActivityLog, Plan, ServiceProvider
from db.repo import activity, plans, providers
from providers.registry import UnsupportedProviderError

__all__ = [
    "home",
    "log_entries",
    "plan_row",
    "plan_rows",
    "plans_screen",
    "provider_status",
    "status_of",
    "statuses",
]

log = logging.getLogger(__name__)


def provider_status(
    services: Services, row: ServiceProvider, servers: int, counts: plans.PlanCounts
) -> ProviderStatus:
    """What the home modal shows about ``row``: the stored verdicts, plus what its live
    client knows (capabilities, rate-limit budget, last successful call)."""
    capabilities: tuple[Capability, ...] = ()
    kind = ""
    problem = None
    budget = None
    last_success = row.last_success_at
    try:
        client = services.provider_for(row)
    except UnsupportedProviderError:
        problem = "type not supported by this vpsbot"
    except SecretError:  # a token the configured keys cannot decrypt
        log.warning("provider %s (%s): stored token unusable", row.name, row.id)
        problem = "stored token cannot be decrypted; rotate it"
    else:
        caps = client.capabilities
        kind = caps.deployment_kind
        capabilities = (
            Capability(KIND_NAMES.get(kind, kind or "deployments"), bool(kind)),
            Capability("VPC", caps.vpc),
            Capability("IPv6", caps.ipv6),
            Capability("monitoring", caps.monitoring),
        )
        budget = getattr(client, "rate_budget", None)
        seen = getattr(client, "last_success", None)
        if seen is not None:
            stamp = datetime.fromtimestamp(seen, UTC)
            if last_success is None or stamp > last_success:
                last_success = stamp
    allowed = row.configuration.get("allowed_deployments")
    return ProviderStatus(
        id=str(row.id),
        name=row.name,
        type=row.type,
        active=row.active,
        credentials_valid=row.credentials_valid,
        last_checked_at=row.last_checked_at,
        last_success_at=last_success,
        rate_limit=getattr(budget, "limit", None),
        rate_remaining=getattr(budget, "remaining", None),
        rate_reset_at=getattr(budget, "reset_at", None),
        capabilities=capabilities,
        deployment_kind=kind,
        servers=servers,
        plans_total=counts.total,
        plans_active=counts.active,
        allowed_deployments=len(allowed) if isinstance(allowed, list) else None,
        api_url=row.configuration.get("api_url") or None,
        problem=problem,
        refused=not_allowed(services, row),
    )


async def statuses(services: Services, team_id: str) -> list[ProviderStatus]:
    """The status of every provider ``team_id`` owns, by name (servers counted are
    its own)."""
    async with services.db.session() as session:
        rows = await providers.list_all(session, scope=services.scope(team_id), owned_only=True)
        counts = await plans.counts_by_provider(session)
        servers = await providers.instance_counts(session, team_id)
    return [
        provider_status(
            services, row, servers.get(row.id, 0), counts.get(row.id, plans.PlanCounts())
        )
        for row in rows
    ]


async def status_of(services: Services, row: ServiceProvider) -> ProviderStatus:
    """One provider's status."""
    async with services.db.session() as session:
        servers = await providers.count_instances(session, row.id)
        counts = await plans.counts_by_provider(session)
    return provider_status(services, row, servers, counts.get(row.id, plans.PlanCounts()))


def plan_row(plan: Plan) -> PlanRow:
    """A ``vps_plans`` row as the plans screen shows it."""
    specs = plan.specifications
    return PlanRow(
        id=str(plan.id),
        provider_plan_id=plan.provider_plan_id,
        name=plan.name,
        base_price=plan.base_price,
        markup_price=plan.markup_price,
        active=plan.active,
        vcpus=int(specs.get("vcpus", 0) or 0),
        memory_mb=int(specs.get("memory_mb", 0) or 0),
        disk_gb=int(specs.get("disk_gb", 0) or 0),
    )


async def plan_rows(services: Services, row: ServiceProvider) -> list[PlanRow]:
    """The provider's plans, cheapest first."""
    async with services.db.session() as session:
        found = await plans.list_for_provider(session, row.id)
    return [plan_row(p) for p in found]


async def home(
    services: Services,
    team_id: str,
    notice: Notice | None = None,
    *,
    viewer: str = "",
    enterprise_id: str | None = None,
    admins_notice: Notice | None = None,
) -> View:
    """The `/vps admin` home modal of ``team_id`` as it stands now, for ``viewer``."""
    return home_view(
        await statuses(services, team_id),
        notice,
        admins=await admins_service.rows(services, team_id, enterprise_id),
        viewer=viewer,
        admins_notice=admins_notice,
    )


async def plans_screen(
    services: Services, row: ServiceProvider, *, root: str, page: int, notice: Notice | None
) -> View:
    """The plans modal of ``row`` at ``page``."""
    status = await status_of(services, row)
    return plans_view(status, await plan_rows(services, row), root=root, page=page, notice=notice)


def _log_entry(row: ActivityLog) -> LogEntry:
    meta = dict(row.metadata_ or {})
    return LogEntry(
        when=row.created_at,
        event_type=row.event_type,
        status=row.status,
        user_id=row.user_id,
        entity_type=row.entity_type,
        entity_name=str(meta.get("label") or meta.get("name") or "") or None,
        detail=detail_of(row.event_type, meta),
        subject_user=row.entity_id if row.entity_type == "admin" else None,
    )


async def log_entries(services: Services, team_id: str, limit: int) -> list[LogEntry]:
    """The workspace's latest ``limit`` audit events, newest first."""
    async with services.db.session() as session:
        rows = await activity.for_workspace(
            session, team_id, limit=limit, operator_rows=services.single_workspace
        )
    return [_log_entry(r) for r in rows]
