"""Working days on the State Council calendar with 调休 (RULES.md "Working days").

chinesecalendar 1.11 knows 2004-2026; 2027 is unknown until a schedule is installed. The
2027 schedule used here is a made-up TEST FIXTURE (fixtures/FIXTURE-calendar-2027.yaml).
"""

from __future__ import annotations

import argparse
import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from xietong_common.calendar import (
    CHINA_TZ,
    CalendarError,
    Deadline,
    DeadlineRule,
    Holiday,
    WorkingDayCalendar,
    YearSchedule,
    end_of_china_day,
    install_schedule,
    library_years,
    load_schedule_file,
)
from xietong_common.cli.calendar import add_calendar_commands

FIXTURE_2027 = Path(__file__).parent / "fixtures" / "FIXTURE-calendar-2027.yaml"
FIVE_DAYS = DeadlineRule.working_days(5, rule_id="REF-03")


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def overrides(tmp_path: Path) -> Path:
    return tmp_path / "calendar"


@pytest.fixture
def cal(overrides: Path) -> WorkingDayCalendar:
    return WorkingDayCalendar.load(overrides)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---- the official calendar ------------------------------------------------------------------


def test_working_days_library_knows_2004_to_2026_not_2027(cal: WorkingDayCalendar) -> None:
    assert library_years()[0] == 2004
    assert library_years()[-1] == 2026
    assert cal.knows_year(2026)
    assert not cal.knows_year(2027)
    assert not cal.knows_year(2003)
    assert cal.source_of(2024) == "chinesecalendar 1.11.0"
    assert cal.source_of(2027) is None


def test_working_days_2024_02_04_adjusted_sunday_counts(cal: WorkingDayCalendar) -> None:
    assert date(2024, 2, 4).weekday() == 6
    assert cal.is_working_day(date(2024, 2, 4))
    # Fri 2024-02-02 + 1 working day = Sun 02-04 (调休上班), not Mon 02-05.
    assert cal.add_working_days(date(2024, 2, 2), 1).day == date(2024, 2, 4)
    assert cal.day_status(date(2024, 2, 4)).holiday == "春节"


def test_working_days_spring_festival_2024_02_10_to_17_do_not_count(
    cal: WorkingDayCalendar,
) -> None:
    for day in range(10, 18):
        assert not cal.is_working_day(date(2024, 2, day)), day
    assert cal.is_working_day(date(2024, 2, 18))  # Sunday 调休上班
    # 除夕 (02-09) was a working day in 2024 (employers were only encouraged to give it off).
    assert cal.is_working_day(date(2024, 2, 9))
    assert cal.add_working_days(date(2024, 2, 9), 1).day == date(2024, 2, 18)


def test_working_days_national_day_2024_10_01_to_07_do_not_count(
    cal: WorkingDayCalendar,
) -> None:
    for day in range(1, 8):
        assert not cal.is_working_day(date(2024, 10, day)), day
    assert cal.is_working_day(date(2024, 9, 29))  # Sunday 调休上班
    assert cal.is_working_day(date(2024, 10, 12))  # Saturday 调休上班
    assert not cal.is_working_day(date(2024, 10, 13))  # an ordinary Sunday


# ---- N working days: from the day after the event, to 24:00 CST on the Nth ------------------


def test_working_days_five_from_a_friday_end_at_24_00_cst_on_the_next_friday(
    cal: WorkingDayCalendar,
) -> None:
    due = cal.deadline_for(cst(2024, 3, 1, 10, 0), FIVE_DAYS)
    # Fri 03-01 → Mon 04, Tue 05, Wed 06, Thu 07, Fri 08; ends 24:00 CST = 16:00 UTC.
    assert due.due_at == utc(2024, 3, 8, 16, 0)
    assert due.due_at.tzinfo is UTC
    assert due.local_due == cst(2024, 3, 9, 0, 0)
    assert due.display() == "2024-03-08 24:00 CST"
    assert not due.provisional
    assert due.rule_id == "REF-03"


