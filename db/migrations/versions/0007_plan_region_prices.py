"""Per-region plan prices: ``vps_plans.region_prices``.

Linode prices some types differently per region (``region_prices``); storing
only the base price sold those regions below cost. The column maps a region id
to its base prices, ``{"id-cgk": {"monthly": "6.00", "hourly": "0.009"}}``;
regions not listed cost the base price.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "vps_plans",
        sa.Column(
            "region_prices",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )


def downgrade() -> None:
    op.drop_column("vps_plans", "region_prices")
