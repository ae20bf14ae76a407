"""`xietong calendar load FILE` and `xietong calendar show YEAR`."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

from xietong_common.calendar import (
    CalendarError,
    DayStatus,
    WorkingDayCalendar,
    default_overrides_dir,
    install_schedule,
    library_years,
    load_schedule_file,
)


def cmd_load(args: argparse.Namespace) -> int:
    """Validate a State Council schedule file and install it (or only check it)."""
    path = Path(args.file)
    target = Path(args.dir) if args.dir else default_overrides_dir()
    try:
        schedules = load_schedule_file(path) if args.check else install_schedule(path, target)
    except CalendarError as exc:
        print(f"not loaded: {exc}", file=sys.stderr)
        return 1
    for s in schedules:
        note = (
            " (replaces chinesecalendar's data for that year)" if s.year in library_years() else ""
        )
        print(
            f"{s.year}: {len(s.holidays)} holidays, {len(s.holiday_days)} days off, "
            f"{len(s.adjusted_workdays)} adjusted workdays{note}"
        )
    if args.check:
        print(f"{path} is valid; nothing installed")
        return 0
    print(f"installed into {target}")
    print("running services pick it up and recompute provisional deadlines on their next sweep")
    return 0


def _span(days: list[DayStatus]) -> str:
    first, last = days[0].day, days[-1].day
    return str(first) if first == last else f"{first} .. {last}"


def cmd_show(args: argparse.Namespace) -> int:
    """List a year's holidays and adjusted workdays, and where the schedule comes from."""
    try:
        calendar = WorkingDayCalendar.load(Path(args.dir) if args.dir else None)
    except CalendarError as exc:
        print(f"the installed schedules are invalid: {exc}", file=sys.stderr)
        return 1
    year: int = args.year
    source = calendar.source_of(year)
    if source is None:
        print(
            f"{year}: NOT KNOWN. Working days are taken as Monday to Friday and every deadline "
            f"reaching into {year} is provisional (counted in no breach) until the State "
            "Council's schedule is installed with `xietong calendar load FILE`."
        )
        return 0
    print(f"{year}: from {source}")
    days = [calendar.day_status(date(year, 1, 1) + timedelta(days=i)) for i in range(366)]
    days = [d for d in days if d.day.year == year]
    off = [d for d in days if not d.working and d.holiday]
    print("holidays (放假):")
    # a run of consecutive days with one name is one holiday
    runs = groupby(enumerate(off), key=lambda x: (x[1].holiday, x[1].day.toordinal() - x[0]))
    for (name, _), run in runs:
        spell = [d for _, d in run]
        print(f"  {name}: {_span(spell)} ({len(spell)} day{'s' if len(spell) > 1 else ''})")
    adjusted = [d for d in days if d.working and d.day.weekday() >= 5]
    print("adjusted workdays (调休上班):")
    for d in adjusted:
        print(f"  {d.day} {d.day:%a}" + (f" ({d.holiday})" if d.holiday else ""))
    if not adjusted:
        print("  none")
    if not days[-1].final:
        print(
            f"note: 25-31 December stay provisional until {year + 1} is known "
            "(its schedule may move them)"
        )
    print(f"working days in {year}: {sum(d.working for d in days)}")
    return 0


def add_calendar_commands(subparsers: Any) -> None:
    """Register `calendar load FILE` and `calendar show YEAR` on the `xietong` parser."""
    cal = subparsers.add_parser("calendar", help="the working-day calendar (节假日安排)")
    sub = cal.add_subparsers(dest="calendar_command", required=True)
    load = sub.add_parser(
        "load", help="validate a year's State Council holiday schedule and install it"
    )
    load.add_argument("file", help="YAML or JSON schedule (see data/calendar/README.md)")
    load.add_argument("--dir", help="schedules directory (default data/calendar)")
    load.add_argument("--check", action="store_true", help="validate only, install nothing")
    load.set_defaults(func=cmd_load)
    show = sub.add_parser("show", help="list a year's holidays and adjusted workdays")
    show.add_argument("year", type=int)
    show.add_argument("--dir", help="schedules directory (default data/calendar)")
    show.set_defaults(func=cmd_show)
