"""Tracked statutory deadlines: start, satisfy, end — and tell the others each of these
(SUP-01/02); the sweep's steps are in `sweeping`.

Every mechanism owes actions by a deadline (REF-03, REF-07, REV-05, ASSIST-04 …). A late
action is allowed but recorded; so is a deadline that passes with nothing done. Each deadline
publishes its lifecycle (`deadline.lifecycle`: started, met, breached, cancelled, closed,
made final) and, once ever, `deadline.breached`. A provisional deadline (its year's holiday
schedule is not yet known) is counted in no breach until it is recomputed on a known
calendar. Ending a deadline (`cancel`, `close`) never erases a miss: one already passed is
recorded first.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from xietong_common.calendar import Deadline, DeadlineRule, WorkingDayCalendar
from xietong_common.contracts.deadlines import BreachKind, LifecycleKind
from xietong_common.deadlines import facts
from xietong_common.tables import deadlines
from xietong_common.timeline import DeadlineOut
from xietong_common.uow import LaterRows, UnitOfWork

# `unit` of a deadline agreed as a moment (`start_until`) rather than counted from a rule.
AGREED = "agreed"
_d = deadlines.c


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
    counterparty: str | None = None
    reference: str | None = None
    assignee: str | None = None
    started_at: datetime | None = None

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


def rule_from_row(unit: str, amount: int, rule_id: str) -> DeadlineRule:
    if unit == "hours":
        return DeadlineRule.hours(amount, rule_id=rule_id)
    if unit == "calendar_days":
        return DeadlineRule.calendar_days(amount, rule_id=rule_id)
    return DeadlineRule.working_days(amount, rule_id=rule_id)


def _tracked(row: Mapping[Any, Any]) -> TrackedDeadline:
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
        counterparty=row["counterparty"],
        reference=row["reference"],
        assignee=row["assignee"],
        started_at=row["started_at"],
    )


# A new deadline's row is written later (issue 22): before the unit of work's next statement,
# or at commit with the outbox and audit rows — its own round trip was a tenth of a create.
_STARTED = LaterRows(
    name="started_deadlines",
    table="deadlines",
    columns=(
        ("id", "uuid"),
        ("subject", "text"),
        ("action", "text"),
        ("rule", "text"),
        ("organisation", "text"),
        ("unit", "text"),
        ("amount", "integer"),
        ("started_at", "timestamptz"),
        ("due_at", "timestamptz"),
        ("provisional", "boolean"),
        ("counterparty", "text"),
        ("reference", "text"),
        ("assignee", "text"),
        ("next_reminder_at", "timestamptz"),
        ("announced", "boolean"),
    ),
)
_AS_WRITTEN: dict[str, Any] = {column.key: None for column in deadlines.c} | {"reminded": []}
"""A new deadline's columns that its INSERT leaves to the table: NULL, and no reminder yet."""


async def _insert(uow: UnitOfWork, values: dict[str, Any], *, mechanism: str) -> TrackedDeadline:
    params = {
        "id": uuid.uuid4(),
        "announced": True,
        # The reminders are planned at the next sweep, with the lead times and the calendar
        # in force then.
        "next_reminder_at": uow.now,
        **values,
    }
    uow.write_later(_STARTED, params)
    # As PostgreSQL would give the moments back (in UTC): the facts read as they did when the
    # row was read back from its INSERT.
    row = _AS_WRITTEN | params
    for key in ("started_at", "due_at", "next_reminder_at"):
        row[key] = row[key].astimezone(UTC)
    facts.tell(uow, row, LifecycleKind.STARTED, mechanism=mechanism)
    return _tracked(row)


async def start(
    uow: UnitOfWork,
    *,
    calendar: WorkingDayCalendar,
    subject: str,
    action: str,
    rule: DeadlineRule,
    organisation: str,
    counterparty: str | None,
    started_at: datetime,
    mechanism: str,
    reference: str | None = None,
    assignee: str | None = None,
) -> TrackedDeadline:
    """Start tracking: `organisation` owes `action` on `subject` (the record, whose human
    `reference` is given where one exists) to `counterparty` (the other party of the record,
    None where there is none) by the rule's deadline; `assignee`: the person the record names
    as owing it. Publishes the `started` fact."""
    due: Deadline = calendar.deadline_for(started_at, rule)
    return await _insert(
        uow,
        {
            "subject": subject,
            "action": action,
            "rule": rule.rule_id,
            "organisation": organisation,
            "counterparty": counterparty,
            "reference": reference,
            "assignee": assignee,
            "unit": rule.unit,
            "amount": rule.amount,
            "started_at": started_at,
            "due_at": due.due_at,
            "provisional": due.provisional,
        },
        mechanism=mechanism,
    )


async def start_until(
    uow: UnitOfWork,
    *,
    subject: str,
    action: str,
    rule_id: str,
    organisation: str,
    counterparty: str | None,
    started_at: datetime,
    due_at: datetime,
    mechanism: str,
    reference: str | None = None,
    assignee: str | None = None,
) -> TrackedDeadline:
    """Start tracking an action owed by a moment the parties agreed (ASSIST-02: the completion
    date a department agrees with the town), not counted from a rule. It is final from the
    start: an agreed date needs no holiday schedule. `amount` records the calendar days given."""
    return await _insert(
        uow,
        {
            "subject": subject,
            "action": action,
            "rule": rule_id,
            "organisation": organisation,
            "counterparty": counterparty,
            "reference": reference,
            "assignee": assignee,
            "unit": AGREED,
            "amount": max((due_at - started_at).days, 0),
            "started_at": started_at,
            "due_at": due_at,
            "provisional": False,
        },
        mechanism=mechanism,
    )


