"""Backbone step 3: Idempotency-Key of creates, per organisation and operation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

from xietong_common.migrations import downgrade_backbone, upgrade_backbone

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    upgrade_backbone(op, 3)


def downgrade() -> None:
    downgrade_backbone(op, 3)
