"""Working days (工作日) on the State Council holiday calendar, with 调休.

RULES.md "Working days": N working days count from the day after the triggering event
and end at 24:00 China Standard Time on the Nth working day; "24 hours" is clock time.
Years the `chinesecalendar` library knows come from it; other years come from schedule
files an operator installs (`xietong calendar load FILE`) when the State Council
publishes the next year's schedule. A deadline reaching into a year nobody knows is
computed on weekends alone and marked provisional: it is shown as such, counted in no
breach, and recomputed once the year is loaded.

Everything here is pure except the explicit loaders (`load_schedule_file`,
`install_schedule`, `WorkingDayCalendar.load`, `WorkingDayCalendar.reload_if_changed`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from xietong_common.yamlfiles import safe_yaml

log = logging.getLogger(__name__)

CHINA_TZ = ZoneInfo("Asia/Shanghai")
SCHEDULE_SUFFIXES = (".yaml", ".yml", ".json")
# A year's schedule may move days in the last week of the year before: the 2008 schedule
# gave 2007-12-30/31 off and made Sat 2007-12-29 a workday, the 2012 schedule made Sat
# 2011-12-31 a workday. So 25-31 December is final only once the next year is known too.
LATE_DECEMBER = 25
_MAX_SCAN_DAYS = 3660  # N working days never need more than this


class CalendarError(ValueError):
    """A holiday schedule file is missing, unreadable or inconsistent."""


def _as_date(value: object) -> object:
    """Dates only (YAML dates or 'YYYY-MM-DD'): no timestamps, no date-times."""
    if isinstance(value, datetime):
        raise ValueError(f"expected a date, not a date and time: {value}")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-":
        return date.fromisoformat(value)
    raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")


Day = Annotated[date, BeforeValidator(_as_date)]


class Holiday(BaseModel):
    """A public holiday (放假): one day, or a range of days (inclusive)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, examples=["春节"])
    start: Day
    end: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Holiday:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"holiday {self.name!r} ends ({self.end}) before it starts")
        return self

    def days(self) -> list[date]:
        last = self.end or self.start
        return [self.start + timedelta(days=i) for i in range((last - self.start).days + 1)]


class YearSchedule(BaseModel):
    """One year's schedule as the State Council publishes it (国务院办公厅关于…年部分节假日
    安排的通知): the days off, and the weekend days that are working days (调休上班)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int = Field(ge=2000, le=2200)
    source: str | None = Field(default=None, examples=["国办发明电〔2026〕N号"])
    holidays: list[Holiday] = Field(min_length=1)
    adjusted_workdays: list[Day] = Field(
        default_factory=list, description="weekend days that are working days (调休上班)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> YearSchedule:
        named: dict[date, str] = {}
        for holiday in self.holidays:
            for day in holiday.days():
                self._check_in_year(day, f"holiday {holiday.name!r}")
                if day in named:
                    raise ValueError(f"{day} is in both {named[day]!r} and {holiday.name!r}")
                named[day] = holiday.name
        for day in self.adjusted_workdays:
            self._check_in_year(day, "adjusted workday")
            if day in named:
                raise ValueError(
                    f"{day} is both a holiday ({named[day]!r}) and an adjusted workday"
                )
            if day.weekday() < 5:
                raise ValueError(
                    f"adjusted workday {day} is a {day:%A}, not a weekend day"
                    " (only weekend days are listed as 调休上班)"
                )
        return self

    def _check_in_year(self, day: date, what: str) -> None:
        late_december_before = (
            day.year == self.year - 1 and day.month == 12 and day.day >= LATE_DECEMBER
        )
        if day.year != self.year and not late_december_before:
            raise ValueError(
                f"{what}: {day} is outside the year {self.year}"
                f" (only {LATE_DECEMBER}-31 December {self.year - 1} may be restated)"
            )

    @property
    def holiday_days(self) -> dict[date, str]:
        """Every day off, with the holiday's name."""
        return {day: h.name for h in self.holidays for day in h.days()}