def test_working_days_count_from_the_china_date_of_the_event_not_the_utc_date(
    cal: WorkingDayCalendar,
) -> None:
    # Thu 2024-02-29 17:30 UTC is already Fri 03-01 01:30 CST: counting starts Mon 03-04.
    after_midnight_cst = cal.deadline_for(utc(2024, 2, 29, 17, 30), FIVE_DAYS)
    assert after_midnight_cst.due_at == utc(2024, 3, 8, 16, 0)  # not Thu 03-07
    # Fri 03-01 23:59 CST is still Friday in China (15:59 UTC): the same answer.
    late_evening_cst = cal.deadline_for(cst(2024, 3, 1, 23, 59), FIVE_DAYS)
    assert late_evening_cst.due_at == utc(2024, 3, 8, 16, 0)
    # Sun 2024-03-03 22:30 UTC is Mon 03-04 06:30 CST: Monday itself is not counted.
    monday_morning_cst = cal.deadline_for(utc(2024, 3, 3, 22, 30), FIVE_DAYS)
    assert monday_morning_cst.due_at == utc(2024, 3, 11, 16, 0)


def test_working_days_deadline_across_spring_festival_2024(cal: WorkingDayCalendar) -> None:
    # Found Tue 2024-02-06: 07, 08, 09 count, 10..17 are the holiday, Sun 18 (调休) and 19 count.
    due = cal.deadline_for(cst(2024, 2, 6, 9, 0), FIVE_DAYS)
    assert due.due_at == utc(2024, 2, 19, 16, 0)
    assert due.display() == "2024-02-19 24:00 CST"


def test_working_days_deadline_across_national_day_2024(cal: WorkingDayCalendar) -> None:
    # Fri 09-27 → Sun 09-29 (调休), Mon 09-30, then 10-08, 10-09, 10-10.
    due = cal.deadline_for(cst(2024, 9, 27, 15, 0), FIVE_DAYS)
    assert due.due_at == utc(2024, 10, 10, 16, 0)
    # Mon 09-30 → 10-08, 09, 10, 11 and Sat 10-12 (调休).
    due = cal.deadline_for(cst(2024, 9, 30, 15, 0), FIVE_DAYS)
    assert due.due_at == utc(2024, 10, 12, 16, 0)


def test_working_days_an_event_on_a_holiday_counts_from_the_next_working_day(
    cal: WorkingDayCalendar,
) -> None:
    # Found on 10-03 (holiday): 10-08..10-12 → Sat 10-12 (调休).
    assert cal.deadline_for(cst(2024, 10, 3, 11), FIVE_DAYS).due_at == utc(2024, 10, 12, 16)
    assert cal.deadline_for(
        cst(2024, 10, 3, 11), DeadlineRule.working_days(1, rule_id="X")
    ).due_at == end_of_china_day(date(2024, 10, 8))


def test_clock_hours_ignore_holidays_ref_03_urgent_24_hours(cal: WorkingDayCalendar) -> None:
    urgent = DeadlineRule.hours(24, rule_id="REF-03")
    due = cal.deadline_for(cst(2024, 2, 9, 20, 0), urgent)  # 除夕 evening, holidays follow
    assert due.due_at == utc(2024, 2, 10, 12, 0)
    assert due.display() == "2024-02-10 20:00 CST"
    assert not due.provisional
    # clock hours never wait for a calendar, even in an unknown year
    assert not cal.deadline_for(cst(2027, 6, 1, 9), urgent).provisional


