"""The design's schema plus what a multi-tenant chat bot needs.

service_providers, vps_plans and vps_instances as in the original design;
team/creator columns, the create-flow draft table, watcher lease columns and
activity_logs for the bot.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def _jsonb(name: str) -> sa.Column[object]:
    return sa.Column(name, JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))


def upgrade() -> None:
    op.create_table(
        "service_providers",
        sa.Column(
            "id", UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")
        ),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("api_key_encrypted", sa.Text, nullable=False),
        _jsonb("configuration"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        *_timestamps(),
        sa.CheckConstraint(
            "type IN ('linode', 'digitalocean', 'aws', 'gcp')", name="ck_service_providers_type"
        ),
    )
    op.create_table(
        "vps_plans",
        sa.Column(
            "id", UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")
        ),
        sa.Column(
            "provider_id",
            UUID(as_uuid=True),
            sa.ForeignKey("service_providers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("provider_plan_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("base_price", sa.Numeric(10, 2), nullable=False),
        sa.Column("markup_price", sa.Numeric(10, 2), nullable=False, server_default=sa.text("0")),
        _jsonb("specifications"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        *_timestamps(),
        sa.UniqueConstraint("provider_id", "provider_plan_id", name="uq_vps_plans_provider_plan"),
    )
    op.create_index("idx_vps_plans_provider_id", "vps_plans", ["provider_id"])
    op.create_table(
        "vps_instances",
        sa.Column(
            "id", UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")
        ),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("ip_address", sa.String(45)),
        sa.Column("region", sa.String(50)),
        sa.Column(
            "plan_id", UUID(as_uuid=True), sa.ForeignKey("vps_plans.id", ondelete="SET NULL")
        ),
        sa.Column(
            "provider_id",
            UUID(as_uuid=True),
            sa.ForeignKey("service_providers.id", ondelete="SET NULL"),
        ),
        sa.Column("provider_type", sa.String(20)),
        sa.Column("provider_instance_id", sa.String(100)),
        _jsonb("configuration"),
        sa.Column("team_id", sa.String(32)),
        sa.Column("created_by", sa.String(32)),
        sa.Column("tag", sa.String(100), unique=True),
        sa.Column("ipv6_address", sa.String(64)),
        sa.Column("channel_id", sa.String(32)),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("watch_next_at", sa.DateTime(timezone=True)),
        sa.Column("watch_lease_until", sa.DateTime(timezone=True)),
        sa.Column("watch_attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        *_timestamps(),
    )
    op.create_index("idx_vps_instances_provider_type", "vps_instances", ["provider_type"])
    op.create_index("idx_vps_instances_provider_id", "vps_instances", ["provider_id"])
    op.create_index(
        "idx_vps_instances_team_created", "vps_instances", ["team_id", sa.text("created_at DESC")]
    )
    op.create_index("idx_vps_instances_created_by", "vps_instances", ["created_by"])
    op.create_index(
        "idx_vps_instances_watch",
        "vps_instances",
        ["watch_next_at"],
        postgresql_where=sa.text("watch_next_at IS NOT NULL"),
    )
    op.create_table(
        "activity_logs",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32)),
        sa.Column("user_id", sa.String(32)),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(32)),
        sa.Column("entity_id", sa.String(64)),
        sa.Column("status", sa.String(10), nullable=False),
        _jsonb("metadata"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('success', 'warning', 'error', 'info')", name="ck_activity_logs_status"
        ),
    )
    op.create_index(
        "idx_activity_logs_team_created", "activity_logs", ["team_id", sa.text("created_at DESC")]
    )
    op.create_index("idx_activity_logs_entity", "activity_logs", ["entity_type", "entity_id"])
    op.create_table(
        "create_drafts",
        sa.Column("view_id", sa.String(32), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32)),
        sa.Column("step", sa.String(32), nullable=False),
        _jsonb("data"),
        sa.Column("instance_id", UUID(as_uuid=True)),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index("idx_create_drafts_updated", "create_drafts", ["updated_at"])


def downgrade() -> None:
    op.drop_table("create_drafts")
    op.drop_table("activity_logs")
    op.drop_table("vps_instances")
    op.drop_table("vps_plans")
    op.drop_table("service_providers")