@dataclass(frozen=True)
class DeadlineRule:
    """How long a party has under a rule: N working days, N calendar days, or N clock hours."""

    rule_id: str
    unit: Literal["working_days", "calendar_days", "hours"]
    amount: int

    def __post_init__(self) -> None:
        if not self.rule_id:
            raise ValueError("a deadline rule needs a rule id")
        if self.amount < 1:
            raise ValueError(f"{self.rule_id}: a deadline needs at least one {self.unit}")

    @classmethod
    def working_days(cls, n: int, *, rule_id: str) -> DeadlineRule:
        return cls(rule_id=rule_id, unit="working_days", amount=n)

    @classmethod
    def calendar_days(cls, n: int, *, rule_id: str) -> DeadlineRule:
        """N days (日) as a statute counts them: from the day after the event, ending at 24:00
        China Standard Time on the Nth day, weekends and holidays included."""
        return cls(rule_id=rule_id, unit="calendar_days", amount=n)

    @classmethod
    def hours(cls, n: int, *, rule_id: str) -> DeadlineRule:
        return cls(rule_id=rule_id, unit="hours", amount=n)

    @property
    def label_zh(self) -> str:
        return {
            "working_days": f"{self.amount}个工作日",
            "calendar_days": f"{self.amount}日",
            "hours": f"{self.amount}小时",
        }[self.unit]


@dataclass(frozen=True)
class Deadline:
    """When an action is due (aware UTC), and whether that date is still provisional."""

    due_at: datetime
    provisional: bool
    rule_id: str

    def __post_init__(self) -> None:
        if self.due_at.tzinfo is None:
            raise ValueError("due_at must be timezone-aware")
        object.__setattr__(self, "due_at", self.due_at.astimezone(UTC))

    @property
    def local_due(self) -> datetime:
        """The due moment in China Standard Time."""
        return self.due_at.astimezone(CHINA_TZ)

    def is_breached(self, at: datetime) -> bool:
        """Late only against a final date: a provisional deadline is counted in no breach."""
        if at.tzinfo is None:
            raise ValueError("`at` must be timezone-aware")
        return not self.provisional and at > self.due_at

    def display(self) -> str:
        """As people read it: China time, midnight shown as 24:00 of the day before."""
        text = f"{_local_text(self.local_due)} CST"
        return f"{text} (provisional)" if self.provisional else text

    @property
    def label_zh(self) -> str:
        text = f"北京时间 {_local_text(self.local_due)}"
        return f"{text}（暂定：该年节假日安排尚未公布）" if self.provisional else text


def _local_text(local: datetime) -> str:
    if local.time() == time(0):
        return f"{(local.date() - timedelta(days=1)).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


@lru_cache(maxsize=4096)
def due_labels(due_at: datetime, *, provisional: bool) -> tuple[str, str]:
    """How people read a due moment, in Chinese and in English, in China time: 24:00 of a
    day rather than 00:00 of the next (`2024年2月21日24时前`), and, for a provisional date,
    which year's holiday schedule is awaited (`临时(2027年假期未公布)`).

    Kept per moment (it depends on nothing else): a deadline's answer asks for both labels,
    one at a time, and the same deadlines are shown on every read of their record (issue 22)."""
    local = due_at.astimezone(CHINA_TZ)
    if local.time() == time(0):
        day = local.date() - timedelta(days=1)
        zh = f"{day.year}年{day.month}月{day.day}日24时前"
        en = f"by 24:00 on {day.isoformat()} (China time)"
    else:
        day = local.date()
        zh = f"{day.year}年{day.month}月{day.day}日{local.hour}时{local.minute:02d}分前"
        en = f"by {local:%H:%M} on {day.isoformat()} (China time)"
    if provisional:
        # late December is final only once the next year's schedule is known too
        awaited = day.year + 1 if (day.month, day.day) >= (12, LATE_DECEMBER) else day.year
        zh += f"（临时({awaited}年假期未公布)）"
        en += f", provisional until the {awaited} holiday schedule is published"
    return zh, en


