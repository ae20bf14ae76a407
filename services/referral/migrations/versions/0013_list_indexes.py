"""Issue 22: indexes in the order of each sort of the referral lists (`-created_at`, the
default, `-found_at`, `-sent_at`; rows without a value last; ties by id), so the first page
and every page after a cursor is an index scan that stops after the page, at any size.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORTS = ("created_at", "found_at", "sent_at")


def upgrade() -> None:
    for column in SORTS:
        op.create_index(
            f"ix_referrals_{column}_desc",
            "referrals",
            [sa.text(f"{column} DESC NULLS LAST"), "id"],
        )


def downgrade() -> None:
    for column in SORTS:
        op.drop_index(f"ix_referrals_{column}_desc", table_name="referrals")
