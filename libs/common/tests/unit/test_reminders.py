"""Issue 24: due-soon reminders (催办) come at their lead times on the holiday calendar with 调休
— around the Spring Festival and adjusted working weekends, with the calendar tests' own dates
(test_calendar.py) — once per lead time, the nearest when several have passed, never before
the clock started nor after the due time. Pure: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from xietong_common.calendar import CHINA_TZ, DeadlineRule, WorkingDayCalendar, install_schedule
from xietong_common.deadlines.reminders import ReminderPolicy, plan, working_days_left
from xietong_common.leads import LeadTime, parse_leads
from xietong_common.settings import ServiceSettings

FIXTURE_2027 = Path(__file__).parent / "fixtures" / "FIXTURE-calendar-2027.yaml"
FIVE_DAYS = DeadlineRule.working_days(5, rule_id="REF-03")
TWO_DAYS, FOUR_HOURS, ONE_HOUR = (
    LeadTime(2, "working_days"),
    LeadTime(4, "hours"),
    LeadTime(1, "hours"),
)


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)  # type: ignore[misc]


@pytest.fixture
def cal(tmp_path: Path) -> WorkingDayCalendar:
    return WorkingDayCalendar.load(tmp_path / "calendar")


def test_issue_24_lead_times_are_parsed_named_and_refused_when_unclear() -> None:
    assert LeadTime.parse("2 working days") == TWO_DAYS
    assert LeadTime.parse(" 1 Working Day ").text == "1 working day"
    assert LeadTime.parse("4 hours").text == "4 hours"
    assert LeadTime.parse("1 hour").label_zh == "1小时"
    assert TWO_DAYS.label_zh == "2个工作日"
    for bad in ("2 days", "4h", "-1 hours", "0 hours", "two working days", ""):
        with pytest.raises(ValueError):
            LeadTime.parse(bad)
    assert parse_leads(["4 hours", "2 working days", "2 working day"]) == (TWO_DAYS, FOUR_HOURS)
    assert parse_leads("1 hour, 4 hours") == (FOUR_HOURS, ONE_HOUR)
    settings = ServiceSettings()
    assert settings.deadline_reminder_leads == ("2 working days", "4 hours")
    assert settings.deadline_reminder_leads_short == ("4 hours", "1 hour")
    policy = ReminderPolicy.of(settings)
    assert policy.leads_for("working_days", 5) == (TWO_DAYS, FOUR_HOURS)
    assert policy.leads_for("hours", 24) == (FOUR_HOURS, ONE_HOUR)  # a 24-hour deadline
    assert policy.leads_for("hours", 48) == (TWO_DAYS, FOUR_HOURS)
    assert policy.leads_for("agreed", 14) == (TWO_DAYS, FOUR_HOURS)


def test_issue_24_two_working_days_before_a_deadline_after_the_spring_festival_is_before_it(
    cal: WorkingDayCalendar,
) -> None:
    """Found Tue 2024-02-06: REF-03 is due Mon 2024-02-19 24:00 (test_calendar.py). The two
    working days left are Sun 02-18 (调休上班) and Mon 02-19: the reminder comes at 24:00 on
    除夕 (Fri 02-09, a working day in 2024), before the eight days off, not on 02-17."""
    due = cal.deadline_for(cst(2024, 2, 6, 9), FIVE_DAYS).due_at
    assert due == cst(2024, 2, 20, 0)
    assert TWO_DAYS.moment(due, cal) == cst(2024, 2, 10, 0)  # 02-09 24:00
    assert FOUR_HOURS.moment(due, cal) == cst(2024, 2, 19, 20)
    assert working_days_left(cal, cst(2024, 2, 10, 0, 1), due) == 2


def test_issue_24_an_adjusted_working_sunday_counts_and_a_plain_saturday_does_not(
    cal: WorkingDayCalendar,
) -> None:
    # Due Mon 2024-02-05 24:00: Sun 02-04 (调休上班) and Fri 02-02 are the two before it;
    # Sat 02-03 is no working day.
    assert TWO_DAYS.moment(cst(2024, 2, 6, 0), cal) == cst(2024, 2, 3, 0)
    # National Day 2024: due Tue 10-08 24:00 (10-01..07 off): Mon 09-30 and Sun 09-29 (调休).
    assert TWO_DAYS.moment(cst(2024, 10, 9, 0), cal) == cst(2024, 9, 30, 0)
    # Due Sat 10-12 24:00, itself an adjusted working Saturday: Fri 10-11 and Thu 10-10.
    due = cal.deadline_for(cst(2024, 9, 30, 15), FIVE_DAYS).due_at
    assert due == cst(2024, 10, 13, 0)
    assert TWO_DAYS.moment(due, cal) == cst(2024, 10, 11, 0)
    # A due time that is not midnight keeps its time of day.
    assert TWO_DAYS.moment(cst(2024, 10, 12, 15), cal) == cst(2024, 10, 10, 15)


def test_issue_24_a_24_hour_deadline_is_reminded_4_hours_and_1_hour_before_holidays_or_not(
    cal: WorkingDayCalendar,
) -> None:
    urgent = DeadlineRule.hours(24, rule_id="REF-03")
    started = cst(2024, 2, 9, 20)  # 除夕 evening; the holiday follows
    due = cal.deadline_for(started, urgent).due_at
    assert due == cst(2024, 2, 10, 20)
    leads = ReminderPolicy.of(ServiceSettings()).leads_for("hours", 24)
    at_four = plan(
        leads=leads,
        calendar=cal,
        started_at=started,
        due_at=due,
        reminded=(),
        now=cst(2024, 2, 10, 16, 1),
    )
    assert (at_four.send, at_four.remind_at) == (FOUR_HOURS, cst(2024, 2, 10, 16))
    assert at_four.next_at == cst(2024, 2, 10, 19)
    at_one = plan(
        leads=leads,
        calendar=cal,
        started_at=started,
        due_at=due,
        reminded=at_four.handled,
        now=cst(2024, 2, 10, 19, 5),
    )
    assert (at_one.send, at_one.next_at) == (ONE_HOUR, None)
    assert at_one.handled == {"4 hours", "1 hour"}


def test_issue_24_once_per_lead_time_the_nearest_when_several_passed_none_before_the_start(
    cal: WorkingDayCalendar,
) -> None:
    due = cst(2024, 2, 20, 0)  # Mon 02-19 24:00
    leads = (TWO_DAYS, FOUR_HOURS)

    def at(now: datetime, reminded: frozenset[str] = frozenset(), started: datetime | None = None):  # type: ignore[no-untyped-def]
        return plan(
            leads=leads,
            calendar=cal,
            started_at=started or cst(2024, 2, 6, 9),
            due_at=due,
            reminded=reminded,
            now=now,
        )

    early = at(cst(2024, 2, 7, 9))
    assert (early.send, early.next_at) == (None, cst(2024, 2, 10, 0))
    first = at(cst(2024, 2, 12, 9))  # during the holiday: the 2-day reminder is due
    assert first.send == TWO_DAYS
    assert first.next_at == cst(2024, 2, 19, 20)
    again = at(cst(2024, 2, 12, 9, 1), first.handled)
    assert again.send is None  # once
    # The service was away from 02-09 to 02-19 21:00: only the nearest is sent, both handled.
    both = at(cst(2024, 2, 19, 21))
    assert (both.send, both.handled) == (FOUR_HOURS, {"2 working days", "4 hours"})
    # A deadline whose clock started on 02-19 at 17:00 never gets the 2-day one.
    late_start = at(cst(2024, 2, 19, 18), started=cst(2024, 2, 19, 17))
    assert late_start.send is None
    assert late_start.handled == {"2 working days"}
    assert late_start.next_at == cst(2024, 2, 19, 20)
    # Past due: nothing, and nothing left to plan (the sweep records the breach).
    past = at(cst(2024, 2, 20, 0, 1))
    assert (past.send, past.next_at) == (None, None)


def test_issue_24_reminders_follow_the_holiday_schedule_installed_after_they_were_planned(
    cal: WorkingDayCalendar, tmp_path: Path
) -> None:
    """A deadline reaching into 2027 (unknown: weekends only) is reminded on its provisional
    date until the schedule is installed; then both the due date and the reminder move. The
    2027 schedule is the calendar tests' made-up FIXTURE, not the real one."""
    started = cst(2026, 12, 29, 10)
    provisional = cal.deadline_for(started, FIVE_DAYS)
    assert provisional.provisional
    assert provisional.due_at == cst(2027, 1, 6, 0)  # Tue 01-05 24:00 on weekends alone
    assert TWO_DAYS.moment(provisional.due_at, cal) == cst(2027, 1, 2, 0)  # Mon 04, Fri 01
    install_schedule(FIXTURE_2027, tmp_path / "calendar")
    assert cal.reload_if_changed()
    final = cal.deadline_for(started, FIVE_DAYS)
    assert final.due_at == cst(2027, 1, 8, 0)  # 12-30, 12-31, 01-05, 01-06, 01-07
    assert TWO_DAYS.moment(final.due_at, cal) == cst(2027, 1, 6, 0)  # Wed 06, Tue 05
    assert cal.working_days_before(date(2027, 1, 11), 1) == date(2027, 1, 9)  # 调休 Saturday
    assert provisional.due_at.tzinfo is UTC
