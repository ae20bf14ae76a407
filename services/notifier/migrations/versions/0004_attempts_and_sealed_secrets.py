"""A row per delivery attempt, kept across redeliveries; a subscription's secret sealed at
rest (AES-GCM, the key from XIETONG_NOTIFIER_SECRETS_KEY) and its rotation with an overlap
window (the previous secret, sealed too, until it ends). Issue 24.

Secrets already stored as they are stay readable and are sealed by the delivery job's next
run (a migration has no key to seal them with).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "deliveries", sa.Column("round", sa.Integer(), server_default="1", nullable=False)
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name="fk_delivery_attempts_delivery_id_deliveries",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempts"),
        sa.UniqueConstraint("delivery_id", "number", name="uq_delivery_attempts_number"),
    )
    op.add_column("subscriptions", sa.Column("previous_secret", sa.Text(), nullable=True))
    op.add_column("subscriptions", sa.Column("previous_secret_until", TZ, nullable=True))
    op.add_column("subscriptions", sa.Column("secret_rotated_at", TZ, nullable=True))


def downgrade() -> None:
    op.drop_column("subscriptions", "secret_rotated_at")
    op.drop_column("subscriptions", "previous_secret_until")
    op.drop_column("subscriptions", "previous_secret")
    op.drop_table("delivery_attempts")
    op.drop_column("deliveries", "round")
