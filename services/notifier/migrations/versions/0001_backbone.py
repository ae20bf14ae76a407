"""Backbone tables, every step at once (outbox, inbox, audit log with its head and
checkpoints, idempotency keys, deadlines with their lifecycle columns): the notifier starts
on the backbone as it stands.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from xietong_common.backbone import STEPS
from xietong_common.migrations import downgrade_backbone, upgrade_backbone

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: a later backbone step comes with a later revision of its own.
BACKBONE_STEPS = (1, 2, 3, 4, 5, 7)
assert set(BACKBONE_STEPS) <= set(STEPS)


def upgrade() -> None:
    for step in BACKBONE_STEPS:
        upgrade_backbone(op, step)


def downgrade() -> None:
    for step in reversed(BACKBONE_STEPS):
        downgrade_backbone(op, step)
