"""Backbone step 8: a signed audit checkpoint names the checkpoint it follows (SUP-01, the
outsider sees a checkpoint that never reached the topic).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from xietong_common.migrations import downgrade_backbone, upgrade_backbone

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    upgrade_backbone(op, 8)


def downgrade() -> None:
    downgrade_backbone(op, 8)
