"""SEC-04: the secondment roster as this service keeps it (projection of
`secondment.roster-changed`), for the eligibility of seconded inspectors (INSP-03).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from xietong_common.mechanisms.roster import create_roster_projection, drop_roster_projection

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_roster_projection(op)


def downgrade() -> None:
    drop_roster_projection(op)
