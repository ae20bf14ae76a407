"""Import jobs: a large roster sheet is imported as a job that reports its progress.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from xietong_common.import_jobs import create_import_jobs_table

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_import_jobs_table(op)


def downgrade() -> None:
    op.drop_table("import_jobs")
