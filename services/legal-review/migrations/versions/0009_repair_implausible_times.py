"""Issue 9: times outside any plausible range (a year-1 input once stored as -infinity) made
reads of the review a 500. Such a finding is set to when the review was created (the
violation was found by then); deadlines computed from such times are cancelled.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE reviews SET found_at = created_at"
        " WHERE NOT isfinite(found_at) OR found_at < '2000-01-01' OR found_at >= '2101-01-01'"
    )
    op.execute(
        "UPDATE deadlines SET cancelled_at = now()"
        " WHERE cancelled_at IS NULL AND satisfied_at IS NULL"
        " AND (NOT isfinite(started_at) OR NOT isfinite(due_at))"
    )


def downgrade() -> None:
    """The repaired values are kept: the implausible ones cannot be told apart again."""
