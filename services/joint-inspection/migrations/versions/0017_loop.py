"""INSP-05..INSP-08 beyond the happy path: the justice bureau's decision of a consent
stalemate on the work order; the loop at each target (INSP-07): who was inspected, as the
register said then, to whom the feedback went, the referral or review a finding started and
what it returned; the serious report acknowledged by the district government and the notice
by the competent authority (INSP-08).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("work_orders", sa.Column("bureau_decision", sa.Text(), nullable=True))
    op.add_column("work_orders", sa.Column("bureau_decision_reason", sa.Text(), nullable=True))
    op.add_column(
        "work_orders", sa.Column("bureau_decided_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("work_orders", sa.Column("bureau_decided_by", sa.Text(), nullable=True))
    op.add_column("visits", sa.Column("target_snapshot", JSONB(), nullable=True))
    op.add_column("visits", sa.Column("feedback_to", sa.ARRAY(sa.Text()), nullable=True))
    op.add_column("visits", sa.Column("awaits", sa.Text(), nullable=True))
    op.add_column("visits", sa.Column("referral_id", sa.Uuid(), nullable=True))
    op.add_column("visits", sa.Column("loop_result", sa.Text(), nullable=True))
    op.add_column(
        "visits", sa.Column("loop_returned_at", sa.DateTime(timezone=True), nullable=True)
    )
    for who in ("serious", "authority"):
        op.add_column(
            "visits",
            sa.Column(f"{who}_acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        )
        op.add_column("visits", sa.Column(f"{who}_acknowledged_by", sa.Text(), nullable=True))
        op.add_column("visits", sa.Column(f"{who}_ack_response", sa.Text(), nullable=True))
    op.create_index("ix_visits_referral_id", "visits", ["referral_id"])
    op.create_table(
        "loop_returns",
        sa.Column("ref_kind", sa.Text(), nullable=False),
        sa.Column("ref_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ref_kind", "ref_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("loop_returns")
    op.drop_index("ix_visits_referral_id", table_name="visits")
    for name in (
        "authority_ack_response",
        "authority_acknowledged_by",
        "authority_acknowledged_at",
        "serious_ack_response",
        "serious_acknowledged_by",
        "serious_acknowledged_at",
        "loop_returned_at",
        "loop_result",
        "referral_id",
        "awaits",
        "feedback_to",
        "target_snapshot",
    ):
        op.drop_column("visits", name)
    for column in ("bureau_decided_by", "bureau_decided_at", "bureau_decision_reason"):
        op.drop_column("work_orders", column)
    op.drop_column("work_orders", "bureau_decision")
