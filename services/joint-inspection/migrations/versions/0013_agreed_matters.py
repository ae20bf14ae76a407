"""INSP-04: the matters the town agreed for a work order. A merge that adds another agency's
matters to an order already agreed or issued leaves them outside this list until the town
agrees again; no visit or outcome covers a matter outside it. NULL on orders made before:
their matters are what the town agreed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "work_orders", sa.Column("agreed_matters", postgresql.ARRAY(sa.Text()), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("work_orders", "agreed_matters")