def test_calendar_days_count_from_the_day_after_and_end_at_24_00_cst_ref_09() -> None:
    """REF-09: a limit in days (日) is counted in calendar days from the day after the event
    and ends at 24:00 China time on the last day, not N x 24 clock hours from the instant."""
    cal = WorkingDayCalendar()
    ninety = DeadlineRule.calendar_days(90, rule_id="REF-09")
    # Filed Fri 1 Mar 2024 at 10:00 CST: day 1 is 2 Mar, day 90 is Thu 30 May 2024.
    due = cal.deadline_for(cst(2024, 3, 1, 10), ninety)
    assert due.due_at == end_of_china_day(date(2024, 5, 30)) == utc(2024, 5, 30, 16)
    assert due.due_at != cst(2024, 3, 1, 10) + timedelta(hours=90 * 24)
    # The China date counts, not the UTC one: 23:30 CST on 1 Mar is 15:30 UTC the same day,
    # 00:30 CST on 2 Mar is still 1 Mar in UTC but counts from 3 Mar.
    assert cal.deadline_for(cst(2024, 3, 1, 23, 30), ninety).due_at == utc(2024, 5, 30, 16)
    assert cal.deadline_for(cst(2024, 3, 2, 0, 30), ninety).due_at == utc(2024, 5, 31, 16)
    # Weekends and holidays count (the last day here is Sat 10 Feb 2024, 春节).
    one_week = DeadlineRule.calendar_days(7, rule_id="X")
    assert cal.deadline_for(cst(2024, 2, 3, 9), one_week).due_at == end_of_china_day(
        date(2024, 2, 10)
    )
    assert ninety.label_zh == "90日"


def test_calendar_days_never_wait_for_a_holiday_schedule() -> None:
    due = WorkingDayCalendar().deadline_for(
        cst(2027, 12, 1, 9), DeadlineRule.calendar_days(60, rule_id="REF-09")
    )
    assert not due.provisional
    assert due.due_at == end_of_china_day(date(2028, 1, 30))


# ---- unknown years: provisional, no breach, recomputed once loaded ---------------------------


def test_working_days_reaching_unknown_2027_are_provisional_until_its_schedule_is_installed(
    cal: WorkingDayCalendar, overrides: Path
) -> None:
    event = cst(2026, 12, 29, 10, 0)  # Tue
    first = cal.deadline_for(event, FIVE_DAYS)
    # 12-30, 12-31 (2026, known), then on weekends alone: Fri 01-01, Mon 01-04, Tue 01-05.
    assert first.provisional
    assert first.due_at == utc(2027, 1, 5, 16, 0)
    assert first.display() == "2027-01-05 24:00 CST (provisional)"
    assert "暂定" in first.label_zh
    assert not first.is_breached(cst(2027, 6, 1))  # counted in no breach while provisional

    install_schedule(FIXTURE_2027, overrides)  # the made-up fixture, not the real 2027
    assert cal.reload_if_changed()  # the running calendar notices the new file
    assert not cal.reload_if_changed()
    assert cal.knows_year(2027)
    final = cal.deadline_for(event, FIVE_DAYS)  # recompute = run it again
    assert not final.provisional
    # 12-30, 12-31, then 01-05, 01-06, 01-07 (the fixture's 01-01..04 are days off).
    assert final.due_at == utc(2027, 1, 7, 16, 0)
    assert not final.is_breached(cst(2027, 1, 7, 23, 59))
    assert final.is_breached(cst(2027, 1, 8, 0, 1))
    assert cal.is_working_day(date(2027, 1, 9))  # the fixture's adjusted Saturday


def test_working_days_whole_deadline_in_an_unknown_year_uses_weekends_alone(
    cal: WorkingDayCalendar,
) -> None:
    due = cal.deadline_for(cst(2031, 3, 7, 9), FIVE_DAYS)  # a Friday
    assert due.provisional
    assert due.due_at == end_of_china_day(date(2031, 3, 14))
    assert cal.is_working_day(date(2031, 10, 1))  # National Day unknown: not guessed