def end_of_china_day(day: date) -> datetime:
    """24:00 China Standard Time on `day`, as aware UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=CHINA_TZ).astimezone(UTC)


@dataclass(frozen=True)
class WorkingDayResult:
    day: date
    provisional: bool


@dataclass(frozen=True)
class WorkingDayCount:
    days: int
    provisional: bool


@dataclass(frozen=True)
class DayStatus:
    """One day on the calendar: working or not, the holiday it belongs to, and whether
    that is final (its schedule is known) or a weekend-only guess."""

    day: date
    working: bool
    holiday: str | None
    final: bool


# ---- files ---------------------------------------------------------------------------------


def _parse(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarError(f"{path}: cannot read: {exc}") from exc
    try:
        return json.loads(text) if path.suffix == ".json" else safe_yaml(text)
    except json.JSONDecodeError as exc:
        raise CalendarError(f"{path}: not valid JSON: {exc}") from exc
    except yaml.YAMLError as exc:
        raise CalendarError(f"{path}: not valid YAML: {exc}") from exc
    except ValueError as exc:  # PyYAML on an impossible date such as 2027-02-30
        raise CalendarError(f"{path}: invalid date: {exc}") from exc


def _explain(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()))
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def load_schedule_file(path: Path) -> list[YearSchedule]:
    """Read and validate a schedule file (YAML or JSON): one year's mapping, a list of
    them, or `years: [...]`. Errors name the file, the year and the problem."""
    raw = _parse(path)
    if isinstance(raw, dict) and set(raw) == {"years"}:
        raw = raw["years"]
    items = [raw] if isinstance(raw, dict) else raw
    if not isinstance(items, list) or not items:
        raise CalendarError(
            f"{path}: expected a year's schedule (`year: ...`), a list of them, or `years: [...]`"
        )
    schedules: list[YearSchedule] = []
    for i, item in enumerate(items):
        label = (
            f"year {item['year']}"
            if isinstance(item, dict) and "year" in item
            else f"entry {i + 1}"
        )
        try:
            schedule = YearSchedule.model_validate(item)
        except ValidationError as exc:
            raise CalendarError(f"{path}: {label}: {_explain(exc)}") from exc
        if any(s.year == schedule.year for s in schedules):
            raise CalendarError(f"{path}: year {schedule.year} is given twice")
        schedules.append(schedule)
    _build_index({s.year: (s, str(path)) for s in schedules})
    return schedules


def default_overrides_dir() -> Path:
    """`XIETONG_CALENDAR_DIR`, else `$XIETONG_DATA_DIR/calendar`, else the repo's `data/calendar`."""
    if env := os.environ.get("XIETONG_CALENDAR_DIR"):
        return Path(env)
    if env := os.environ.get("XIETONG_DATA_DIR"):
        return Path(env) / "calendar"
    from xietong_common.settings import project_root

    return project_root() / "data" / "calendar"


def _schedule_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if p.suffix in SCHEDULE_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )


def _read_dir(files: Iterable[Path]) -> dict[int, tuple[YearSchedule, str]]:
    found: dict[int, tuple[YearSchedule, str]] = {}
    for path in files:
        for schedule in load_schedule_file(path):
            if schedule.year in found:
                raise CalendarError(
                    f"year {schedule.year} is defined in both {found[schedule.year][1]} and "
                    f"{path}: remove one"
                )
            found[schedule.year] = (schedule, str(path))
    return found


def install_schedule(path: Path, overrides_dir: Path | None = None) -> list[YearSchedule]:
    """Validate a schedule file and install it, one `<year>.yaml` per year, into the
    overrides directory (`xietong calendar load FILE`); a year installed again is replaced."""
    schedules = load_schedule_file(path)
    target_dir = overrides_dir or default_overrides_dir()
    years = {s.year for s in schedules}
    targets = {target_dir / f"{year}.yaml" for year in years}
    others = _read_dir(p for p in _schedule_files(target_dir) if p not in targets)
    clash = sorted(years & set(others))
    if clash:
        raise CalendarError(
            f"year {clash[0]} is already defined in {others[clash[0]][1]}: remove that file first"
        )
    _build_index({**others, **{s.year: (s, str(path)) for s in schedules}})
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    for schedule in schedules:
        target = target_dir / f"{schedule.year}.yaml"
        body = yaml.safe_dump(
            schedule.model_dump(mode="json", exclude_none=True),
            allow_unicode=True,
            sort_keys=False,
        )
        tmp = target_dir / f".{target.name}.tmp"
        tmp.write_text(
            f"# {schedule.year} holiday schedule, installed by `xietong calendar load` "
            f"from {path.name} at {stamp}.\n{body}",
            encoding="utf-8",
        )
        tmp.replace(target)
    return schedules


# ---- the calendar --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Index:
    years: Mapping[int, str]  # year -> where its schedule came from
    days: Mapping[date, tuple[bool, str | None]]  # day -> (working, holiday name)


