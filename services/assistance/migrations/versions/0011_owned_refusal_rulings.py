"""ASSIST-03: a refusal of a matter the catalogue assigns to the refusing department is marked
(`refused_owned_matter`), ruled on by the justice bureau (upheld / not upheld, with its reason)
and contestable by the requesting town; ASSIST-02: on ground 2 the request names the holder of
the materials (`materials_holder`). Existing refusals were never ruled on or contested; one
of a matter its department owned is marked as such from the request's `within_powers`.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
COLUMNS = (
    ("materials_holder", sa.Text()),
    ("ruling_decision", sa.Text()),
    ("ruling_reason", sa.Text()),
    ("ruled_at", TZ),
    ("ruled_by", sa.Text()),
    ("contest_reason", sa.Text()),
    ("contested_at", TZ),
    ("contested_by", sa.Text()),
)


def upgrade() -> None:
    op.add_column(
        "assistance_requests",
        sa.Column(
            "refused_owned_matter", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )
    for name, kind in COLUMNS:
        op.add_column("assistance_requests", sa.Column(name, kind, nullable=True))
    op.execute(
        "UPDATE assistance_requests SET refused_owned_matter = TRUE "
        "WHERE refused_at IS NOT NULL AND within_powers"
    )


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.drop_column("assistance_requests", name)
    op.drop_column("assistance_requests", "refused_owned_matter")
