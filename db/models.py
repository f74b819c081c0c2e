"""ORM mapping of vpsbot's tables.

The schema itself is owned by the Alembic migrations in ``db/migrations``; these
classes mirror it for typed queries, and a test checks the two agree.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "PROVIDER_TYPES",
    "ActivityLog",
    "ApprovalRequest",
    "Base",
    "CreateDraft",
    "JobRun",
    "MemberPolicy",
    "Plan",
    "ProviderShare",
    "ServiceProvider",
    "SpendTotal",
    "VpsInstance",
    "WorkspaceAdmin",
    "WorkspaceOrg",
    "WorkspacePolicy",
]

PROVIDER_TYPES = ("linode", "digitalocean", "aws", "gcp")
ACTIVITY_STATUSES = ("success", "warning", "error", "info")
_CENT = Decimal("0.01")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB}


class _Timestamps:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class ServiceProvider(_Timestamps, Base):
    __tablename__ = "service_providers"
    __table_args__ = (
        CheckConstraint(
            "type IN ('linode', 'digitalocean', 'aws', 'gcp')",
            name="ck_service_providers_type",
        ),
        Index(
            "uq_service_providers_team_name",
            func.coalesce(text("team_id"), ""),
            "name",
            unique=True,
        ),
        Index("idx_service_providers_team", "team_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    #: The workspace (or Grid org) that owns it; NULL = operator-level (migration 0008).
    team_id: Mapped[str | None] = mapped_column(String(32))
    api_key_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    configuration: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    #: Health, written when a validation runs (migration 0003); NULL until then.
    credentials_valid: Mapped[bool | None] = mapped_column(Boolean)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProviderShare(Base):
    """A provider the operator shares with a workspace that does not own it."""

    __tablename__ = "provider_shares"
    __table_args__ = (Index("idx_provider_shares_team", "team_id"),)

    provider_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("service_providers.id", ondelete="CASCADE"),
        primary_key=True,
    )
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    #: Whether the workspace is offered the owner's account SSH keys and VPCs too
    #: (migration 0016): only when the operator said so.
    ssh_keys: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    vpcs: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))


class WorkspaceAdmin(Base):
    """A vpsbot admin named for one workspace (the installing user first)."""

    __tablename__ = "workspace_admins"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    added_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class WorkspaceOrg(Base):
    """The Enterprise Grid org a workspace belongs to (learnt from its requests)."""

    __tablename__ = "workspace_orgs"
    __table_args__ = (Index("idx_workspace_orgs_enterprise", "enterprise_id"),)

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(32), nullable=False)
    seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class Plan(_Timestamps, Base):
    __tablename__ = "vps_plans"
    __table_args__ = (
        UniqueConstraint("provider_id", "provider_plan_id", name="uq_vps_plans_provider_plan"),
        Index("idx_vps_plans_provider_id", "provider_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    provider_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("service_providers.id", ondelete="CASCADE"),
        nullable=False,
    )
    provider_plan_id: Mapped[str] = mapped_column(String(100), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    base_price: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    markup_price: Mapped[Decimal] = mapped_column(
        Numeric(10, 2), nullable=False, server_default=text("0")
    )
    specifications: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    #: region id → {"monthly": "6.00", "hourly": "0.009"} where the provider's
    #: price differs from ``base_price`` (migration 0007)
    region_prices: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )

    #: the backups add-on's provider price, ``{"monthly", "hourly", "region_prices":
    #: {region: {"monthly", "hourly"}}}``; ``{}`` when unknown (migration 0012)
    backups_prices: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )

    @property
    def price_monthly(self) -> Decimal:
        return self.base_price + self.markup_price

    def base_in(self, region: str | None) -> Decimal:
        """The provider's monthly price in ``region`` (the base price elsewhere)."""
        found = (self.region_prices or {}).get(region or "")
        if isinstance(found, dict) and found.get("monthly") is not None:
            return Decimal(str(found["monthly"])).quantize(_CENT, ROUND_HALF_UP)
        return self.base_price

    def markup_in(self, region: str | None) -> Decimal:
        """The markup in ``region``: the plan's markup in proportion to the
        region's base price, so a dearer region is never sold at a thinner margin
        (for a percentage markup this is exactly the percentage)."""
        base = self.base_in(region)
        if base == self.base_price or not self.base_price:
            return self.markup_price
        return (self.markup_price * base / self.base_price).quantize(_CENT, ROUND_HALF_UP)

    def price_in(self, region: str | None) -> Decimal:
        """What a user pays per month for this plan in ``region``."""
        return self.base_in(region) + self.markup_in(region)

    def backups_in(self, region: str | None) -> tuple[Decimal, Decimal] | None:
        """What a user pays for backups on this plan in ``region``, (monthly,
        hourly); None when the provider publishes no price. Marked up as the plan
        is: by the plan's markup in proportion to the price (a percentage markup
        is exactly that percentage), hourly in proportion to the monthly price."""
        prices = self.backups_prices or {}
        found = (prices.get("region_prices") or {}).get(region or "")
        source = found if isinstance(found, dict) and found.get("monthly") is not None else prices
        if source.get("monthly") is None:
            return None
        base = Decimal(str(source["monthly"])).quantize(_CENT, ROUND_HALF_UP)
        markup = (
            (self.markup_price * base / self.base_price).quantize(_CENT, ROUND_HALF_UP)
            if self.base_price
            else Decimal(0)
        )
        monthly = base + markup
        raw_hourly = source.get("hourly")
        base_hourly = Decimal(str(raw_hourly)) if raw_hourly not in (None, "") else None
        hourly = base_hourly * monthly / base if base and base_hourly else monthly / 730
        return monthly, hourly.quantize(Decimal("0.0001"), ROUND_HALF_UP)

    def hourly_base_in(self, region: str | None) -> Decimal | None:
        """The provider's hourly price in ``region``, if known."""
        found = (self.region_prices or {}).get(region or "")
        if isinstance(found, dict) and found.get("hourly") is not None:
            return Decimal(str(found["hourly"]))
        raw = (self.specifications or {}).get("price_hourly")
        return Decimal(str(raw)) if raw not in (None, "") else None


