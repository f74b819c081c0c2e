"""Backward compatibility: instances without a provider_type are Linode.

The original single-provider deployment stored Linode servers without
provider_type/provider_id. Mark them as Linode and attach them to the oldest
Linode provider row when there is one. The downgrade leaves the data alone:
a NULL and 'linode' mean the same thing under this rule.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE vps_instances
           SET provider_type = 'linode',
               provider_id = COALESCE(
                   provider_id,
                   (SELECT id FROM service_providers
                     WHERE type = 'linode'
                     ORDER BY created_at, id LIMIT 1))
         WHERE provider_type IS NULL
        """
    )


def downgrade() -> None:
    pass