def test_working_days_25_to_31_december_wait_for_the_next_years_schedule(
    cal: WorkingDayCalendar,
) -> None:
    # A year's schedule may restate the last week of the year before (2012 made Sat
    # 2011-12-31 a working day), so with 2027 unknown, 2026-12-25..31 are not final.
    assert cal.is_working_day(date(2011, 12, 31))
    assert not cal.knows_day(date(2026, 12, 25))
    assert cal.knows_day(date(2026, 12, 24))
    assert cal.deadline_for(cst(2026, 12, 18, 9), FIVE_DAYS).provisional  # 21..25 Dec
    assert not cal.deadline_for(cst(2026, 12, 11, 9), FIVE_DAYS).provisional  # 14..18 Dec


def test_working_days_a_schedule_may_restate_late_december_of_the_year_before(
    cal: WorkingDayCalendar,
) -> None:
    cal.add_year(
        YearSchedule(
            year=2027,
            holidays=[Holiday(name="fixture (not real)", start=date(2026, 12, 31))],
            adjusted_workdays=[date(2026, 12, 26)],
        )
    )
    assert not cal.is_working_day(date(2026, 12, 31))  # wins over the library for that day
    assert cal.is_working_day(date(2026, 12, 26))
    assert cal.knows_day(date(2026, 12, 31))
    assert cal.is_working_day(date(2026, 12, 30))  # the rest of 2026 is the library's


def test_working_days_an_installed_schedule_wins_over_the_library_for_its_year(
    cal: WorkingDayCalendar,
) -> None:
    cal.add_year(
        YearSchedule(year=2024, holidays=[Holiday(name="fixture", start=date(2024, 3, 4))])
    )
    assert not cal.is_working_day(date(2024, 3, 4))
    assert not cal.is_working_day(date(2024, 2, 4))  # the library's 调休 no longer applies
    assert cal.source_of(2024) == "added in code"


def test_working_days_between_counts_after_start_through_end(cal: WorkingDayCalendar) -> None:
    count = cal.working_days_between(date(2024, 2, 6), date(2024, 2, 19))
    assert (count.days, count.provisional) == (5, False)
    assert cal.working_days_between(date(2024, 3, 8), date(2024, 3, 1)).days == 0
    assert cal.working_days_between(date(2026, 12, 29), date(2027, 1, 5)).provisional


# ---- types and rules -------------------------------------------------------------------------


def test_deadline_rules_need_a_positive_length_and_an_id() -> None:
    with pytest.raises(ValueError, match="at least one"):
        DeadlineRule.working_days(0, rule_id="X")
    with pytest.raises(ValueError, match="rule id"):
        DeadlineRule.hours(24, rule_id="")
    assert DeadlineRule.working_days(5, rule_id="REF-07").label_zh == "5个工作日"


def test_deadlines_are_aware_utc_and_breach_checks_need_aware_times(
    cal: WorkingDayCalendar,
) -> None:
    d = Deadline(due_at=cst(2024, 3, 9), provisional=False, rule_id="X")
    assert d.due_at == utc(2024, 3, 8, 16)
    assert d.due_at.tzinfo is UTC
    with pytest.raises(ValueError, match="aware"):
        d.is_breached(datetime(2024, 3, 10))
    with pytest.raises(ValueError, match="aware"):
        cal.deadline_for(datetime(2024, 3, 1, 10), FIVE_DAYS)
    with pytest.raises(TypeError, match="not a datetime"):
        cal.is_working_day(datetime(2024, 3, 1, tzinfo=UTC))


