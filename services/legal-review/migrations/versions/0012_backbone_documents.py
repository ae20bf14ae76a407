"""Backbone step 6: official documents (the number series and the documents issued, REV-05/07).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from xietong_common.migrations import downgrade_backbone, upgrade_backbone

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    upgrade_backbone(op, 6)


def downgrade() -> None:
    downgrade_backbone(op, 6)
