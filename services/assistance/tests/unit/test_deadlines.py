"""ASSIST-04 on the working-day calendar, with 调休 (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assistance import domain
from xietong_common.calendar import WorkingDayCalendar
from xietong_common.settings import ServiceSettings


@pytest.fixture(scope="module")
def calendar() -> WorkingDayCalendar:
    return WorkingDayCalendar.load(ServiceSettings().data_dir / "calendar")


def cst(y: int, m: int, d: int, h: int = 0) -> datetime:
    """A China Standard Time wall-clock moment, as UTC."""
    return datetime(y, m, d, h, tzinfo=UTC) - timedelta(hours=8)


def respond(working_days: int = 5, urgent: bool = False) -> domain.DeadlineRule:
    return domain.response_deadline(urgent=urgent, working_days=working_days, urgent_hours=24)


def test_assist_04_response_due_five_working_days_after_the_request(
    calendar: WorkingDayCalendar,
) -> None:
    due = calendar.deadline_for(cst(2024, 3, 1, 10), respond())  # Friday
    assert due.due_at == cst(2024, 3, 9)  # Fri 8 Mar 24:00 CST
    assert not due.provisional


def test_assist_04_response_across_spring_festival_2024_counts_both_adjusted_sundays(
    calendar: WorkingDayCalendar,
) -> None:
    # 春节 2024: 10–17 Feb off; Sun 4 Feb and Sun 18 Feb are working days (调休).
    # Asked Fri 2 Feb: Sun 4, Mon 5, Tue 6, Wed 7, Thu 8 Feb → 8 Feb 24:00 CST.
    assert calendar.deadline_for(cst(2024, 2, 2, 10), respond()).due_at == cst(2024, 2, 9)
    # Asked Thu 8 Feb: Fri 9 (除夕, a working day that year), then the holiday, then Sun 18,
    # Mon 19, Tue 20, Wed 21 Feb → 21 Feb 24:00 CST.
    assert calendar.deadline_for(cst(2024, 2, 8, 10), respond()).due_at == cst(2024, 2, 22)
    # Asked on the holiday (Mon 12 Feb): Sun 18 … Thu 22 Feb.
    assert calendar.deadline_for(cst(2024, 2, 12, 10), respond()).due_at == cst(2024, 2, 23)


def test_assist_04_urgent_requests_are_answered_in_clock_hours(
    calendar: WorkingDayCalendar,
) -> None:
    asked = cst(2024, 2, 9, 21)  # 除夕 evening: the holidays do not stop the clock
    assert calendar.deadline_for(asked, respond(urgent=True)).due_at == asked + timedelta(hours=24)


def test_assist_04_the_longest_completion_period_counts_working_days(
    calendar: WorkingDayCalendar,
) -> None:
    due = calendar.deadline_for(cst(2024, 9, 27, 10), domain.longest_period(5))
    assert due.due_at == cst(2024, 10, 11)  # Sun 29 Sep, 30 Sep, 8, 9, 10 Oct (国庆 1–7 Oct)
