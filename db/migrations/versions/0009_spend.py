"""Spend guardrails: workspace policy, member overrides, approval requests, leases.

- ``workspace_policies``: one row per Slack workspace (budgets, limits, approval
  threshold and approvers, allowed channels, lease rules). The claim of a create
  locks this row (``SELECT … FOR UPDATE``), so racing claims in one workspace
  serialise and two members cannot both spend its last dollars.
- ``member_policies``: a member's own budget or server cap, overriding the default.
- ``approval_requests``: creates and lease extensions waiting for an approver;
  deciding is a conditional UPDATE on ``status = 'pending'`` (exactly once).
- ``vps_instances`` gains the price it was created at (``price_hourly``,
  ``price_monthly``: a later markup change does not rewrite history), when it
  stopped costing (``deleted_at``, set by a trigger whenever the status becomes
  'deleted', whoever writes it) and its lease (``expires_at`` and the reminder /
  expiry bookkeeping the sweep claims with conditional UPDATEs).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_JSON_LIST = sa.text("'[]'::jsonb")


def upgrade() -> None:
    op.create_table(
        "workspace_policies",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("monthly_budget", sa.Numeric(12, 2)),
        sa.Column("member_budget", sa.Numeric(12, 2)),
        sa.Column("max_servers_per_member", sa.Integer),
        sa.Column("approval_threshold", sa.Numeric(10, 2)),
        sa.Column("approver_ids", JSONB, nullable=False, server_default=_JSON_LIST),
        sa.Column("approver_group", sa.String(32)),
        sa.Column("approval_channel", sa.String(32)),
        sa.Column("approval_ttl_hours", sa.Integer, nullable=False, server_default="48"),
        sa.Column("create_channels", JSONB, nullable=False, server_default=_JSON_LIST),
        sa.Column("default_lease_hours", sa.Integer),
        sa.Column("max_lease_hours", sa.Integer),
        sa.Column("reminder_hours", sa.Integer, nullable=False, server_default="24"),
        sa.Column("lease_end_action", sa.String(10), nullable=False, server_default="power_off"),
        sa.Column("updated_by", sa.String(32)),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint(
            "lease_end_action IN ('power_off', 'delete')", name="ck_workspace_policies_action"
        ),
    )
    op.create_table(
        "member_policies",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("monthly_budget", sa.Numeric(12, 2)),
        sa.Column("max_servers", sa.Integer),
        sa.Column("updated_by", sa.String(32)),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "approval_requests",
        sa.Column(
            "id", UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")
        ),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("summary", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("price_monthly", sa.Numeric(10, 2)),
        sa.Column("price_hourly", sa.Numeric(10, 4)),
        sa.Column(
            "instance_id",
            UUID(as_uuid=True),
            sa.ForeignKey("vps_instances.id", ondelete="SET NULL"),
        ),
        sa.Column("channel_id", sa.String(32)),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("requester_channel", sa.String(32)),
        sa.Column("decided_by", sa.String(32)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("kind IN ('create', 'extend')", name="ck_approval_requests_kind"),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'denied', 'expired')",
            name="ck_approval_requests_status",
        ),
    )
    op.create_index(
        "idx_approval_requests_pending",
        "approval_requests",
        ["expires_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("idx_approval_requests_team_status", "approval_requests", ["team_id", "status"])
    op.add_column("vps_instances", sa.Column("price_hourly", sa.Numeric(10, 4)))
    op.add_column("vps_instances", sa.Column("price_monthly", sa.Numeric(10, 2)))
    op.add_column("vps_instances", sa.Column("deleted_at", sa.DateTime(timezone=True)))
    op.add_column("vps_instances", sa.Column("expires_at", sa.DateTime(timezone=True)))
    op.add_column("vps_instances", sa.Column("lease_reminded_at", sa.DateTime(timezone=True)))
    op.add_column("vps_instances", sa.Column("lease_ended_at", sa.DateTime(timezone=True)))
    # the sweep reads only rows whose lease is still open, in expiry order
    op.create_index(
        "idx_vps_instances_lease_open",
        "vps_instances",
        ["expires_at"],
        postgresql_where=sa.text("expires_at IS NOT NULL AND lease_ended_at IS NULL"),
    )
    op.create_index(
        "idx_vps_instances_lease_remind",
        "vps_instances",
        ["expires_at"],
        postgresql_where=sa.text(
            "expires_at IS NOT NULL AND lease_ended_at IS NULL AND lease_reminded_at IS NULL"
        ),
    )
    # the budget check: a workspace's servers that cost something this month,
    # with what it needs to price them (index-only)
    op.create_index(
        "idx_vps_instances_spend",
        "vps_instances",
        ["team_id", "created_by"],
        postgresql_include=["created_at", "deleted_at", "price_hourly", "price_monthly"],
    )
    op.execute(
        """
        CREATE FUNCTION vps_instances_deleted_at() RETURNS trigger AS $$
        BEGIN
            IF NEW.status = 'deleted' AND NEW.deleted_at IS NULL THEN
                NEW.deleted_at := now();
            END IF;
            RETURN NEW;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        """
        CREATE TRIGGER trg_vps_instances_deleted_at
        BEFORE INSERT OR UPDATE OF status ON vps_instances
        FOR EACH ROW EXECUTE FUNCTION vps_instances_deleted_at()
        """
    )
    # One server's charge for one month, as bot/spend/cost.py computes it: started
    # hours in the month (to its deletion, else the month's end) at the hourly
    # price, at most the monthly price, rounded to the cent. Projected, so it does
    # not depend on the time of day: that is what lets the totals below be kept.
    op.execute(
        """
        CREATE FUNCTION vps_month_charge(
            created timestamptz, deleted timestamptz, hourly numeric, monthly numeric,
            m_start timestamptz, m_end timestamptz
        ) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE
                WHEN created >= m_end OR (deleted IS NOT NULL AND deleted <= m_start) THEN 0
                ELSE round(least(
                    greatest(0, ceil(extract(epoch FROM
                        least(coalesce(deleted, m_end), m_end) - greatest(created, m_start)
                    ) / 3600)) * coalesce(hourly, 0),
                    coalesce(monthly, 0)), 2)
            END
        $$
        """
    )
    # A workspace's projected spend per month, kept by a trigger on every change of
    # a server (whoever writes it), so the claim-time check reads one row instead
    # of summing every server. A month's row is made on first use (under the
    # policy row lock) from the full sum.
    op.create_table(
        "spend_totals",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("month_start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("month_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("projected", sa.Numeric(14, 2), nullable=False),
    )
    op.execute(
        """
        CREATE FUNCTION spend_totals_follow() RETURNS trigger AS $$
        BEGIN
            -- NEW is NULL on DELETE and OLD on INSERT: their charges count as 0.
            -- Only the months whose charge changed are written.
            IF TG_OP = 'UPDATE' AND OLD.team_id IS DISTINCT FROM NEW.team_id THEN
                UPDATE spend_totals AS t
                   SET projected = t.projected - vps_month_charge(
                       OLD.created_at, OLD.deleted_at, OLD.price_hourly, OLD.price_monthly,
                       t.month_start, t.month_end)
                 WHERE t.team_id = OLD.team_id;
                UPDATE spend_totals AS t
                   SET projected = t.projected + vps_month_charge(
                       NEW.created_at, NEW.deleted_at, NEW.price_hourly, NEW.price_monthly,
                       t.month_start, t.month_end)
                 WHERE t.team_id = NEW.team_id;
                RETURN NULL;
            END IF;
            UPDATE spend_totals AS t
               SET projected = t.projected + d.delta
              FROM (
                  SELECT s.month_start,
                         coalesce(vps_month_charge(
                             NEW.created_at, NEW.deleted_at, NEW.price_hourly,
                             NEW.price_monthly, s.month_start, s.month_end), 0)
                         - coalesce(vps_month_charge(
                             OLD.created_at, OLD.deleted_at, OLD.price_hourly,
                             OLD.price_monthly, s.month_start, s.month_end), 0) AS delta
                    FROM spend_totals AS s
                   WHERE s.team_id = coalesce(NEW.team_id, OLD.team_id)
              ) AS d
             WHERE t.team_id = coalesce(NEW.team_id, OLD.team_id)
               AND t.month_start = d.month_start
               AND d.delta <> 0;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        """
        CREATE TRIGGER trg_spend_totals_follow
        AFTER INSERT OR DELETE OR UPDATE OF created_at, deleted_at, price_hourly,
            price_monthly, team_id ON vps_instances
        FOR EACH ROW EXECUTE FUNCTION spend_totals_follow()
        """
    )
    # servers created before this revision: the price of their plan now
    op.execute(
        """
        UPDATE vps_instances AS i
           SET price_monthly = p.base_price + p.markup_price,
               price_hourly = ROUND(COALESCE(
                   NULLIF(p.specifications->>'price_hourly', '')::numeric
                       * (p.base_price + p.markup_price) / NULLIF(p.base_price, 0),
                   (p.base_price + p.markup_price) / 730), 4)
          FROM vps_plans AS p
         WHERE p.id = i.plan_id AND i.price_monthly IS NULL
        """
    )
    # servers deleted before this revision: their last update is when they went
    op.execute(
        "UPDATE vps_instances SET deleted_at = updated_at "
        "WHERE status = 'deleted' AND deleted_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_spend_totals_follow ON vps_instances")
    op.execute("DROP FUNCTION IF EXISTS spend_totals_follow()")
    op.drop_table("spend_totals")
    op.execute(
        "DROP FUNCTION IF EXISTS vps_month_charge(timestamptz, timestamptz, "
        "numeric, numeric, timestamptz, timestamptz)"
    )
    op.execute("DROP TRIGGER IF EXISTS trg_vps_instances_deleted_at ON vps_instances")
    op.execute("DROP FUNCTION IF EXISTS vps_instances_deleted_at()")
    op.drop_index("idx_vps_instances_spend", table_name="vps_instances")
    op.drop_index("idx_vps_instances_lease_remind", table_name="vps_instances")
    op.drop_index("idx_vps_instances_lease_open", table_name="vps_instances")
    for column in (
        "lease_ended_at",
        "lease_reminded_at",
        "expires_at",
        "deleted_at",
        "price_monthly",
        "price_hourly",
    ):
        op.drop_column("vps_instances", column)
    op.drop_table("approval_requests")
    op.drop_table("member_policies")
    op.drop_table("workspace_policies")
