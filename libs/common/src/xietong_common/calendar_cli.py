"""`xietong calendar load FILE` and `xietong calendar show YEAR`."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from xietong_common.calendar import CalendarError, WorkingDayCalendar, install_schedule


def cmd_load(args: argparse.Namespace) -> int:
    try:
        schedules = install_schedule(Path(args.file), Path(args.dir) if args.dir else None)
    except CalendarError as exc:
        print(f"not loaded: {exc}")
        return 1
    for s in schedules:
        print(
            f"loaded {s.year}: {len(s.holiday_days)} holiday days, "
            f"{len(s.adjusted_workdays)} adjusted workdays"
        )
    print("running services recompute provisional deadlines on their next sweep")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    calendar = WorkingDayCalendar.load(Path(args.dir) if args.dir else None)
    year = int(args.year)
    known = calendar.knows_year(year)
    print(f"{year}: {'known' if known else 'UNKNOWN (weekends only; deadlines provisional)'}")
    day, off = date(year, 1, 1), []
    while day.year == year:
        weekend = day.weekday() >= 5
        working = calendar.is_working_day(day)
        if working == weekend:
            off.append(f"  {day} {'调休上班' if working else '休'}")
        day += timedelta(days=1)
    print("\n".join(off) if off else "  no days off on weekdays, no weekend workdays")
    return 0


def add_calendar_commands(subparsers: Any) -> None:
    cal = subparsers.add_parser("calendar", help="the working-day calendar (节假日安排)")
    sub = cal.add_subparsers(dest="calendar_command", required=True)
    load = sub.add_parser("load", help="validate and install a year's holiday schedule")
    load.add_argument("file")
    load.add_argument("--dir", help="overrides directory (default data/calendar)")
    load.set_defaults(func=cmd_load)
    show = sub.add_parser("show", help="list a year's holidays and adjusted workdays")
    show.add_argument("year")
    show.add_argument("--dir", help="overrides directory (default data/calendar)")
    show.set_defaults(func=cmd_show)
