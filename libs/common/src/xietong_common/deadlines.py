"""Tracked statutory deadlines: start, satisfy, sweep for breaches, recompute provisional ones.

Every mechanism owes actions by a deadline (REF-03, REF-07, REV-05, ASSIST-04 …). A late
action is allowed but recorded; so is a deadline that passes with nothing done. Both
publish `deadline.breached` (SUP-02). A provisional deadline (its year's holiday schedule
is not yet known) is counted in no breach until it is recomputed on a known calendar.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from xietong_common.calendar import Deadline, DeadlineRule, WorkingDayCalendar
from xietong_common.contracts.deadlines import BreachKind, DeadlineBreached
from xietong_common.job_rows import quarantine
from xietong_common.metrics import DEADLINE_BREACHES
from xietong_common.tables import deadlines
from xietong_common.timeline import DeadlineOut
from xietong_common.uow import UnitOfWork

# `unit` of a deadline agreed as a moment (`start_until`) rather than counted from a rule.
AGREED = "agreed"


@dataclass(frozen=True)
class TrackedDeadline:
    id: uuid.UUID
    subject: str
    action: str
    rule: str
    organisation: str
    due_at: datetime
    provisional: bool
    satisfied_at: datetime | None = None
    breached_at: datetime | None = None

    def out(self) -> DeadlineOut:
        """As a response shows it (China time, Chinese label)."""
        return DeadlineOut(
            rule=self.rule,
            action=self.action,
            organisation=self.organisation,
            due_at=self.due_at,
            provisional=self.provisional,
            satisfied_at=self.satisfied_at,
            breached_at=self.breached_at,
        )

    @property
    def overdue_at_satisfaction(self) -> bool:
        return (
            self.satisfied_at is not None
            and not self.provisional
            and self.satisfied_at > self.due_at
        )


def _rule_from_row(unit: str, amount: int, rule_id: str) -> DeadlineRule:
    if unit == "hours":
        return DeadlineRule.hours(amount, rule_id=rule_id)
    if unit == "calendar_days":
        return DeadlineRule.calendar_days(amount, rule_id=rule_id)
    return DeadlineRule.working_days(amount, rule_id=rule_id)


def _tracked(row: sa.RowMapping) -> TrackedDeadline:
    return TrackedDeadline(
        id=row["id"],
        subject=row["subject"],
        action=row["action"],
        rule=row["rule"],
        organisation=row["organisation"],
        due_at=row["due_at"],
        provisional=row["provisional"],
        satisfied_at=row["satisfied_at"],
        breached_at=row["breached_at"],
    )


async def start(
    uow: UnitOfWork,
    *,
    calendar: WorkingDayCalendar,
    subject: str,
    action: str,
    rule: DeadlineRule,
    organisation: str,
    started_at: datetime,
) -> TrackedDeadline:
    """Start tracking: `organisation` owes `action` on `subject` by the rule's deadline."""
    due: Deadline = calendar.deadline_for(started_at, rule)
    tracked = TrackedDeadline(
        id=uuid.uuid4(),
        subject=subject,
        action=action,
        rule=rule.rule_id,
        organisation=organisation,
        due_at=due.due_at,
        provisional=due.provisional,
    )
    await uow.session.execute(
        _INSERT,
        {
            "id": tracked.id,
            "subject": subject,
            "action": action,
            "rule": rule.rule_id,
            "organisation": organisation,
            "unit": rule.unit,
            "amount": rule.amount,
            "started_at": started_at,
            "due_at": due.due_at,
            "provisional": due.provisional,
        },
    )
    return tracked


# Prepared once: the values come as parameters.
_INSERT = sa.insert(deadlines)


async def start_until(
    uow: UnitOfWork,
    *,
    subject: str,
    action: str,
    rule_id: str,
    organisation: str,
    started_at: datetime,
    due_at: datetime,
) -> TrackedDeadline:
    """Start tracking an action owed by a moment the parties agreed (ASSIST-02: the completion
    date a department agrees with the town), not counted from a rule. It is final from the
    start: an agreed date needs no holiday schedule. `amount` records the calendar days given."""
    tracked = TrackedDeadline(
        id=uuid.uuid4(),
        subject=subject,
        action=action,
        rule=rule_id,
        organisation=organisation,
        due_at=due_at,
        provisional=False,
    )
    await uow.session.execute(
        _INSERT,
        {
            "id": tracked.id,
            "subject": subject,
            "action": action,
            "rule": rule_id,
            "organisation": organisation,
            "unit": AGREED,
            "amount": max((due_at - started_at).days, 0),
            "started_at": started_at,
            "due_at": due_at,
            "provisional": False,
        },
    )
    return tracked


async def find_open(uow: UnitOfWork, *, subject: str, action: str) -> TrackedDeadline | None:
    row = (
        (
            await uow.session.execute(
                sa.select(deadlines).where(
                    deadlines.c.subject == subject,
                    deadlines.c.action == action,
                    deadlines.c.satisfied_at.is_(None),
                    deadlines.c.cancelled_at.is_(None),
                )
            )
        )
        .mappings()
        .first()
    )
    return _tracked(row) if row else None


