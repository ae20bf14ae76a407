"""A subscription's delivery format (issue 24's message adapters): the CloudEvents webhook
(every existing subscription), 企业微信/政务微信 and 钉钉 group robots, the SMS gateway.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "subscriptions",
        sa.Column("format", sa.Text(), server_default="cloudevents", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("subscriptions", "format")