def _build_index(schedules: Mapping[int, tuple[YearSchedule, str]]) -> _Index:
    days: dict[date, tuple[bool, str | None, str]] = {}
    for schedule, origin in schedules.values():
        entries: list[tuple[date, bool, str | None]] = [
            *((d, False, name) for d, name in schedule.holiday_days.items()),
            *((d, True, None) for d in schedule.adjusted_workdays),
        ]
        for day, working, name in entries:
            before = days.get(day)
            if before is not None and before[0] != working:
                raise CalendarError(
                    f"{day} is a {'workday' if working else 'holiday'} in {origin} "
                    f"but a {'workday' if before[0] else 'holiday'} in {before[2]}"
                )
            days[day] = (working, name, origin)
    return _Index(
        years={year: origin for year, (_, origin) in schedules.items()},
        days={day: (working, name) for day, (working, name, _) in days.items()},
    )


@cache
def _library_knows(year: int) -> bool:
    """chinesecalendar raises NotImplementedError for a year it has no schedule for."""
    try:
        chinese_calendar.is_workday(date(year, 7, 1))
    except NotImplementedError:
        return False
    return True


@cache
def library_years() -> tuple[int, ...]:
    """The years the installed chinesecalendar knows."""
    return tuple(y for y in range(1949, 2201) if _library_knows(y))


@lru_cache(maxsize=4096)
def _library_workday(day: date) -> bool:
    return bool(chinese_calendar.is_workday(day))


def _library_holiday_name(day: date) -> str | None:
    name = chinese_calendar.get_holiday_detail(day)[1]
    if name is None:
        return None
    try:
        return str(chinese_calendar.Holiday(name).chinese)
    except ValueError:
        return str(name)


def _check_day(day: date) -> None:
    if isinstance(day, datetime):
        raise TypeError("pass a date, not a datetime (use its China Standard Time date)")


