"""INSP-05..INSP-08 beyond the happy path: the justice bureau's decision of a consent
stalemate on the work order.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("work_orders", sa.Column("bureau_decision", sa.Text(), nullable=True))
    op.add_column("work_orders", sa.Column("bureau_decision_reason", sa.Text(), nullable=True))
    op.add_column(
        "work_orders", sa.Column("bureau_decided_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("work_orders", sa.Column("bureau_decided_by", sa.Text(), nullable=True))


def downgrade() -> None:
    for column in ("bureau_decided_by", "bureau_decided_at", "bureau_decision_reason"):
        op.drop_column("work_orders", column)
    op.drop_column("work_orders", "bureau_decision")
