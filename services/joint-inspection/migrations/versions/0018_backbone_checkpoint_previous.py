"""Backbone step 8: a signed audit checkpoint names the checkpoint it follows (SUP-01, the
outsider sees a checkpoint that never reached the topic).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from xietong_common.migrations import downgrade_backbone, upgrade_backbone

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    upgrade_backbone(op, 8)


def downgrade() -> None:
    downgrade_backbone(op, 8)
