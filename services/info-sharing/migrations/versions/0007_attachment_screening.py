"""INFO-02: an attachment records whether its text was screened, or the classification its
uploader declared for a file whose text cannot be read.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "attachments",
        sa.Column("text_screened", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("attachments", sa.Column("classification_declared", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("attachments", "classification_declared")
    op.drop_column("attachments", "text_screened")
