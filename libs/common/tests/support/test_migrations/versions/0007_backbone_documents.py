"""Backbone step 6: official documents (their number series and the documents issued).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from xietong_common.migrations import downgrade_backbone, upgrade_backbone

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    upgrade_backbone(op, 6)


def downgrade() -> None:
    downgrade_backbone(op, 6)