# ---- schedule files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "year: 2027\nholidays: [{name: x, start: 2028-01-01}]\n",
            "year 2027: holiday 'x': 2028-01-01 is outside the year 2027",
        ),
        (
            "year: 2027\nholidays: [{name: x, start: 2026-11-30}]\n",
            "2026-11-30 is outside the year 2027",
        ),
        (
            "year: 2027\nholidays: [{name: x, start: 2027-01-02}]\nadjusted_workdays: [2027-01-02]\n",
            "2027-01-02 is both a holiday ('x') and an adjusted workday",
        ),
        (
            "year: 2027\nholidays: [{name: x, start: 2027-01-01}]\nadjusted_workdays: [2027-01-05]\n",
            "adjusted workday 2027-01-05 is a Tuesday, not a weekend day",
        ),
        (
            "year: 2027\nholidays: [{name: x, start: 2027-01-03, end: 2027-01-01}]\n",
            "holiday 'x' ends (2027-01-01) before it starts",
        ),
        (
            "year: 2027\nholidays:\n  - {name: a, start: 2027-10-01, end: 2027-10-07}\n"
            "  - {name: b, start: 2027-10-06}\n",
            "2027-10-06 is in both 'a' and 'b'",
        ),
        (
            "year: 2027\nholidays: [{name: x, start: 2027-01-01}]\nadjusted_workday: [2027-01-09]\n",
            "adjusted_workday: Extra inputs are not permitted",
        ),
        ("year: 2027\nholidays: []\n", "holidays: List should have at least 1 item"),
        ("year: 2027\nholidays: [{name: x, start: 2027-02-30}]\n", "invalid date"),
        ("year: 2027\nholidays: [{name: x, start: 20270101}]\n", "expected a date YYYY-MM-DD"),
        (
            "- year: 2027\n  holidays: [{name: x, start: 2027-01-01}]\n- year: 2027\n"
            "  holidays: [{name: y, start: 2027-01-02}]\n",
            "year 2027 is given twice",
        ),
        ("just text\n", "expected a year's schedule"),
    ],
)
def test_schedule_files_are_validated_with_the_file_and_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(CalendarError) as raised:
        load_schedule_file(path)
    assert str(raised.value).count(str(path)) == 1
    assert problem in str(raised.value)


def test_schedule_files_may_be_json_or_hold_several_years(tmp_path: Path) -> None:
    one = {"year": 2027, "holidays": [{"name": "x", "start": "2027-01-01"}]}
    path = write(
        tmp_path / "s.json",
        json.dumps(
            {
                "years": [
                    one,
                    {**one, "year": 2028, "holidays": [{"name": "y", "start": "2028-01-03"}]},
                ]
            }
        ),
    )
    assert [s.year for s in load_schedule_file(path)] == [2027, 2028]
    with pytest.raises(CalendarError, match="not valid JSON"):
        load_schedule_file(write(tmp_path / "broken.json", "{"))
    with pytest.raises(CalendarError, match="cannot read"):
        load_schedule_file(tmp_path / "missing.yaml")


def test_install_writes_one_file_per_year_and_replaces_a_reinstalled_year(
    tmp_path: Path, overrides: Path
) -> None:
    install_schedule(FIXTURE_2027, overrides)
    installed = overrides / "2027.yaml"
    assert installed.read_text(encoding="utf-8").startswith("# 2027 holiday schedule, installed")
    assert load_schedule_file(installed) == load_schedule_file(FIXTURE_2027)
    fixed = write(
        tmp_path / "fixed.yaml", "year: 2027\nholidays: [{name: fixture, start: 2027-01-01}]\n"
    )
    install_schedule(fixed, overrides)
    assert [p.name for p in overrides.iterdir()] == ["2027.yaml"]
    assert not WorkingDayCalendar.load(overrides).is_working_day(date(2027, 1, 1))
    assert WorkingDayCalendar.load(overrides).is_working_day(date(2027, 1, 4))


def test_install_refuses_a_year_another_file_defines(tmp_path: Path, overrides: Path) -> None:
    overrides.mkdir()
    write(overrides / "by-hand.yaml", FIXTURE_2027.read_text(encoding="utf-8"))
    with pytest.raises(CalendarError, match=r"year 2027 is already defined in .*by-hand.yaml"):
        install_schedule(FIXTURE_2027, overrides)


