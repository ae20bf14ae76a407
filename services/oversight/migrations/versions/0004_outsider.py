"""The outsider and the calendar watch (SUP-01/SUP-02): the audit checkpoints oversight read
from every service, the newest trusted head of each chain, and the alarms raised.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "watched_checkpoints",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("deployment", sa.String(64)),
        sa.Column("chain_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("hash_algorithm", sa.String(10), nullable=False),
        sa.Column("signed_at", TZ, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature_algorithm", sa.String(10), nullable=False),
        sa.Column("signature", sa.String(512), nullable=False),
        sa.Column("previous_seq", sa.BigInteger),
        sa.Column("previous_hash", sa.String(64)),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_watched_checkpoints"),
        sa.UniqueConstraint(
            "service", "key_id", "signature", name="uq_watched_checkpoints_signature"
        ),
    )
    op.create_index(
        "ix_watched_checkpoints_service_received",
        "watched_checkpoints",
        ["service", "received_at"],
    )
    op.create_table(
        "watched_heads",
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("chain_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("signed_at", TZ, nullable=False),
        sa.Column("checkpoints", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("service", name="pk_watched_heads"),
    )
    op.create_table(
        "oversight_alarms",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("alarm_key", sa.String(300), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("service", sa.String(40)),
        sa.Column(
            "checkpoint_id",
            sa.BigInteger,
            sa.ForeignKey(
                "watched_checkpoints.id",
                name="fk_oversight_alarms_checkpoint_id_watched_checkpoints",
            ),
        ),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("detail_zh", sa.Text, nullable=False),
        sa.Column("facts", JSONB, nullable=False),
        sa.Column("raised_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oversight_alarms"),
        sa.UniqueConstraint("alarm_key", name="uq_oversight_alarms_key"),
    )
    op.create_index("ix_oversight_alarms_raised", "oversight_alarms", ["raised_at"])


def downgrade() -> None:
    op.drop_table("oversight_alarms")
    op.drop_table("watched_heads")
    op.drop_table("watched_checkpoints")
