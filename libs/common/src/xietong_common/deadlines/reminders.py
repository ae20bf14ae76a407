"""Due-soon reminders (催办, issue 24): `deadline.approaching`, once per lead time.

Each open deadline carries the lead times already handled (`reminded`: sent, or skipped
because the moment came before the clock started or another, nearer one was sent) and when
the next is due (`next_reminder_at`). The periodic sweep takes the deadlines whose moment has
come, works out every lead's moment on the calendar in force *now* and sends the one nearest
to the due date. A new deadline, a provisional one made final and every open deadline after
a holiday schedule changes (or the service starts) is planned again at the next sweep, so a
reminder always follows the current calendar and settings. Nothing is sent for a deadline
met, ended or past due (the breach is the sweep's business).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from xietong_common.calendar import CHINA_TZ, WorkingDayCalendar
from xietong_common.contracts.deadlines import DeadlineApproaching, DeadlineUnit
from xietong_common.deadlines import facts
from xietong_common.job_rows import quarantine
from xietong_common.leads import LeadTime, parse_leads
from xietong_common.metrics import DEADLINE_REMINDERS
from xietong_common.settings import ServiceSettings
from xietong_common.tables import deadlines
from xietong_common.uow import UnitOfWork

log = logging.getLogger(__name__)

_d = deadlines.c
REMIND = "deadline-reminders"


@dataclass(frozen=True)
class ReminderPolicy:
    """The lead times of the settings: short ones for deadlines of at most `short_hours`
    clock hours, the others for every other deadline."""

    leads: tuple[LeadTime, ...]
    short_leads: tuple[LeadTime, ...]
    short_hours: int

    @classmethod
    def of(cls, settings: ServiceSettings) -> ReminderPolicy:
        return cls(
            leads=parse_leads(settings.deadline_reminder_leads),
            short_leads=parse_leads(settings.deadline_reminder_leads_short),
            short_hours=settings.deadline_reminder_short_hours,
        )

    def leads_for(self, unit: str, amount: int) -> tuple[LeadTime, ...]:
        if unit == "hours" and amount <= self.short_hours:
            return self.short_leads
        return self.leads


@dataclass(frozen=True)
class Plan:
    """What to do about one deadline now: the reminder to send (if any) and when it began,
    every lead handled afterwards, and when to look again (None: no reminder is left)."""

    send: LeadTime | None
    remind_at: datetime | None
    handled: frozenset[str]
    next_at: datetime | None


def plan(
    *,
    leads: tuple[LeadTime, ...],
    calendar: WorkingDayCalendar,
    started_at: datetime,
    due_at: datetime,
    reminded: Collection[str],
    now: datetime,
) -> Plan:
    """Pure: which of `leads` is due now for a deadline due at `due_at` (started at
    `started_at`), given the leads already handled."""
    handled = set(reminded)
    if due_at <= now:
        return Plan(send=None, remind_at=None, handled=frozenset(handled), next_at=None)
    pending: dict[LeadTime, datetime] = {}
    for lead in leads:
        if lead.text in handled:
            continue
        moment = lead.moment(due_at, calendar)
        if moment <= started_at:
            handled.add(lead.text)  # it would come before the clock started: never
        else:
            pending[lead] = moment
    passed = {lead: moment for lead, moment in pending.items() if moment <= now}
    send = max(passed, key=lambda lead: passed[lead]) if passed else None
    handled |= {lead.text for lead in passed}
    later = [moment for moment in pending.values() if moment > now]
    return Plan(
        send=send,
        remind_at=passed[send] if send is not None else None,
        handled=frozenset(handled),
        next_at=min(later) if later else None,
    )


def due_day(due_at: datetime) -> date:
    """The China date a deadline ends on (24:00 ends the day before)."""
    local = due_at.astimezone(CHINA_TZ)
    return local.date() - timedelta(days=1) if local.time() == time(0) else local.date()


def working_days_left(calendar: WorkingDayCalendar, now: datetime, due_at: datetime) -> int:
    """Working days after today (China time) through the due day; negative once past it."""
    today, last = now.astimezone(CHINA_TZ).date(), due_day(due_at)
    if last >= today:
        return calendar.working_days_between(today, last).days
    return -calendar.working_days_between(last, today).days


async def replan(uow: UnitOfWork) -> None:
    """Every open deadline not yet due is planned again at the next pass (the calendar or the
    lead times may have changed)."""
    await uow.session.execute(
        sa.update(deadlines)
        .where(_d.satisfied_at.is_(None), _d.cancelled_at.is_(None), _d.due_at > uow.now)
        .values(next_reminder_at=uow.now)
    )


async def remind(
    uow: UnitOfWork,
    *,
    calendar: WorkingDayCalendar,
    policy: ReminderPolicy,
    mechanism: str,
    limit: int = 500,
) -> int:
    """Send the reminders whose moment has come; returns how many. Each deadline on its own
    (one that fails is logged, counted and skipped with a back-off)."""
    rows_of = quarantine(mechanism, REMIND)
    skip = rows_of.skipped()
    rows = (
        (
            await uow.session.execute(
                sa.select(deadlines)
                .where(
                    _d.next_reminder_at <= uow.now,
                    _d.satisfied_at.is_(None),
                    _d.cancelled_at.is_(None),
                    *([_d.id.not_in(skip)] if skip else []),
                )
                # After a replan every open deadline is due to be looked at: the most urgent
                # first, so a backlog of them delays no reminder about to come.
                .order_by(_d.next_reminder_at, _d.due_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .mappings()
        .all()
    )
    decided: list[tuple[sa.RowMapping, Plan]] = []
    for row in rows:
        try:
            decided.append((row, _plan_of(row, calendar, policy, uow.now)))
        except Exception:
            rows_of.skip(row["id"])
    if not decided:
        return 0
    try:
        # Every deadline's new reminder state in one statement (500 deadlines a pass were
        # 1,500 round trips, a SAVEPOINT, an UPDATE and a RELEASE each, ~0.9 ms of CPU a
        # deadline: issue 22).
        async with uow.savepoint():
            await uow.session.execute(
                _PLANNED,
                {
                    "ids": [row["id"] for row, _ in decided],
                    "reminded": [json.dumps(sorted(d.handled)) for _, d in decided],
                    "next_at": [d.next_at for _, d in decided],
                },
            )
    except Exception:
        log.warning(
            "%s: the reminders planned could not be written together; each on its own",
            REMIND,
            exc_info=True,
        )
        announced: list[int] = []
        for row, d in decided:
            one = functools.partial(_one, uow, row, d, calendar, mechanism, announced)
            await rows_of.run(uow, row["id"], one)
        return sum(announced)
    sent = 0
    for row, d in decided:
        sent += _announce(uow, row, d, calendar, mechanism)
        rows_of.succeeded(row["id"])
    return sent


_PLANNED = sa.text(
    """
    UPDATE deadlines AS d
    SET reminded = ARRAY(SELECT jsonb_array_elements_text(p.reminded)),
        next_reminder_at = p.next_at
    FROM unnest(
        CAST(:ids AS uuid[]), CAST(:reminded AS jsonb[]), CAST(:next_at AS timestamptz[])
    ) AS p(id, reminded, next_at)
    WHERE d.id = p.id
    """
)


def _plan_of(
    row: sa.RowMapping, calendar: WorkingDayCalendar, policy: ReminderPolicy, now: datetime
) -> Plan:
    return plan(
        leads=policy.leads_for(row["unit"], row["amount"]),
        calendar=calendar,
        started_at=row["started_at"],
        due_at=row["due_at"],
        reminded=row["reminded"],
        now=now,
    )


async def _one(
    uow: UnitOfWork,
    row: sa.RowMapping,
    decided: Plan,
    calendar: WorkingDayCalendar,
    mechanism: str,
    announced: list[int],
) -> None:
    """One deadline's reminder state written and its reminder sent, on its own (a savepoint
    of the quarantine's), where the pass's statement for all of them failed."""
    await uow.session.execute(
        sa.update(deadlines)
        .where(_d.id == row["id"])
        .values(reminded=sorted(decided.handled), next_reminder_at=decided.next_at)
    )
    announced.append(_announce(uow, row, decided, calendar, mechanism))


def _announce(
    uow: UnitOfWork,
    row: sa.RowMapping,
    decided: Plan,
    calendar: WorkingDayCalendar,
    mechanism: str,
) -> int:
    """`deadline.approaching` for the lead `decided` sends, if any; 1 if sent."""
    if decided.send is None or decided.remind_at is None:
        return 0
    lead = decided.send
    uow.publish(
        DeadlineApproaching(
            **facts.facts_of(row, mechanism),
            lead=lead.text,
            lead_unit=DeadlineUnit(lead.unit),
            lead_amount=lead.amount,
            remind_at=decided.remind_at,
            working_days_left=working_days_left(calendar, uow.now, row["due_at"]),
        ),
        key=str(row["id"]),
        subject=row["subject"],
    )
    uow.after_commit(DEADLINE_REMINDERS.labels(mechanism, lead.text).inc)
    return 1
