"""An Idempotency-Key is unique per submitting town, under the models' constraint name.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # 0002 declared the column unique on its own, so PostgreSQL named the constraint itself.
    op.drop_constraint("reviews_idempotency_key_key", "reviews", type_="unique")
    op.create_unique_constraint("uq_reviews_town", "reviews", ["town", "idempotency_key"])


def downgrade() -> None:
    op.drop_constraint("uq_reviews_town", "reviews", type_="unique")
    op.create_unique_constraint(
        "reviews_idempotency_key_key", "reviews", ["idempotency_key"]
    )
