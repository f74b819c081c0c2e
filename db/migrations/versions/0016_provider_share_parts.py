"""What a shared provider shares besides itself: the owner's SSH keys and VPCs.

A provider shared with another workspace used to offer that workspace every SSH
key and VPC of the owner's cloud account. ``provider_shares.ssh_keys`` and
``provider_shares.vpcs`` say whether it may: false unless the operator says so
(``vpsbot provider share NAME --workspace T… --ssh-keys --vpcs``), existing
shares included (the safe side; the operator shares them again to offer them).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in ("ssh_keys", "vpcs"):
        op.add_column(
            "provider_shares",
            sa.Column(column, sa.Boolean, nullable=False, server_default=sa.text("false")),
        )


def downgrade() -> None:
    for column in ("ssh_keys", "vpcs"):
        op.drop_column("provider_shares", column)
