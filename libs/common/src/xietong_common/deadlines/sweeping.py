"""The deadline sweep's steps (SUP-02), for every mechanism alike: flag final deadlines passed
with nothing done, make provisional ones final once their year's schedule is installed,
publish the facts of deadlines tracked before facts were published. Each row on its own: a
row that fails is logged, counted and skipped (`job_rows`), the others go on; rows are
claimed with SKIP LOCKED, so several replicas never take the same one.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from xietong_common.calendar import (
    CHINA_TZ,
    LATE_DECEMBER,
    WorkingDayCalendar,
    end_of_china_day,
)
from xietong_common.contracts.deadlines import BreachKind, LifecycleKind
from xietong_common.deadlines import facts
from xietong_common.deadlines.tracking import rule_from_row
from xietong_common.job_rows import quarantine
from xietong_common.tables import deadlines
from xietong_common.uow import UnitOfWork

_d = deadlines.c

SWEEP = "deadline-sweep"


async def sweep(uow: UnitOfWork, *, now: datetime, mechanism: str, limit: int = 500) -> int:
    """Flag open, final deadlines that passed with nothing done. Safe with several replicas:
    rows are claimed with SKIP LOCKED and flagged once. Each row is flagged on its own: one
    that cannot be is logged, counted and skipped (with a back-off), and the rest go on."""
    rows_of = quarantine(mechanism, SWEEP)
    skip = rows_of.skipped()
    rows = (
        (
            await uow.session.execute(
                sa.select(deadlines)
                .where(
                    _d.satisfied_at.is_(None),
                    _d.cancelled_at.is_(None),
                    _d.breached_at.is_(None),
                    _d.provisional.is_(False),
                    _d.due_at < now,
                    *([_d.id.not_in(skip)] if skip else []),
                )
                .order_by(_d.due_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .mappings()
        .all()
    )
    flagged = 0
    for row in rows:

        async def flag(row: sa.RowMapping = row) -> None:
            await facts.record_breach(
                uow, row["id"], kind=BreachKind.NO_ACTION, actual_at=None, mechanism=mechanism
            )

        flagged += await rows_of.run(uow, row["id"], flag)
    return flagged


# How much earlier than its provisional date a deadline's final date can be (a holiday
# schedule's adjusted working weekends make it earlier, by a few days at most).
_EARLIER_BY_AT_MOST = timedelta(days=31)


def _last_final_day(calendar: WorkingDayCalendar, today: date) -> date:
    """The last day whose status is final, counting on from `today`'s year."""
    year = today.year
    while calendar.knows_year(year):
        year += 1
    return date(year - 1, 12, LATE_DECEMBER - 1)


async def recompute_provisional(
    uow: UnitOfWork, *, calendar: WorkingDayCalendar, mechanism: str
) -> int:
    """Once a year's schedule is loaded, provisional deadlines get their final date: the
    `made-final` fact, and the breach of one met after its final date, or ended unmet after
    it. Only deadlines that can be final now are looked at. Each row on its own: one that
    cannot be recomputed is logged, counted and skipped."""
    rows_of = quarantine(mechanism, "deadline-recompute")
    skip = rows_of.skipped()
    today = uow.now.astimezone(CHINA_TZ).date()
    horizon = end_of_china_day(_last_final_day(calendar, today)) + _EARLIER_BY_AT_MOST
    rows = (
        (
            await uow.session.execute(
                sa.select(deadlines)
                .where(
                    _d.provisional.is_(True),
                    _d.due_at < horizon,
                    *([_d.id.not_in(skip)] if skip else []),
                )
                .with_for_update(skip_locked=True)
            )
        )
        .mappings()
        .all()
    )
    changed = 0

    async def recompute(row: sa.RowMapping) -> None:
        nonlocal changed
        due = calendar.deadline_for(
            row["started_at"], rule_from_row(row["unit"], row["amount"], row["rule"])
        )
        if due.provisional:
            return
        is_open = row["satisfied_at"] is None and row["cancelled_at"] is None
        final = (
            (
                await uow.session.execute(
                    sa.update(deadlines)
                    .where(_d.id == row["id"])
                    .values(
                        due_at=due.due_at,
                        provisional=False,
                        next_reminder_at=uow.now if is_open else None,
                    )
                    .returning(deadlines)
                )
            )
            .mappings()
            .one()
        )
        changed += 1
        facts.tell(
            uow,
            final,
            LifecycleKind.MADE_FINAL,
            mechanism=mechanism,
            actor=(None, None),
            previous_due_at=row["due_at"],
            satisfied_at=final["satisfied_at"],
            late=facts.late(final),
        )
        met, ended = final["satisfied_at"], final["cancelled_at"]
        if met is not None and met > final["due_at"]:
            await facts.record_breach(
                uow, final["id"], kind=BreachKind.LATE_ACTION, actual_at=met, mechanism=mechanism
            )
        elif met is None and ended is not None and ended > final["due_at"]:
            await facts.record_breach(
                uow, final["id"], kind=BreachKind.NO_ACTION, actual_at=None, mechanism=mechanism
            )
        uow.audit(
            action="deadline.made-final",
            subject=final["subject"],
            rule=final["rule"],
            detail={
                "deadline_id": str(final["id"]),
                "action": final["action"],
                "previous_due_at": row["due_at"].isoformat(),
                "due_at": final["due_at"].isoformat(),
            },
        )

    for row in rows:
        await rows_of.run(uow, row["id"], functools.partial(recompute, row))
    return changed


async def announce_earlier(uow: UnitOfWork, *, mechanism: str, limit: int = 500) -> int:
    """Publish, once, the facts of deadlines tracked before their facts were published
    (backbone step 7), as their rows tell them (`replayed`), so a ledger counts them too."""
    rows_of = quarantine(mechanism, "deadline-announce")
    skip = rows_of.skipped()
    rows = (
        (
            await uow.session.execute(
                sa.select(deadlines)
                .where(_d.announced.is_(False), *([_d.id.not_in(skip)] if skip else []))
                .order_by(_d.started_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .mappings()
        .all()
    )
    announced = 0
    for row in rows:

        async def announce(row: sa.RowMapping = row) -> None:
            await uow.session.execute(
                sa.update(deadlines).where(_d.id == row["id"]).values(announced=True)
            )
            facts.replay(uow, row, mechanism=mechanism)

        announced += await rows_of.run(uow, row["id"], announce)
    return announced


async def count_provisional(uow: UnitOfWork) -> int:
    """Open deadlines whose date is provisional (their holiday year is not installed)."""
    return int(
        (
            await uow.session.execute(
                sa.select(sa.func.count()).where(
                    _d.provisional.is_(True), _d.satisfied_at.is_(None), _d.cancelled_at.is_(None)
                )
            )
        ).scalar_one()
    )
