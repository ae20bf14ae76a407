"""Working days on the State Council calendar with 调休 (RULES.md "Working days")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from xietong_common.calendar import (
    CHINA_TZ,
    CalendarError,
    DeadlineRule,
    WorkingDayCalendar,
    install_schedule,
    load_schedule_file,
)

FIVE_DAYS = DeadlineRule.working_days(5, rule_id="REF-03")


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)  # type: ignore[misc]


@pytest.fixture
def cal(tmp_path: Path) -> WorkingDayCalendar:
    return WorkingDayCalendar.load(tmp_path / "empty")


def test_working_days_2024_02_04_adjusted_sunday_counts(cal: WorkingDayCalendar) -> None:
    assert date(2024, 2, 4).weekday() == 6
    assert cal.is_working_day(date(2024, 2, 4))
    # Fri 2024-02-02 + 1 working day = Sun 02-04 (调休上班), not Mon 02-05.
    assert cal.add_working_days(date(2024, 2, 2), 1).day == date(2024, 2, 4)


def test_working_days_spring_festival_2024_is_not_counted(cal: WorkingDayCalendar) -> None:
    for day in range(10, 18):
        assert not cal.is_working_day(date(2024, 2, day)), day
    assert cal.is_working_day(date(2024, 2, 18))  # Sunday 调休上班
    # 除夕 (02-09) is officially a working day in 2024 (employers were only encouraged to give it off).
    assert cal.is_working_day(date(2024, 2, 9))
    assert cal.add_working_days(date(2024, 2, 9), 1).day == date(2024, 2, 18)


def test_working_days_national_day_2024_is_not_counted(cal: WorkingDayCalendar) -> None:
    for day in range(1, 8):
        assert not cal.is_working_day(date(2024, 10, day)), day
    assert cal.is_working_day(date(2024, 9, 29))  # Sunday 调休上班
    assert cal.is_working_day(date(2024, 10, 12))  # Saturday 调休上班
    # Mon 09-30 + 5 working days: 10-08, 10-09, 10-10, 10-11, 10-12 (Saturday, adjusted)
    assert cal.add_working_days(date(2024, 9, 30), 5).day == date(2024, 10, 12)


def test_five_working_days_from_a_friday(cal: WorkingDayCalendar) -> None:
    due = cal.deadline_for(cst(2024, 3, 1, 10, 0), FIVE_DAYS)
    # Fri 03-01 → Mon 04, Tue 05, Wed 06, Thu 07, Fri 08; ends 24:00 CST = 16:00 UTC.
    assert due.due_at == datetime(2024, 3, 8, 16, 0, tzinfo=UTC)
    assert due.local_due == cst(2024, 3, 9, 0, 0)
    assert not due.provisional


def test_the_china_date_of_the_event_counts_not_the_utc_date(cal: WorkingDayCalendar) -> None:
    # 2024-03-01 23:30 CST is 15:30 UTC on the same day; 2024-03-04 00:30 CST is Sunday UTC.
    late_evening = cal.deadline_for(cst(2024, 3, 1, 23, 30), FIVE_DAYS)
    assert late_evening.due_at == datetime(2024, 3, 8, 16, 0, tzinfo=UTC)
    monday_early = cal.deadline_for(datetime(2024, 3, 3, 16, 30, tzinfo=UTC), FIVE_DAYS)
    assert monday_early.local_due == cst(2024, 3, 12, 0, 0)  # counts from Mon 03-04 CST


def test_deadline_across_spring_festival_2024(cal: WorkingDayCalendar) -> None:
    # Found Tue 2024-02-06: 07, 08, 09 count, 10..17 are the holiday, Sun 18 (调休) and 19 count.
    due = cal.deadline_for(cst(2024, 2, 6, 9, 0), FIVE_DAYS)
    assert due.due_at == datetime(2024, 2, 19, 16, 0, tzinfo=UTC)  # 19th, 24:00 CST


def test_deadline_across_national_day_2024(cal: WorkingDayCalendar) -> None:
    due = cal.deadline_for(cst(2024, 9, 27, 15, 0), FIVE_DAYS)
    # Fri 09-27 → Sun 09-29 (调休), Mon 09-30, then 10-08, 10-09, 10-10.
    assert due.due_at == datetime(2024, 10, 10, 16, 0, tzinfo=UTC)


def test_24_clock_hours_ignore_the_calendar(cal: WorkingDayCalendar) -> None:
    urgent = DeadlineRule.hours(24, rule_id="REF-03")
    due = cal.deadline_for(cst(2024, 2, 9, 20, 0), urgent)  # 除夕 evening
    assert due.due_at == datetime(2024, 2, 10, 12, 0, tzinfo=UTC)
    assert not due.provisional


def test_a_deadline_reaching_an_unknown_year_is_provisional_then_final(tmp_path: Path) -> None:
    overrides = tmp_path / "calendar"
    cal = WorkingDayCalendar.load(overrides)
    assert not cal.knows_year(2027)
    event = cst(2026, 12, 29, 10, 0)  # Tue
    first = cal.deadline_for(event, FIVE_DAYS)
    # 12-30, 12-31 (2026, known), then on weekends alone: Fri 01-01, Mon 01-04, Tue 01-05.
    assert first.provisional
    assert first.local_due == cst(2027, 1, 6, 0, 0)
    assert not first.is_breached(cst(2027, 2, 1, 0, 0))  # counted in no breach while provisional

    fixture = tmp_path / "fixture-2027.yaml"
    fixture.write_text(
        "# TEST FIXTURE, not the real 2027 schedule\n"
        "year: 2027\n"
        "holidays:\n  - {name: test-holiday, start: 2027-01-01, end: 2027-01-04}\n"
        "adjusted_workdays: [2027-01-09]\n",
        encoding="utf-8",
    )
    install_schedule(fixture, overrides)
    assert cal.reload_if_changed()
    final = cal.deadline_for(event, FIVE_DAYS)
    assert not final.provisional
    # 12-30, 12-31, then 01-05, 01-06, 01-07 (01-01..04 are the fixture's holiday).
    assert final.local_due == cst(2027, 1, 8, 0, 0)
    assert final.is_breached(cst(2027, 1, 8, 0, 1))


def test_schedule_files_are_validated(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2027\nholidays: [{name: x, start: 2028-01-01}]\n", encoding="utf-8")
    with pytest.raises(CalendarError, match="outside the year 2027"):
        load_schedule_file(bad)
    both = tmp_path / "both.yaml"
    both.write_text(
        "year: 2027\nholidays: [{name: x, start: 2027-01-02}]\nadjusted_workdays: [2027-01-02]\n",
        encoding="utf-8",
    )
    with pytest.raises(CalendarError, match="both holiday and workday"):
        load_schedule_file(both)


def test_rules_need_a_positive_length() -> None:
    with pytest.raises(ValueError, match="at least one"):
        DeadlineRule.working_days(0, rule_id="X")
