"""The assessment's pre-aggregate (SUP-02): deadlines counted per organisation, China day and
month, facts per China day, kept with each change of the ledger, so a year's assessment sums
months and days rather than every deadline. Filled here from the ledger as it stands.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("due", "breached", "met_late", "met_on_time", "ended", "provisional", "open", "started")

# The ledger as it stands, counted the way the service keeps counting it (service/days.py).
FILL_DEADLINE_DAYS = """
INSERT INTO ledger_deadline_days
    (organisation, mechanism, rule, day, due, breached, met_late, met_on_time, ended,
     provisional, open, started)
SELECT organisation, mechanism, rule, day, sum(due), sum(breached), sum(met_late), sum(met_on_time),
       sum(ended), sum(provisional), sum(open), sum(started)
FROM (
    SELECT organisation, mechanism, rule,
           (due_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
           count(*) AS due,
           count(*) FILTER (WHERE breached_at IS NOT NULL) AS breached,
           count(*) FILTER (WHERE breached_at IS NOT NULL AND met_at IS NOT NULL) AS met_late,
           count(*) FILTER (WHERE breached_at IS NULL AND met_at IS NOT NULL
                            AND NOT provisional) AS met_on_time,
           count(*) FILTER (WHERE breached_at IS NULL AND met_at IS NULL
                            AND ended_at IS NOT NULL) AS ended,
           count(*) FILTER (WHERE breached_at IS NULL AND ended_at IS NULL
                            AND provisional) AS provisional,
           count(*) FILTER (WHERE breached_at IS NULL AND met_at IS NULL
                            AND ended_at IS NULL AND NOT provisional) AS open,
           0 AS started
    FROM ledger_deadlines GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT organisation, mechanism, rule,
           (started_at AT TIME ZONE 'Asia/Shanghai')::date, 0, 0, 0, 0, 0, 0, 0, count(*)
    FROM ledger_deadlines GROUP BY 1, 2, 3, 4
) AS counted
GROUP BY organisation, mechanism, rule, day
"""
FILL_DEADLINE_MONTHS = """
INSERT INTO ledger_deadline_months
    (organisation, mechanism, rule, month, due, breached, met_late, met_on_time, ended,
     provisional, open, started)
SELECT organisation, mechanism, rule, date_trunc('month', day)::date, sum(due), sum(breached),
       sum(met_late), sum(met_on_time), sum(ended), sum(provisional), sum(open), sum(started)
FROM ledger_deadline_days GROUP BY 1, 2, 3, 4
"""
FILL_FACT_DAYS = """
INSERT INTO ledger_fact_days (organisation, kind, source, rule, outcome, owned_matter, day, n)
SELECT organisation, kind, source, coalesce(rule, ''), coalesce(detail ->> 'outcome', ''),
       coalesce(detail ->> 'owned_matter', '') = 'true',
       (occurred_at AT TIME ZONE 'Asia/Shanghai')::date, count(*)
FROM ledger_facts WHERE kind NOT LIKE 'deadline.%' GROUP BY 1, 2, 3, 4, 5, 6, 7
"""


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


def upgrade() -> None:
    for table, when in (("ledger_deadline_days", "day"), ("ledger_deadline_months", "month")):
        op.create_table(
            table,
            sa.Column("organisation", sa.String(80), nullable=False),
            sa.Column("mechanism", sa.String(40), nullable=False),
            sa.Column("rule", sa.String(20), nullable=False),
            sa.Column(when, sa.Date, nullable=False),
            *(_count(name) for name in COUNTS),
            sa.PrimaryKeyConstraint("organisation", "mechanism", "rule", when, name=f"pk_{table}"),
        )
    op.create_table(
        "ledger_fact_days",
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("rule", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("owned_matter", sa.Boolean, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        _count("n"),
        sa.PrimaryKeyConstraint(
            "organisation",
            "kind",
            "source",
            "rule",
            "outcome",
            "owned_matter",
            "day",
            name="pk_ledger_fact_days",
        ),
    )
    op.execute(FILL_DEADLINE_DAYS)
    op.execute(FILL_DEADLINE_MONTHS)
    op.execute(FILL_FACT_DAYS)


def downgrade() -> None:
    op.drop_table("ledger_fact_days")
    op.drop_table("ledger_deadline_months")
    op.drop_table("ledger_deadline_days")
