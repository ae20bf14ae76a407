"""Issue 20 (REF-08): a referral resembling a case its sender received is held for the
district government's decision (held, barred); the district's decision; the original
sender is told on its own case (onward_suspicions). REF-04: the informed party acknowledges
the notice of an ongoing violation. REF-09: filings that stop the conclusion clock flagged;
the kind of a conclusion's outcome. REF-03: the first finding, which moving found_at later
cannot escape.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
COLUMNS = (
    ("held_at", TZ),
    ("onward_decision", JSONB),
    ("onward_suspicions", JSONB),
    ("ongoing_acknowledged_at", TZ),
    ("ongoing_acknowledged_by", sa.Text),
    ("procedure_flag", sa.Text),
    ("outcome_kind", sa.Text),
    ("first_found_at", TZ),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("referrals", sa.Column(name, type_))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.drop_column("referrals", name)
