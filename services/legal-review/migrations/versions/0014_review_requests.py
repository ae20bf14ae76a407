"""INSP-08/REV-01: the review requests joint inspection sends (`inspection.review-requested`),
and the finding a review fulfils.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("reviews", sa.Column("finding_id", sa.Text()))
    op.create_table(
        "review_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("finding_id", sa.Text(), nullable=False),
        sa.Column("inspection_id", sa.Text(), nullable=False),
        sa.Column("order_number", sa.Text()),
        sa.Column("visit_id", sa.Text(), nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("town", sa.Text(), nullable=False),
        sa.Column("town_justice_office", sa.Text()),
        sa.Column("place_town", sa.Text(), nullable=False),
        sa.Column("matter_code", sa.Text(), nullable=False),
        sa.Column("matters_checked", JSONB(), nullable=False),
        sa.Column("found_at", TZ, nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("handling", sa.Text()),
        sa.Column("party", JSONB(), nullable=False),
        sa.Column("triggers", JSONB(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("review_id", sa.Uuid()),
        sa.Column("submitted_by", sa.Text()),
        sa.Column("submitted_at", TZ),
        sa.Column("decided_at", TZ),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name="fk_review_requests_review_id_reviews"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_review_requests"),
        sa.UniqueConstraint("finding_id", name="uq_review_requests_finding_id"),
        sa.UniqueConstraint("review_id", name="uq_review_requests_review_id"),
    )
    op.create_index("ix_review_requests_town", "review_requests", ["town"])
    op.create_index(
        "ix_review_requests_town_justice_office", "review_requests", ["town_justice_office"]
    )
    op.create_index("ix_review_requests_state", "review_requests", ["state"])


def downgrade() -> None:
    op.drop_table("review_requests")
    op.drop_column("reviews", "finding_id")