def _open(
    subject: str | sa.BindParameter[Any], action: str | sa.BindParameter[Any]
) -> list[sa.ColumnElement[bool]]:
    return [
        _d.subject == subject,
        _d.action == action,
        _d.satisfied_at.is_(None),
        _d.cancelled_at.is_(None),
    ]


# The open deadline of a subject's action, its subject and action parameters: built once
# (a step that meets a deadline runs it on every request; issue 22).
_OPEN = _open(sa.bindparam("open_subject"), sa.bindparam("open_action"))
_FIND_OPEN = sa.select(deadlines).where(*_OPEN)
_SATISFY = (
    sa.update(deadlines)
    .where(*_OPEN)
    .values(satisfied_at=sa.bindparam("met_at"), satisfied_by=sa.bindparam("met_by"))
    .returning(deadlines)
)


async def find_open(uow: UnitOfWork, *, subject: str, action: str) -> TrackedDeadline | None:
    params = {"open_subject": subject, "open_action": action}
    row = (await uow.session.execute(_FIND_OPEN, params)).mappings().first()
    return _tracked(row) if row else None


async def satisfy(
    uow: UnitOfWork, *, subject: str, action: str, at: datetime, mechanism: str
) -> TrackedDeadline | None:
    """The owed action happened at `at`: the `met` fact. A late action that no one had found
    missed yet is the deadline's breach (late-action); one after the breach was recorded is
    only `met`, late: one missed deadline is one breach."""
    who, _ = facts.person(uow)
    params = {"open_subject": subject, "open_action": action, "met_at": at, "met_by": who}
    row = (await uow.session.execute(_SATISFY, params)).mappings().one_or_none()
    if row is None:
        return None
    if not row["provisional"] and at > row["due_at"]:
        row = (
            await facts.record_breach(
                uow, row["id"], kind=BreachKind.LATE_ACTION, actual_at=at, mechanism=mechanism
            )
            or row
        )
    facts.tell(
        uow, row, LifecycleKind.MET, mechanism=mechanism, satisfied_at=at, late=facts.late(row)
    )
    return _tracked(row)


async def _end(
    uow: UnitOfWork,
    *,
    subject: str,
    action: str,
    kind: LifecycleKind,
    reason: str,
    mechanism: str,
) -> TrackedDeadline | None:
    row = (
        (
            await uow.session.execute(
                sa.select(deadlines).where(*_open(subject, action)).with_for_update()
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        return None
    if not row["provisional"] and row["breached_at"] is None and row["due_at"] < uow.now:
        # It passed unmet before the sweep saw it: it was missed, whatever ends it now.
        await facts.record_breach(
            uow, row["id"], kind=BreachKind.NO_ACTION, actual_at=None, mechanism=mechanism
        )
    who, _ = facts.person(uow)
    ended = (
        (
            await uow.session.execute(
                sa.update(deadlines)
                .where(_d.id == row["id"])
                .values(
                    cancelled_at=uow.now,
                    cancelled_by=who,
                    end_kind=kind.value,
                    end_reason=reason,
                    next_reminder_at=None,
                )
                .returning(deadlines)
            )
        )
        .mappings()
        .one()
    )
    facts.tell(uow, ended, kind, mechanism=mechanism, reason=reason)
    uow.audit(
        action=f"deadline.{kind.value}",
        subject=subject,
        rule=ended["rule"],
        detail={
            "deadline_id": str(ended["id"]),
            "action": action,
            "organisation": ended["organisation"],
            "due_at": ended["due_at"].isoformat(),
            "reason": reason,
        },
    )
    return _tracked(ended)


async def cancel(
    uow: UnitOfWork, *, subject: str, action: str, reason: str, mechanism: str
) -> TrackedDeadline | None:
    """The action is no longer owed under this deadline because it is replaced or restarted
    (an agreed extension, a corrected finding date): the `cancelled` fact, with `reason` (a
    stable code, e.g. `completion-date-extended`). A deadline that had already passed unmet
    is recorded as missed first."""
    return await _end(
        uow,
        subject=subject,
        action=action,
        kind=LifecycleKind.CANCELLED,
        reason=reason,
        mechanism=mechanism,
    )


async def close(
    uow: UnitOfWork, *, subject: str, action: str, reason: str, mechanism: str
) -> TrackedDeadline | None:
    """The action is no longer owed because the case ended another way (withdrawn, refused,
    the order ended): the `closed` fact, with `reason` (e.g. `request-withdrawn`). A deadline
    that had already passed unmet is recorded as missed first (no-action), so ending a case
    never erases a breach the sweep has not reached yet."""
    return await _end(
        uow,
        subject=subject,
        action=action,
        kind=LifecycleKind.CLOSED,
        reason=reason,
        mechanism=mechanism,
    )


async def for_subject(uow: UnitOfWork, subject: str) -> list[TrackedDeadline]:
    rows = (
        (
            await uow.session.execute(
                sa.select(deadlines).where(_d.subject == subject).order_by(_d.started_at)
            )
        )
        .mappings()
        .all()
    )
    return [_tracked(r) for r in rows]