async def satisfy(
    uow: UnitOfWork, *, subject: str, action: str, at: datetime, mechanism: str
) -> TrackedDeadline | None:
    """The owed action happened at `at`. A late action is recorded as a breach."""
    open_deadline = await find_open(uow, subject=subject, action=action)
    if open_deadline is None:
        return None
    row = (
        (
            await uow.session.execute(
                sa.update(deadlines)
                .where(deadlines.c.id == open_deadline.id)
                .values(satisfied_at=at)
                .returning(deadlines)
            )
        )
        .mappings()
        .one()
    )
    closed = _tracked(row)
    if closed.overdue_at_satisfaction:
        await _record_breach(
            uow, closed, kind=BreachKind.LATE_ACTION, actual_at=at, mechanism=mechanism
        )
    return closed


async def cancel(uow: UnitOfWork, *, subject: str, action: str) -> None:
    """The action is no longer owed (e.g. the case moved on another way)."""
    await uow.session.execute(
        sa.update(deadlines)
        .where(
            deadlines.c.subject == subject,
            deadlines.c.action == action,
            deadlines.c.satisfied_at.is_(None),
            deadlines.c.cancelled_at.is_(None),
        )
        .values(cancelled_at=uow.now)
    )


async def close(uow: UnitOfWork, *, subject: str, action: str, mechanism: str) -> None:
    """The action is no longer owed because the case ended another way (withdrawn, refused).
    A deadline that had already passed unmet is recorded as missed first (no-action), so
    closing a case never erases a breach the sweep has not reached yet."""
    open_deadline = await find_open(uow, subject=subject, action=action)
    if open_deadline is None:
        return
    missed = (
        not open_deadline.provisional
        and open_deadline.breached_at is None
        and open_deadline.due_at < uow.now
    )
    if missed:
        await _record_breach(
            uow, open_deadline, kind=BreachKind.NO_ACTION, actual_at=None, mechanism=mechanism
        )
    await cancel(uow, subject=subject, action=action)


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
                    deadlines.c.satisfied_at.is_(None),
                    deadlines.c.cancelled_at.is_(None),
                    deadlines.c.breached_at.is_(None),
                    deadlines.c.provisional.is_(False),
                    deadlines.c.due_at < now,
                    *([deadlines.c.id.not_in(skip)] if skip else []),
                )
                .order_by(deadlines.c.due_at)
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
            await _record_breach(
                uow, _tracked(row), kind=BreachKind.NO_ACTION, actual_at=None, mechanism=mechanism
            )

        flagged += await rows_of.run(uow, row["id"], flag)
    return flagged


async def recompute_provisional(
    uow: UnitOfWork, *, calendar: WorkingDayCalendar, mechanism: str
) -> int:
    """Once a year's schedule is loaded, provisional deadlines get their final date. Each row
    on its own: one that cannot be recomputed is logged, counted and skipped."""
    rows_of = quarantine(mechanism, "deadline-recompute")
    skip = rows_of.skipped()
    rows = (
        (
            await uow.session.execute(
                sa.select(deadlines)
                .where(
                    deadlines.c.provisional.is_(True),
                    *([deadlines.c.id.not_in(skip)] if skip else []),
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
            row["started_at"], _rule_from_row(row["unit"], row["amount"], row["rule"])
        )
        if due.provisional:
            return
        updated = (
            (
                await uow.session.execute(
                    sa.update(deadlines)
                    .where(deadlines.c.id == row["id"])
                    .values(due_at=due.due_at, provisional=False)
                    .returning(deadlines)
                )
            )
            .mappings()
            .one()
        )
        final = _tracked(updated)
        changed += 1
        if final.overdue_at_satisfaction:
            await _record_breach(
                uow,
                final,
                kind=BreachKind.LATE_ACTION,
                actual_at=final.satisfied_at,
                mechanism=mechanism,
            )

    for row in rows:
        await rows_of.run(uow, row["id"], functools.partial(recompute, row))
    return changed


async def for_subject(uow: UnitOfWork, subject: str) -> list[TrackedDeadline]:
    rows = (
        (
            await uow.session.execute(
                sa.select(deadlines)
                .where(deadlines.c.subject == subject)
                .order_by(deadlines.c.started_at)
            )
        )
        .mappings()
        .all()
    )
    return [_tracked(r) for r in rows]


async def _record_breach(
    uow: UnitOfWork,
    deadline: TrackedDeadline,
    *,
    kind: BreachKind,
    actual_at: datetime | None,
    mechanism: str,
) -> None:
    await uow.session.execute(
        sa.update(deadlines)
        .where(deadlines.c.id == deadline.id)
        .values(breached_at=uow.now, breach_kind=kind.value)
    )
    uow.publish(
        DeadlineBreached(
            deadline_id=str(deadline.id),
            organisation=deadline.organisation,
            rule=deadline.rule,
            subject=deadline.subject,
            action=deadline.action,
            due_at=deadline.due_at,
            actual_at=actual_at,
            kind=kind,
            mechanism=mechanism,
        ),
        key=deadline.subject,
    )
    uow.audit(
        action=f"deadline.breached.{kind.value}",
        subject=deadline.subject,
        rule=deadline.rule,
        detail={
            "organisation": deadline.organisation,
            "action": deadline.action,
            "due_at": deadline.due_at.isoformat(),
            "actual_at": actual_at.isoformat() if actual_at else None,
        },
    )
    DEADLINE_BREACHES.labels(mechanism, deadline.rule).inc()
