"""Issue 19 (REF-10/SUP-01): the handling party records that the sender did not give the
cooperation it asked for, with its reason, once per request.

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

TZ = sa.DateTime(timezone=True)
COLUMNS = (("not_given_at", TZ), ("not_given_reason", sa.Text), ("not_given_by", sa.Text))


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("cooperation_requests", sa.Column(name, type_))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.drop_column("cooperation_requests", name)
