"""Assistance requests, their officers, materials, extension requests and obstruction flags.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _child(name: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "request_id",
            UUID(as_uuid=True),
            sa.ForeignKey("assistance_requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        *columns,
    )
    op.create_index(f"ix_{name}_request_id", name, ["request_id"])


def upgrade() -> None:
    op.create_table(
        "assistance_requests",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("town", sa.Text, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("proposed_department", sa.Text, nullable=False),
        sa.Column("within_powers", sa.Boolean, nullable=False),
        sa.Column("matter_code", sa.Text, nullable=False),
        sa.Column("ground", sa.Text, nullable=False),
        sa.Column("ground_description", sa.Text),
        sa.Column("needed", sa.Text, nullable=False),
        sa.Column("case_kind", sa.Text),
        sa.Column("case_id", sa.Text),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("needed_by", sa.Date),
        sa.Column("warnings", JSONB, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("submitted_at", TZ),
        sa.Column("submitted_by", sa.Text),
        sa.Column("accepted_at", TZ),
        sa.Column("accepted_by", sa.Text),
        sa.Column("agreed_completion_date", sa.Date),
        sa.Column("acceptance_note", sa.Text),
        sa.Column("extensions_agreed", sa.Integer, nullable=False),
        sa.Column("refused_at", TZ),
        sa.Column("refused_by", sa.Text),
        sa.Column("refusal_ground", sa.Text),
        sa.Column("refusal_law", sa.Text),
        sa.Column("refusal_article", sa.Text),
        sa.Column("refusal_reason", sa.Text),
        sa.Column("refused_after_acceptance", sa.Boolean, nullable=False),
        sa.Column("delivered_at", TZ),
        sa.Column("delivered_by", sa.Text),
        sa.Column("result_kind", sa.Text),
        sa.Column("result_summary", sa.Text),
        sa.Column("returns", sa.Integer, nullable=False),
        sa.Column("last_return_reason", sa.Text),
        sa.Column("confirmed_at", TZ),
        sa.Column("confirmed_by", sa.Text),
        sa.Column("confirmation_note", sa.Text),
        sa.Column("withdrawn_at", TZ),
        sa.Column("withdrawn_by", sa.Text),
        sa.Column("withdrawal_reason", sa.Text),
        sa.CheckConstraint("extensions_agreed >= 0", name="extensions_non_negative"),
        sa.CheckConstraint("returns >= 0", name="returns_non_negative"),
    )
    op.create_index("ix_assistance_requests_town_state", "assistance_requests", ["town", "state"])
    op.create_index(
        "ix_assistance_requests_department_state", "assistance_requests", ["department", "state"]
    )
    op.create_index("ix_assistance_requests_matter_code", "assistance_requests", ["matter_code"])
    _child(
        "assistance_officers",
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("certificate_number", sa.Text, nullable=False),
        sa.Column("seconded", sa.Boolean, nullable=False),
        sa.Column("officer_id", sa.Text),
        sa.Column("team_id", sa.Text),
        sa.Column("eligibility", JSONB),
    )
    _child(
        "assistance_materials",
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("filename", sa.Text),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("uploaded_at", TZ, nullable=False),
        sa.Column("uploaded_by", sa.Text, nullable=False),
        sa.Column("uploaded_org", sa.Text, nullable=False),
    )
    _child(
        "assistance_extensions",
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("previous_date", sa.Date, nullable=False),
        sa.Column("proposed_date", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decision", sa.Text),
        sa.Column("decided_at", TZ),
        sa.Column("decided_by", sa.Text),
        sa.Column("decision_note", sa.Text),
    )
    _child(
        "assistance_obstruction_flags",
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("town", sa.Text, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("flagged_at", TZ, nullable=False),
        sa.Column("flagged_by", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "assistance_obstruction_flags",
        "assistance_extensions",
        "assistance_materials",
        "assistance_officers",
    ):
        op.drop_table(name)
    op.drop_table("assistance_requests")
