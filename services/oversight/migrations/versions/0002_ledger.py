"""The ledger: accountability facts, and the deadlines they tell (SUP-01/SUP-02).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
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


def upgrade() -> None:
    op.create_table(
        "ledger_facts",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("fact_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("rule", sa.String(20)),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("counterparty", sa.String(80)),
        sa.Column("subject", sa.String(200)),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("detail", JSONB, nullable=False),
        sa.UniqueConstraint("source", "fact_key", name="uq_ledger_facts_source_key"),
    )
    op.create_index(
        "ix_ledger_facts_org_kind_occurred",
        "ledger_facts",
        ["organisation", "kind", "occurred_at"],
    )
    op.create_index("ix_ledger_facts_kind_occurred", "ledger_facts", ["kind", "occurred_at"])
    op.create_table(
        "ledger_deadlines",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("mechanism", sa.String(40), nullable=False),
        sa.Column("deadline_id", sa.String(100), nullable=False),
        sa.Column("rule", sa.String(20), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("counterparty", sa.String(80)),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(200)),
        sa.Column("assignee", sa.String(200)),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("met_at", TZ),
        sa.Column("met_late", sa.Boolean),
        sa.Column("breached_at", TZ),
        sa.Column("breach_kind", sa.String(20)),
        sa.Column("breach_actual_at", TZ),
        sa.Column("ended_at", TZ),
        sa.Column("end_kind", sa.String(20)),
        sa.Column("end_reason", sa.String(80)),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("mechanism", "deadline_id", name="uq_ledger_deadlines_source_id"),
    )
    op.create_index(
        "ix_ledger_deadlines_org_due", "ledger_deadlines", ["organisation", "due_at"]
    )
    op.create_index("ix_ledger_deadlines_due", "ledger_deadlines", ["due_at"])
    op.create_index(
        "ix_ledger_deadlines_breached_due",
        "ledger_deadlines",
        ["due_at"],
        postgresql_where=sa.text("breached_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("ledger_deadlines")
    op.drop_table("ledger_facts")
