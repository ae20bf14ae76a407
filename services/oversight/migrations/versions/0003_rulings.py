"""Rulings (SUP-01): the justice bureau's ruling on a fact, its history, and the
organisation's reply (陈述申辩). The facts are untouched.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _fact(table: str) -> sa.Column[object]:
    """The fact ruled on or replied to (never deleted: no cascade)."""
    return sa.Column(
        "fact_id",
        UUID(as_uuid=True),
        sa.ForeignKey("ledger_facts.id", name=f"fk_{table}_fact_id_ledger_facts"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "ledger_rulings",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _fact("ledger_rulings"),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("ruled_by", sa.String(200), nullable=False),
        sa.Column("ruled_at", TZ, nullable=False),
        sa.Column("first_ruled_at", TZ, nullable=False),
        sa.UniqueConstraint("fact_id", name="uq_ledger_rulings_fact"),
    )
    op.create_index(
        "ix_ledger_rulings_org_ruled", "ledger_rulings", ["organisation", "ruled_at"]
    )
    op.create_table(
        "ledger_ruling_history",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _fact("ledger_ruling_history"),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("ruled_by", sa.String(200), nullable=False),
        sa.Column("ruled_at", TZ, nullable=False),
        sa.UniqueConstraint(
            "fact_id", "version", name="uq_ledger_ruling_history_fact_version"
        ),
    )
    op.create_table(
        "ledger_replies",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _fact("ledger_replies"),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("replied_by", sa.String(200), nullable=False),
        sa.Column("replied_at", TZ, nullable=False),
        sa.UniqueConstraint("fact_id", name="uq_ledger_replies_fact"),
    )


def downgrade() -> None:
    op.drop_table("ledger_replies")
    op.drop_table("ledger_ruling_history")
    op.drop_table("ledger_rulings")
