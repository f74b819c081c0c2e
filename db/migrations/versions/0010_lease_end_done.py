"""Lease ends that finished: the lease-end action becomes effectively exactly once.

- ``vps_instances.lease_end_done_at``: when the lease-end action's outcome was
  recorded (told and audited). ``lease_ended_at`` is when a sweeper claimed it;
  a claim with no done mark long after (its process died between the claim and
  the outcome) is claimed again by one sweeper and the (idempotent) action runs
  again, instead of the lease staying ended with nothing done.
- Leases ended before this revision count as done: they were handled the old,
  at-most-once way, and running their action now, possibly months later, would
  surprise their owners.
- ``idx_vps_instances_lease_unfinished``: the recovery read, by claim time over
  the claimed-but-not-done rows only (normally none, so it stays tiny).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("vps_instances", sa.Column("lease_end_done_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE vps_instances SET lease_end_done_at = lease_ended_at "
        "WHERE lease_ended_at IS NOT NULL"
    )
    op.create_index(
        "idx_vps_instances_lease_unfinished",
        "vps_instances",
        ["lease_ended_at"],
        postgresql_where=sa.text("lease_ended_at IS NOT NULL AND lease_end_done_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("idx_vps_instances_lease_unfinished", table_name="vps_instances")
    op.drop_column("vps_instances", "lease_end_done_at")
