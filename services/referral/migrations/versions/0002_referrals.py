"""Referrals, their items, materials, cooperation requests and receipt numbers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("sender", sa.Text, nullable=False),
        sa.Column("receiver", sa.Text),
        sa.Column("proposed_receiver", sa.Text),
        sa.Column("jurisdiction_override_reason", sa.Text),
        sa.Column("assignee", sa.Text),
        sa.Column("matter_code", sa.Text),
        sa.Column("place_town", sa.Text),
        sa.Column("found_at", TZ, nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("party", JSONB),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("ongoing", sa.Boolean, nullable=False),
        sa.Column("stop_measure", sa.Text),
        sa.Column("stop_measure_at", TZ),
        sa.Column("proceeds_transferred", MONEY, nullable=False),
        sa.Column("source_kind", sa.Text, nullable=False),
        sa.Column("source_id", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("approved_at", TZ),
        sa.Column("approved_by", sa.Text),
        sa.Column("sent_at", TZ),
        sa.Column("sent_by", sa.Text),
        sa.Column("received_at", TZ),
        sa.Column("receipt_number", sa.Text),
        sa.Column("receipt_signed_by", sa.Text),
        sa.Column("answered_at", TZ),
        sa.Column("answer_decision", sa.Text),
        sa.Column("answer_reasons", sa.Text),
        sa.Column("assigned_at", TZ),
        sa.Column("assigned_by", sa.Text),
        sa.Column("assignment_reasons", sa.Text),
        sa.Column("filed_at", TZ),
        sa.Column("case_number", sa.Text),
        sa.Column("procedure", sa.Text),
        sa.Column("concluded_at", TZ),
        sa.Column("outcome", sa.Text),
        sa.Column("decision_number", sa.Text),
        sa.UniqueConstraint("source_kind", "source_id", name="uq_referrals_source"),
        sa.UniqueConstraint("receipt_number", name="uq_referrals_receipt_number"),
        sa.CheckConstraint(
            "proceeds_transferred >= 0", name="ck_referrals_proceeds_non_negative"
        ),
    )
    op.create_index("ix_referrals_sender_state", "referrals", ["sender", "state"])
    op.create_index("ix_referrals_receiver_state", "referrals", ["receiver", "state"])
    op.create_index("ix_referrals_assignee", "referrals", ["assignee"])
    op.create_index("ix_referrals_matter_code", "referrals", ["matter_code"])

    op.create_table(
        "referral_items",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "referral_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "referrals.id", ondelete="CASCADE", name="fk_referral_items_referral_id_referrals"
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("quantity", sa.Numeric(14, 3), nullable=False),
        sa.Column("unit", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("disposed_in_advance", sa.Boolean, nullable=False),
        sa.Column("disposal_method", sa.Text),
        sa.Column("proceeds", MONEY),
        sa.CheckConstraint("quantity >= 0", name="ck_referral_items_quantity_non_negative"),
        sa.CheckConstraint(
            "proceeds IS NULL OR proceeds >= 0", name="ck_referral_items_proceeds_non_negative"
        ),
    )
    op.create_index("ix_referral_items_referral_id", "referral_items", ["referral_id"])

    op.create_table(
        "referral_materials",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "referral_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "referrals.id",
                ondelete="CASCADE",
                name="fk_referral_materials_referral_id_referrals",
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("filename", sa.Text),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("uploaded_at", TZ, nullable=False),
        sa.Column("uploaded_by", sa.Text, nullable=False),
    )
    op.create_index("ix_referral_materials_referral_id", "referral_materials", ["referral_id"])

    op.create_table(
        "cooperation_requests",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "referral_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "referrals.id",
                ondelete="CASCADE",
                name="fk_cooperation_requests_referral_id_referrals",
            ),
            nullable=False,
        ),
        sa.Column("requesting_org", sa.Text, nullable=False),
        sa.Column("requested_org", sa.Text, nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("answer", sa.Text),
        sa.Column("answered_at", TZ),
        sa.Column("answered_by", sa.Text),
    )
    op.create_index(
        "ix_cooperation_requests_referral_id", "cooperation_requests", ["referral_id"]
    )

    op.create_table(
        "receipt_counters",
        sa.Column("org", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("receipt_counters")
    op.drop_table("cooperation_requests")
    op.drop_table("referral_materials")
    op.drop_table("referral_items")
    op.drop_table("referrals")
