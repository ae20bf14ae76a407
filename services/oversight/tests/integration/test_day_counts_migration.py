"""SUP-02: migration 0006 fills the day and month counts from a ledger that was kept before
them, exactly as the use cases and `days.recount` count it, so the assessment of an existing
ledger is unchanged by the upgrade."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from oversight import domain
from oversight.main import SPEC
from oversight.models import LedgerDeadlineDay, LedgerDeadlineMonth, LedgerFactDay
from oversight.service import assessment, days

from xietong_common.auth import Principal
from xietong_common.clock import SystemClock
from xietong_common.db import Database
from xietong_common.migrations import alembic_config
from xietong_devtools.testing import Servers, create_database

BUREAU = Principal(
    org="justice-bureau", user="justice-bureau/officer", roles=frozenset({"handler"})
)

# 600 deadlines over 2024 of four organisations and three rules, every outcome (some made
# final, some provisional, breached ones with their breach facts), due at every hour so some
# fall on the next China day; and refusals with and without an owned matter.
SEED = """
INSERT INTO ledger_deadlines (id, mechanism, deadline_id, rule, action, organisation,
    counterparty, subject, unit, amount, started_at, due_at, provisional, met_at, met_late,
    breached_at, ended_at, end_kind, updated_at)
SELECT gen_random_uuid(), (ARRAY['referral','referral','assistance'])[i % 3 + 1], 'd' || i,
    (ARRAY['REF-07','REF-03','ASSIST-03'])[i % 3 + 1], 'answer',
    (ARRAY['town:lizhi','town:baitao','dept:water','dept:ecology-environment'])[i % 4 + 1],
    'town:lizhi', 'referral:' || i, 'working_days', 5,
    timestamptz '2024-01-01 00:00Z' + (i * interval '14 hours') - interval '9 days',
    timestamptz '2024-01-01 00:00Z' + (i * interval '14 hours'),
    i % 11 = 0,
    CASE WHEN i % 5 IN (0, 1) THEN timestamptz '2024-01-01 00:00Z' + (i * interval '14 hours') END,
    CASE WHEN i % 5 = 1 THEN true END,
    CASE WHEN i % 5 IN (1, 2) THEN timestamptz '2024-01-01 01:00Z' + (i * interval '14 hours') END,
    CASE WHEN i % 7 = 3 THEN timestamptz '2023-12-30 00:00Z' + (i * interval '14 hours') END,
    CASE WHEN i % 7 = 3 THEN 'cancelled' END,
    now()
FROM generate_series(1, 600) AS i;
INSERT INTO ledger_facts (id, source, fact_key, kind, event_id, rule, organisation,
    counterparty, subject, occurred_at, recorded_at, detail)
SELECT gen_random_uuid(), mechanism, deadline_id || ':breached', 'deadline.breached', 'e',
    rule, organisation, counterparty, subject, due_at, now(), '{}'::jsonb
FROM ledger_deadlines WHERE breached_at IS NOT NULL;
INSERT INTO ledger_facts (id, source, fact_key, kind, event_id, rule, organisation,
    counterparty, subject, occurred_at, recorded_at, detail)
SELECT gen_random_uuid(), 'assistance', 'r' || i || ':refused', 'assistance.refused', 'e',
    'ASSIST-03', 'dept:water', 'town:lizhi', 'assistance:' || i,
    timestamptz '2024-01-01 15:30Z' + (i * interval '3 days'),
    now(), jsonb_build_object('owned_matter', i % 2 = 0)
FROM generate_series(1, 100) AS i;
"""


async def _counts(session: Any) -> list[set[tuple[Any, ...]]]:
    return [
        {
            tuple(r)
            for r in (await session.execute(sa.select(model.__table__))).all()
            if any(r[4:] if model is not LedgerFactDay else r[7:])
        }
        for model in (LedgerDeadlineDay, LedgerDeadlineMonth, LedgerFactDay)
    ]


async def test_sup_02_migration_0006_counts_an_existing_ledger_as_the_service_does(
    servers: Servers,
) -> None:
    url = await create_database(servers, "oversight")
    config = alembic_config(SPEC.migrations_dir, url)
    await asyncio.to_thread(command.upgrade, config, "0005")
    db = Database(url, clock=SystemClock(), service_name="oversight-upgrade-test")
    try:
        async with db.engine.begin() as conn:
            for statement in SEED.split(";"):
                if statement.strip():
                    await conn.exec_driver_sql(statement)
        await asyncio.to_thread(command.upgrade, config, "head")
        async with db.session() as session, session.begin():
            filled = await _counts(session)
            await days.recount(session)
            assert await _counts(session) == filled
            await session.rollback()
        assert all(filled)
        now = datetime.now(UTC)
        async with db.session() as session:
            for label, first, last in (
                ("2024", None, None),
                (None, date(2024, 2, 10), date(2024, 9, 20)),
                ("2024-03", None, None),
            ):
                period = domain.choose_period(label, first, last, today=now.date())
                args: dict[str, Any] = {
                    "principal": BUREAU,
                    "period": period,
                    "filters": assessment.AssessmentFilters(),
                    "now": now,
                }
                from_days = await assessment.assess(session, **args)
                assert from_days
                assert from_days == await assessment.assess_from_ledger(session, **args)
    finally:
        await db.dispose()