class VpsInstance(_Timestamps, Base):
    __tablename__ = "vps_instances"
    __table_args__ = (
        Index("idx_vps_instances_provider_type", "provider_type"),
        Index("idx_vps_instances_provider_id", "provider_id"),
        Index("idx_vps_instances_team_created", "team_id", text("created_at DESC")),
        Index("idx_vps_instances_created_by", "created_by"),
        Index("idx_vps_instances_team_status", "team_id", "status"),
        Index(
            "idx_vps_instances_watch",
            "watch_next_at",
            postgresql_where=text("watch_next_at IS NOT NULL"),
        ),
        Index(
            "idx_vps_instances_lease_open",
            "expires_at",
            postgresql_where=text("expires_at IS NOT NULL AND lease_ended_at IS NULL"),
        ),
        Index(
            "idx_vps_instances_lease_remind",
            "expires_at",
            postgresql_where=text(
                "expires_at IS NOT NULL AND lease_ended_at IS NULL AND lease_reminded_at IS NULL"
            ),
        ),
        Index(
            "idx_vps_instances_lease_unfinished",
            "lease_ended_at",
            postgresql_where=text("lease_ended_at IS NOT NULL AND lease_end_done_at IS NULL"),
        ),
        Index(
            "idx_vps_instances_spend",
            "team_id",
            "created_by",
            postgresql_include=["created_at", "deleted_at", "price_hourly", "price_monthly"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    label: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    region: Mapped[str | None] = mapped_column(String(50))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("vps_plans.id", ondelete="SET NULL")
    )
    provider_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("service_providers.id", ondelete="SET NULL")
    )
    provider_type: Mapped[str] = mapped_column(String(20))
    provider_instance_id: Mapped[str | None] = mapped_column(String(100))
    configuration: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    team_id: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(String(32))
    tag: Mapped[str | None] = mapped_column(String(100), unique=True)
    ipv6_address: Mapped[str | None] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    watch_next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    watch_lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    watch_attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    #: the marked-up price when created (migration 0009); NULL for older rows
    price_hourly: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    price_monthly: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    #: set by a trigger when the status becomes 'deleted': when it stopped costing
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the lease: when the policy's lease-end action runs (NULL: no expiry)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: when a sweeper (last) claimed the lease-end action; moved on a re-claim
    lease_ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: when that action's outcome was told and audited (migration 0010); a claim
    #: without it long after was interrupted and is claimed again
    lease_end_done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ActivityLog(Base):
    __tablename__ = "activity_logs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('success', 'warning', 'error', 'info')", name="ck_activity_logs_status"
        ),
        Index("idx_activity_logs_team_created", "team_id", text("created_at DESC")),
        Index("idx_activity_logs_entity", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    team_id: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_type: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class CreateDraft(Base):
    """The `/vps create` modal's state, keyed by Slack view id (not private_metadata)."""

    __tablename__ = "create_drafts"
    __table_args__ = (Index("idx_create_drafts_updated", "updated_at"),)

    view_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), nullable=False)
    user_id: Mapped[str] = mapped_column(String(32), nullable=False)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32), nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    instance_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class JobRun(Base):
    """When a periodic job last started: lets exactly one replica run it per period."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class WorkspacePolicy(Base):
    """A workspace's spend guardrails (NULL limits: none). Claims lock this row."""

    __tablename__ = "workspace_policies"
    __table_args__ = (
        CheckConstraint(
            "lease_end_action IN ('power_off', 'delete')", name="ck_workspace_policies_action"
        ),
    )

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    monthly_budget: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    member_budget: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    max_servers_per_member: Mapped[int | None] = mapped_column(Integer)
    approval_threshold: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    approver_ids: Mapped[list[str]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    approver_group: Mapped[str | None] = mapped_column(String(32))
    approval_channel: Mapped[str | None] = mapped_column(String(32))
    approval_ttl_hours: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("48")
    )
    create_channels: Mapped[list[str]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    default_lease_hours: Mapped[int | None] = mapped_column(Integer)
    max_lease_hours: Mapped[int | None] = mapped_column(Integer)
    reminder_hours: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("24"))
    lease_end_action: Mapped[str] = mapped_column(
        String(10), nullable=False, server_default=text("'power_off'")
    )
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class MemberPolicy(Base):
    """One member's own budget or server cap, overriding the workspace default."""

    __tablename__ = "member_policies"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    monthly_budget: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    max_servers: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


class ApprovalRequest(Base):
    """A create, resize or lease extension waiting for an approver; decided exactly once."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        CheckConstraint("kind IN ('create', 'extend', 'resize')", name="ck_approval_requests_kind"),
        CheckConstraint(
            "status IN ('pending', 'approved', 'denied', 'expired')",
            name="ck_approval_requests_status",
        ),
        Index(
            "idx_approval_requests_pending",
            "expires_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("idx_approval_requests_team_status", "team_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    team_id: Mapped[str] = mapped_column(String(32), nullable=False)
    requested_by: Mapped[str] = mapped_column(String(32), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, server_default=text("'pending'")
    )
    summary: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    price_monthly: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    price_hourly: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    instance_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("vps_instances.id", ondelete="SET NULL")
    )
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    requester_channel: Mapped[str | None] = mapped_column(String(32))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class SpendTotal(Base):
    """A workspace's projected spend in one month, kept current by a trigger on
    ``vps_instances`` (migration 0009); made on first use from the full sum."""

    __tablename__ = "spend_totals"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    month_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    month_end: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    projected: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
