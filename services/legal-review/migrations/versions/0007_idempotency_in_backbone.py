"""Idempotency-Keys of submissions move to the shared idempotency_keys table (per town).

Keys recorded before are kept (their request fingerprint is unknown, so a retry with the
key replays the review whatever its body); the column on reviews goes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        INSERT INTO idempotency_keys (scope, org, key, fingerprint, resource_id, created_at)
        SELECT 'review.submit', town, idempotency_key, NULL, id::text, created_at
        FROM reviews WHERE idempotency_key IS NOT NULL
        ON CONFLICT DO NOTHING
        """
    )
    op.drop_constraint("uq_reviews_town", "reviews", type_="unique")
    op.drop_column("reviews", "idempotency_key")


def downgrade() -> None:
    op.add_column("reviews", sa.Column("idempotency_key", sa.Text()))
    op.execute(
        """
        UPDATE reviews r SET idempotency_key = k.key
        FROM idempotency_keys k
        WHERE k.scope = 'review.submit' AND k.resource_id = r.id::text
        """
    )
    op.create_unique_constraint("uq_reviews_town", "reviews", ["town", "idempotency_key"])
