"""Reviews, their rounds, materials, joint opinions and justice-office advice.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)
JSON = postgresql.JSONB()


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("town", sa.Text(), nullable=False),
        sa.Column("case_number", sa.Text()),
        sa.Column("matter_code", sa.Text(), nullable=False),
        sa.Column("place_town", sa.Text(), nullable=False),
        sa.Column("found_at", TS, nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("party", JSON, nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("handler", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.Text()),
        sa.Column("decider", sa.Text()),
        sa.Column("joint_mode", sa.Text(), nullable=False),
        sa.Column("joint_departments", JSON, nullable=False),
        sa.Column("justice_office", sa.Text()),
        sa.Column("decision_outcome", sa.Text()),
        sa.Column("decision_reason", sa.Text()),
        sa.Column("against_opinion", sa.Boolean()),
        sa.Column("decision_number", sa.Text()),
        sa.Column("execution", sa.Text()),
        sa.Column("decided_at", TS),
        sa.Column("idempotency_key", sa.Text(), unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_reviews_town", "reviews", ["town"])
    op.create_index("ix_reviews_state", "reviews", ["state"])
    op.create_table(
        "review_rounds",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), sa.ForeignKey("reviews.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("party_kind", sa.Text(), nullable=False),
        sa.Column("fine", MONEY, nullable=False),
        sa.Column("confiscated_gains", MONEY, nullable=False),
        sa.Column("confiscated_property_value", MONEY, nullable=False),
        sa.Column("adjustment", sa.Text(), nullable=False),
        sa.Column("hearing", sa.Boolean(), nullable=False),
        sa.Column("assessed", sa.Boolean(), nullable=False),
        sa.Column("judgements", JSON, nullable=False),
        sa.Column("triggers", JSON, nullable=False),
        sa.Column("voluntary", sa.Boolean(), nullable=False),
        sa.Column("proposal", sa.Text(), nullable=False),
        sa.Column("correction_note", sa.Text()),
        sa.Column("submitted_by", sa.Text(), nullable=False),
        sa.Column("submitted_at", TS, nullable=False),
        sa.Column("notice_missing", JSON),
        sa.Column("notice_items", JSON),
        sa.Column("notice_by", sa.Text()),
        sa.Column("notice_at", TS),
        sa.Column("supplied_at", TS),
        sa.Column("findings", JSON, nullable=False),
        sa.Column("opinion", sa.Text()),
        sa.Column("opinion_reasons", sa.Text()),
        sa.Column("flaws", JSON, nullable=False),
        sa.Column("transfer_to", sa.Text()),
        sa.Column("judicial_organ", sa.Text()),
        sa.Column("opinion_by", sa.Text()),
        sa.Column("opinion_at", TS),
        sa.UniqueConstraint("review_id", "number", name="uq_review_rounds_review_id"),
        sa.CheckConstraint(
            "fine >= 0 AND confiscated_gains >= 0 AND confiscated_property_value >= 0",
            name="ck_review_rounds_amounts_not_negative",
        ),
    )
    op.create_index("ix_review_rounds_review_id", "review_rounds", ["review_id"])
    op.create_table(
        "review_materials",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), sa.ForeignKey("reviews.id"), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
    )
    op.create_index("ix_review_materials_review_id", "review_materials", ["review_id"])
    op.create_table(
        "review_joint_opinions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), sa.ForeignKey("reviews.id"), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("org", sa.Text(), nullable=False),
        sa.Column("person", sa.Text(), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("participants", JSON, nullable=False),
        sa.Column("minutes", sa.Text()),
        sa.Column("given_at", TS, nullable=False),
    )
    op.create_index("ix_review_joint_opinions_review_id", "review_joint_opinions", ["review_id"])
    op.create_table(
        "review_advice",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("review_id", sa.Uuid(), sa.ForeignKey("reviews.id"), nullable=False),
        sa.Column("org", sa.Text(), nullable=False),
        sa.Column("person", sa.Text(), nullable=False),
        sa.Column("advisers", JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("given_at", TS, nullable=False),
    )
    op.create_index("ix_review_advice_review_id", "review_advice", ["review_id"])


def downgrade() -> None:
    for table in ("review_advice", "review_joint_opinions", "review_materials", "review_rounds", "reviews"):
        op.drop_table(table)
