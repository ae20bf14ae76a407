"""ASSIST-03: every assistance request has a version, raised by each change of the row; it
is the request's ETag, which the justice bureau's ruling names in If-Match (428 without it,
412 when the request changed since it was read). Existing rows start at 1.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "assistance_requests",
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    )


def downgrade() -> None:
    op.drop_column("assistance_requests", "version")
