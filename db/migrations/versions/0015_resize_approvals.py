"""Resizes are spend decisions: an approval request may be for a resize.

- ``approval_requests.kind`` admits ``'resize'`` besides ``'create'`` and
  ``'extend'``: a resize to a plan over the approval threshold waits for an
  approver like a create does (the request names the server and both prices).

Revision ID: 0015
Revises: 0012
"""

from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("ck_approval_requests_kind", "approval_requests", type_="check")
    op.create_check_constraint(
        "ck_approval_requests_kind", "approval_requests", "kind IN ('create', 'extend', 'resize')"
    )


def downgrade() -> None:
    # a resize request cannot be kept under the older rule: those still waiting lapse
    op.execute("DELETE FROM approval_requests WHERE kind = 'resize'")
    op.drop_constraint("ck_approval_requests_kind", "approval_requests", type_="check")
    op.create_check_constraint(
        "ck_approval_requests_kind", "approval_requests", "kind IN ('create', 'extend')"
    )
