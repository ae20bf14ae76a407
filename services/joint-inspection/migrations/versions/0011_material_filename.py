"""Every material table has the same columns (xietong_common.materials.MaterialColumns): an
order material's file name is NOT NULL, as in every other service. Uploads always stored one
(the client's, made safe, or `<kind>.bin`); a row without one is given that name first.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE order_materials SET filename = kind || '.bin' WHERE filename IS NULL")
    op.alter_column("order_materials", "filename", nullable=False)


def downgrade() -> None:
    op.alter_column("order_materials", "filename", nullable=True)