class WorkingDayCalendar:
    """Working days from chinesecalendar plus installed schedules (a schedule wins for its
    year; days it restates in late December of the year before win for those days)."""

    def __init__(
        self, schedules: Iterable[YearSchedule] = (), *, overrides_dir: Path | None = None
    ) -> None:
        self._dir = overrides_dir
        self._added = {s.year: s for s in schedules}
        self._files: dict[int, tuple[YearSchedule, str]] = {}
        self._seen: dict[Path, tuple[int, int, int]] = {}
        self.load_error: str | None = None
        self._index = self._merged(self._files)

    @classmethod
    def load(cls, overrides_dir: Path | None = None) -> WorkingDayCalendar:
        """The calendar with every schedule in `overrides_dir` (default
        `default_overrides_dir()`); a bad file is an error here, so a service fails at start."""
        calendar = cls(overrides_dir=overrides_dir or default_overrides_dir())
        calendar._reload()
        return calendar

    def reload_if_changed(self) -> bool:
        """Pick up schedule files installed, changed or removed since the last look; True if
        the calendar changed. A bad file keeps the previous calendar and is logged once."""
        try:
            return self._reload()
        except CalendarError as exc:
            self.load_error = str(exc)
            log.error("holiday schedules not reloaded, keeping the previous ones: %s", exc)
            return False

    def _reload(self) -> bool:
        if self._dir is None:
            return False
        files = _schedule_files(self._dir)
        stamps: dict[Path, tuple[int, int, int]] = {}
        for p in files:
            try:
                st = p.stat()
            except FileNotFoundError:  # removed since the listing
                continue
            stamps[p] = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamps == self._seen:
            return False
        self._seen = stamps
        found = _read_dir(stamps)
        index = self._merged(found)
        self._files, self._index, self.load_error = found, index, None
        return True

    def _merged(self, files: Mapping[int, tuple[YearSchedule, str]]) -> _Index:
        added = {year: (s, "added in code") for year, s in self._added.items()}
        return _build_index({**files, **added})

    def add_year(self, schedule: YearSchedule) -> None:
        """Use `schedule` for its year (wins over files and the library)."""
        added = {**self._added, schedule.year: schedule}
        self._added, before = added, self._added
        try:
            self._index = self._merged(self._files)
        except CalendarError:
            self._added = before
            raise

    def knows_year(self, year: int) -> bool:
        return year in self._index.years or _library_knows(year)

    def known_years(self) -> list[int]:
        return sorted(set(library_years()) | set(self._index.years))

    def source_of(self, year: int) -> str | None:
        """Where the year's schedule comes from (a file, or chinesecalendar); None if unknown."""
        if year in self._index.years:
            return self._index.years[year]
        if _library_knows(year):
            return f"chinesecalendar {metadata.version('chinesecalendar')}"
        return None

    def knows_day(self, day: date) -> bool:
        """The day's status is final: its year is known, and for 25-31 December the next
        year too (whose schedule may restate those days)."""
        if not self.knows_year(day.year):
            return False
        return day.month < 12 or day.day < LATE_DECEMBER or self.knows_year(day.year + 1)

    def is_working_day(self, day: date) -> bool:
        """Known years: the official calendar. Unknown years: Monday to Friday."""
        _check_day(day)
        hit = self._index.days.get(day)
        if hit is not None:
            return hit[0]
        if day.year not in self._index.years and _library_knows(day.year):
            return _library_workday(day)
        return day.weekday() < 5

    def day_status(self, day: date) -> DayStatus:
        working = self.is_working_day(day)
        hit = self._index.days.get(day)
        if hit is not None:
            name = hit[1]
        elif day.year not in self._index.years and _library_knows(day.year):
            name = None if working and day.weekday() < 5 else _library_holiday_name(day)
        else:
            name = None
        return DayStatus(day=day, working=working, holiday=name, final=self.knows_day(day))

    def add_working_days(self, start: date, n: int) -> WorkingDayResult:
        """The Nth working day after `start` (start itself not counted); provisional if any
        day looked at is not final."""
        _check_day(start)
        if n < 1:
            raise ValueError("n must be at least 1")
        day, counted, provisional = start, 0, False
        for _ in range(_MAX_SCAN_DAYS):
            day += timedelta(days=1)
            provisional = provisional or not self.knows_day(day)
            if self.is_working_day(day):
                counted += 1
                if counted == n:
                    return WorkingDayResult(day=day, provisional=provisional)
        raise ValueError(f"fewer than {n} working days in the {_MAX_SCAN_DAYS} days after {start}")

    def working_days_before(self, day: date, n: int) -> date:
        """The Nth working day before `day` (`day` itself not counted): where a reminder
        "N working days before" a deadline ending on `day` falls."""
        _check_day(day)
        if n < 1:
            raise ValueError("n must be at least 1")
        counted = 0
        for _ in range(_MAX_SCAN_DAYS):
            day -= timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted == n:
                    return day
        raise ValueError(f"fewer than {n} working days in the {_MAX_SCAN_DAYS} days before {day}")

    def working_days_between(self, start: date, end: date) -> WorkingDayCount:
        """Working days after `start` up to and including `end` (0 if `end` <= `start`)."""
        _check_day(start)
        _check_day(end)
        count, provisional, day = 0, False, start
        while day < end:
            day += timedelta(days=1)
            provisional = provisional or not self.knows_day(day)
            count += self.is_working_day(day)
        return WorkingDayCount(days=count, provisional=provisional)

    def deadline_for(self, event_time: datetime, rule: DeadlineRule) -> Deadline:
        """When the action the rule requires is due, for an event at `event_time`: clock
        hours, or 24:00 CST on the Nth working (or calendar) day after the event's China date.
        Re-run it to recompute a provisional deadline once its year is loaded."""
        if event_time.tzinfo is None:
            raise ValueError("event_time must be timezone-aware")
        if rule.unit == "hours":
            due = event_time.astimezone(UTC) + timedelta(hours=rule.amount)
            return Deadline(due_at=due, provisional=False, rule_id=rule.rule_id)
        if rule.unit == "calendar_days":
            # Calendar days need no holiday schedule, so they are never provisional.
            last = event_time.astimezone(CHINA_TZ).date() + timedelta(days=rule.amount)
            return Deadline(due_at=end_of_china_day(last), provisional=False, rule_id=rule.rule_id)
        result = self.add_working_days(event_time.astimezone(CHINA_TZ).date(), rule.amount)
        return Deadline(
            due_at=end_of_china_day(result.day),
            provisional=result.provisional,
            rule_id=rule.rule_id,
        )


# ---- watching for next year's schedule ------------------------------------------------------


def watch_start(year: int, month_day: str) -> date:
    """The day of `year` from which next year's schedule is watched for (`MM-DD`)."""
    month, day = (int(part) for part in month_day.split("-"))
    return date(year, month, day)


def missing_next_year(calendar: WorkingDayCalendar, today: date, month_day: str) -> int | None:
    """Next year, if its holiday schedule is not installed and `today` (a China date) is on or
    after `month_day` (`MM-DD`, the watch's start; default 1 December): from then on deadlines
    run into that year, and every one that does is provisional and counted in no breach
    until the schedule is loaded (RULES.md "Working days")."""
    if today < watch_start(today.year, month_day):
        return None
    following = today.year + 1
    return None if calendar.knows_year(following) else following
