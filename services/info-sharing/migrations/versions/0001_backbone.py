"""Backbone tables: outbox, inbox, audit log, deadlines.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

from xietong_common.migrations import create_backbone_tables, drop_backbone_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_backbone_tables(op)


def downgrade() -> None:
    drop_backbone_tables(op)
