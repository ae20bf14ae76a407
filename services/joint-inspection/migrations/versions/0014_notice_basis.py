"""INSP-06: an order exempt from advance notice records the law that forbids disclosure (by
its title) or the superior's instructing document (文号 or title), beside its reason.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("work_orders", sa.Column("notice_legal_basis", sa.Text(), nullable=True))
    op.add_column(
        "work_orders", sa.Column("notice_instructing_document", sa.Text(), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("work_orders", "notice_instructing_document")
    op.drop_column("work_orders", "notice_legal_basis")
