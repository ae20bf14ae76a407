"""Backbone tables: outbox, inbox, audit log, deadlines, as of backbone step 7.

A new service takes every released backbone step in order (each is frozen SQL); later
steps come with later revisions (`upgrade_backbone`).

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from xietong_common.migrations import downgrade_backbone, upgrade_backbone

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STEPS = (1, 2, 3, 4, 5, 7)  # the released backbone steps, in order


def upgrade() -> None:
    for step in STEPS:
        upgrade_backbone(op, step)


def downgrade() -> None:
    for step in reversed(STEPS):
        downgrade_backbone(op, step)
