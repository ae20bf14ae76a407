"""Issue 20 (REF-09): the conclusion period's lawful suspension (中止), resumption and
extension (延长): the suspension in force, its bound, and every change on record.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("suspended_at", sa.DateTime(timezone=True)),
    ("suspension", JSONB),
    ("conclusion_period_changes", JSONB),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("referrals", sa.Column(name, type_))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.drop_column("referrals", name)
