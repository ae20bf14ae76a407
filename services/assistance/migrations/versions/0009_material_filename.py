"""Every material table has the same columns (xietong_common.materials.MaterialColumns): an
assistance material's file name is NOT NULL, as in every other service. Uploads always
stored one (the client's, made safe, or `<kind>.bin`); a row without one is given the name a
download gave it, its kind.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE assistance_materials SET filename = kind WHERE filename IS NULL")
    op.alter_column("assistance_materials", "filename", nullable=False)


def downgrade() -> None:
    op.alter_column("assistance_materials", "filename", nullable=True)
