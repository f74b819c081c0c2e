"""Provider health: whether the stored token worked when last checked, and when.

``credentials_valid`` is NULL until a validation has run; ``last_checked_at`` is
the time of the latest validation, ``last_success_at`` of the latest call that
worked. All three are written by the admin screens (add, rotate, "Check now").

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("service_providers", sa.Column("credentials_valid", sa.Boolean, nullable=True))
    op.add_column(
        "service_providers",
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "service_providers",
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("service_providers", "last_success_at")
    op.drop_column("service_providers", "last_checked_at")
    op.drop_column("service_providers", "credentials_valid")
