"""SEC-05: a town the guidance activity reached confirms it received it; a guidance document
says how it is shared as an information item (INFO-04).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("guidance_activities", sa.Column("shared_as", sa.Text(), nullable=True))
    op.create_table(
        "guidance_confirmations",
        sa.Column(
            "activity_id",
            sa.Uuid(),
            sa.ForeignKey("guidance_activities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("town", sa.Text(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("activity_id", "town"),
    )


def downgrade() -> None:
    op.drop_table("guidance_confirmations")
    op.drop_column("guidance_activities", "shared_as")
