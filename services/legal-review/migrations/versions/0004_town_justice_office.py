"""REV-09: each review records the 司法所 serving its town, from the directory at submission.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reviews", sa.Column("town_justice_office", sa.Text()))
    # Until now the 司法所 was derived from the town's slug; keep exactly that for old reviews.
    op.execute(
        "UPDATE reviews SET town_justice_office = 'justice-office:' || split_part(town, ':', 2)"
    )
    op.create_index("ix_reviews_town_justice_office", "reviews", ["town_justice_office"])


def downgrade() -> None:
    op.drop_index("ix_reviews_town_justice_office", table_name="reviews")
    op.drop_column("reviews", "town_justice_office")
