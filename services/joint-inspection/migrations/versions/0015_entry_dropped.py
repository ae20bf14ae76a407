"""INSP-02: a drawn target dropped from its work order keeps why and when on its draw entry,
so a drawn-but-not-ordered target never looks as if it had never been ordered.

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


def upgrade() -> None:
    op.add_column("selection_entries", sa.Column("dropped_reason", sa.Text(), nullable=True))
    op.add_column(
        "selection_entries", sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("selection_entries", "dropped_at")
    op.drop_column("selection_entries", "dropped_reason")
