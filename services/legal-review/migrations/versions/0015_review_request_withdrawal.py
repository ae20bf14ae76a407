"""INSP-08/REV-01: a review request the town withdraws, with its reason, before any review
fulfilled it (`review.request-withdrawn`).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("review_requests", sa.Column("withdrawn_at", TZ))
    op.add_column("review_requests", sa.Column("withdrawn_by", sa.Text()))
    op.add_column("review_requests", sa.Column("withdrawal_reason", sa.Text()))


def downgrade() -> None:
    op.drop_column("review_requests", "withdrawal_reason")
    op.drop_column("review_requests", "withdrawn_by")
    op.drop_column("review_requests", "withdrawn_at")
