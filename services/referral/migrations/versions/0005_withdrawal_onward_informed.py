"""Issue 9: withdrawn drafts, REF-08 onward-referral flags, REF-04 'promptly inform', REF-09
time limits stated or explained.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
COLUMNS = (
    ("withdrawn_at", TZ),
    ("withdrawn_by", sa.Text),
    ("withdrawal_reason", sa.Text),
    ("distinct_case_reason", sa.Text),
    ("possible_onward_of", JSONB),
    ("ongoing_notified_to", sa.Text),
    ("ongoing_notified_at", TZ),
    ("no_time_limit_reason", sa.Text),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("referrals", sa.Column(name, type_))
    # REF-08: the cases a receiver holds are looked up on every new referral it makes.
    op.create_index(
        "ix_referrals_holder_state",
        "referrals",
        [sa.text("coalesce(assignee, receiver)"), "state"],
    )


def downgrade() -> None:
    op.drop_index("ix_referrals_holder_state", table_name="referrals")
    for name, _ in reversed(COLUMNS):
        op.drop_column("referrals", name)
