"""Issue 9: withdrawn drafts, REF-08 onward-referral flags, REF-04 'promptly inform', REF-09
time limits stated or explained.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0006"
down_revision: str | None = "0005"
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


# Times outside any plausible range (a year-1 input once stored as -infinity) made every read
# of the case's timeline and every edit a 500: the case could never be edited, sent or fixed.
# Such a finding is set to when the draft was made (the violation was found by then) so the
# sender can correct it (an edit of found_at restarts REF-03); deadlines computed from such
# times were never real deadlines and are cancelled.
REPAIRS = (
    "UPDATE referrals SET found_at = created_at"
    " WHERE NOT isfinite(found_at) OR found_at < '2000-01-01' OR found_at >= '2101-01-01'",
    "UPDATE referrals SET stop_measure_at = created_at WHERE NOT isfinite(stop_measure_at)",
    "UPDATE deadlines SET cancelled_at = now()"
    " WHERE cancelled_at IS NULL AND satisfied_at IS NULL"
    " AND (NOT isfinite(started_at) OR NOT isfinite(due_at))",
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("referrals", sa.Column(name, type_))
    for statement in REPAIRS:
        op.execute(statement)
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
