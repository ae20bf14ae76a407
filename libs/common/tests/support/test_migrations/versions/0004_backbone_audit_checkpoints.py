"""Backbone step 4: an audit trail an outsider can check — each audit row names its hash
function, the chain head its identity, and the service keeps the checkpoints it signed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

from xietong_common.migrations import downgrade_backbone, upgrade_backbone

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    upgrade_backbone(op, 4)


def downgrade() -> None:
    downgrade_backbone(op, 4)