def test_a_bad_file_fails_the_load_but_a_running_calendar_keeps_its_schedules(
    overrides: Path, caplog: pytest.LogCaptureFixture
) -> None:
    install_schedule(FIXTURE_2027, overrides)
    cal = WorkingDayCalendar.load(overrides)
    write(overrides / "copy.yaml", FIXTURE_2027.read_text(encoding="utf-8"))
    with pytest.raises(CalendarError, match="year 2027 is defined in both"):
        WorkingDayCalendar.load(overrides)
    with caplog.at_level(logging.ERROR):
        assert not cal.reload_if_changed()
        assert not cal.reload_if_changed()  # logged once per change, not every sweep
    assert len(caplog.records) == 1
    assert cal.load_error is not None
    assert cal.knows_year(2027)
    assert not cal.is_working_day(date(2027, 1, 4))
    (overrides / "copy.yaml").unlink()
    assert cal.reload_if_changed()
    assert cal.load_error is None


def test_a_removed_schedule_file_makes_its_year_unknown_again(overrides: Path) -> None:
    install_schedule(FIXTURE_2027, overrides)
    cal = WorkingDayCalendar.load(overrides)
    assert cal.knows_year(2027)
    (overrides / "2027.yaml").unlink()
    assert cal.reload_if_changed()
    assert not cal.knows_year(2027)


def test_default_overrides_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xietong_common.calendar import default_overrides_dir

    monkeypatch.delenv("XIETONG_CALENDAR_DIR", raising=False)
    monkeypatch.setenv("XIETONG_DATA_DIR", str(tmp_path))
    assert default_overrides_dir() == tmp_path / "calendar"
    monkeypatch.setenv("XIETONG_CALENDAR_DIR", str(tmp_path / "x"))
    assert default_overrides_dir() == tmp_path / "x"


def test_the_shipped_overrides_directory_loads() -> None:
    repo_calendar = Path(__file__).parents[4] / "data" / "calendar"
    assert (repo_calendar / "README.md").exists()
    WorkingDayCalendar.load(repo_calendar)  # no invented schedules, nothing invalid


# ---- the CLI ---------------------------------------------------------------------------------


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="xietong")
    add_calendar_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_cli_load_check_show(overrides: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("calendar", "show", "2027", "--dir", str(overrides)) == 0
    assert "2027: NOT KNOWN" in capsys.readouterr().out
    assert run_cli("calendar", "load", "--check", str(FIXTURE_2027), "--dir", str(overrides)) == 0
    assert "nothing installed" in capsys.readouterr().out
    assert not overrides.exists()
    assert run_cli("calendar", "load", str(FIXTURE_2027), "--dir", str(overrides)) == 0
    assert "installed into" in capsys.readouterr().out
    assert run_cli("calendar", "show", "2027", "--dir", str(overrides)) == 0
    out = capsys.readouterr().out
    assert "fixture holiday (not real): 2027-01-01 .. 2027-01-04 (4 days)" in out
    assert "2027-01-09 Sat" in out


def test_cli_show_a_library_year_and_refuse_a_bad_file(
    tmp_path: Path, overrides: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("calendar", "show", "2024", "--dir", str(overrides)) == 0
    out = capsys.readouterr().out
    assert "春节: 2024-02-10 .. 2024-02-17 (8 days)" in out
    assert "2024-02-04 Sun (春节)" in out
    assert "working days in 2024: 251" in out
    bad = write(tmp_path / "bad.yaml", "year: 2027\nholidays: [{name: x, start: 2028-01-01}]\n")
    assert run_cli("calendar", "load", str(bad), "--dir", str(overrides)) == 1
    assert "outside the year 2027" in capsys.readouterr().err


def test_working_days_are_pure_functions_of_the_calendar(cal: WorkingDayCalendar) -> None:
    # The same question gives the same answer; nothing depends on "now".
    a = cal.deadline_for(cst(2024, 5, 1, 9), FIVE_DAYS)
    b = cal.deadline_for(cst(2024, 5, 1, 9) + timedelta(hours=3), FIVE_DAYS)
    assert a == b
    # Labour Day 2024: 05-01..05 off, Sat 05-11 worked: 06, 07, 08, 09, 10.
    assert a.due_at == end_of_china_day(date(2024, 5, 10))
