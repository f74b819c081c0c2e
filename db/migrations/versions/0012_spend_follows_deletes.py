"""Deleted servers leave the workspace's kept total; plans carry their backups price.

- ``trg_spend_totals_follow`` (0009) fired on ``UPDATE OF created_at, deleted_at,
  …``, but production never writes ``deleted_at``: it sets ``status = 'deleted'``
  and the BEFORE trigger stamps ``deleted_at``. PostgreSQL fires a column-list
  trigger only for the columns the UPDATE names, never for one another trigger
  changed, so ``spend_totals`` kept every deleted server's projected cost until
  the month ended. The trigger now also fires on ``status``; the function is
  unchanged (it writes only months whose charge changed). Totals already stored
  are recomputed from the charges.
- ``vps_plans.backups_prices``: the provider's price for the backups add-on,
  ``{"monthly": "1.20", "hourly": "0.0018", "region_prices": {region: {...}}}``
  (``{}``: not known). DigitalOcean plans imported before this revision get the
  weekly-backups share of their price (20 %, DigitalOcean's pricing page); Linode
  plans get theirs at the next ``plans import``.

Revision ID: 0012
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

_TRIGGER = """
    CREATE TRIGGER trg_spend_totals_follow
    AFTER INSERT OR DELETE OR UPDATE OF created_at, deleted_at, price_hourly,
        price_monthly, team_id{extra} ON vps_instances
    FOR EACH ROW EXECUTE FUNCTION spend_totals_follow()
"""

# the weekly-backups share of 0012's time (bot/providers keep the live constant)
_DO_BACKUPS_SHARE = "0.20"


def upgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_spend_totals_follow ON vps_instances")
    op.execute(_TRIGGER.format(extra=", status"))
    op.execute(
        """
        UPDATE spend_totals AS t
           SET projected = coalesce((
               SELECT sum(vps_month_charge(i.created_at, i.deleted_at, i.price_hourly,
                                           i.price_monthly, t.month_start, t.month_end))
                 FROM vps_instances AS i
                WHERE i.team_id = t.team_id
                  AND i.created_at < t.month_end
                  AND (i.deleted_at IS NULL OR i.deleted_at > t.month_start)), 0)
        """
    )
    op.add_column(
        "vps_plans",
        sa.Column(
            "backups_prices",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )
    op.execute(
        sa.text(
            """
            UPDATE vps_plans AS p
               SET backups_prices = jsonb_build_object(
                   'monthly', round(p.base_price * CAST(:share AS numeric), 2)::text,
                   'hourly', round(coalesce(
                       NULLIF(p.specifications->>'price_hourly', '')::numeric,
                       p.base_price / 730) * CAST(:share AS numeric), 6)::text,
                   'region_prices', '{}'::jsonb)
              FROM service_providers AS s
             WHERE s.id = p.provider_id AND s.type = 'digitalocean'
            """
        ).bindparams(share=_DO_BACKUPS_SHARE)
    )


def downgrade() -> None:
    op.drop_column("vps_plans", "backups_prices")
    op.execute("DROP TRIGGER IF EXISTS trg_spend_totals_follow ON vps_instances")
    op.execute(_TRIGGER.format(extra=""))
