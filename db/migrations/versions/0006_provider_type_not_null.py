"""``vps_instances.provider_type`` is always known.

Revision 0002 gave every row of the single-provider design its type ('linode');
since then every insert names one. Making the column NOT NULL lets the code drop
its "missing means Linode" fallbacks. Any row still without a type (written by
hand since) is given the one of its provider, else 'linode', as 0002 did.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE vps_instances AS i
           SET provider_type = COALESCE(
                   (SELECT p.type FROM service_providers AS p WHERE p.id = i.provider_id),
                   'linode')
         WHERE i.provider_type IS NULL
        """
    )
    op.alter_column("vps_instances", "provider_type", existing_type=sa.String(20), nullable=False)


def downgrade() -> None:
    op.alter_column("vps_instances", "provider_type", existing_type=sa.String(20), nullable=True)
