"""Working days (工作日) on the State Council holiday calendar, with 调休.

RULES.md "Working days": N working days count from the day after the triggering event
and end at 24:00 China Standard Time on the Nth working day; "24 hours" is clock time.
Years the `chinesecalendar` library knows come from it; other years come from override
files an operator installs (`xietong calendar load FILE`) when the State Council
publishes the next schedule. A deadline reaching into a year nobody knows is computed on
weekends alone and marked provisional: it is shown as such, counted in no breach, and
recomputed once the year is loaded.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

CHINA_TZ = ZoneInfo("Asia/Shanghai")
_MAX_SCAN_DAYS = 3660  # a deadline of N working days never needs more than this


class CalendarError(ValueError):
    """An override file is not a valid holiday schedule."""


class Holiday(BaseModel):
    """A public holiday: one day or a range of days (inclusive)."""

    name: str
    start: date
    end: date | None = None

    def days(self) -> list[date]:
        last = self.end or self.start
        return [self.start + timedelta(days=i) for i in range((last - self.start).days + 1)]


class YearSchedule(BaseModel):
    """One year's schedule as the State Council publishes it: holidays and 调休 workdays."""

    year: int = Field(ge=2000, le=2200)
    holidays: list[Holiday] = Field(default_factory=list)
    adjusted_workdays: list[date] = Field(
        default_factory=list, description="weekend days that are working days (调休上班)"
    )
    source: str | None = Field(default=None, description="e.g. 国办发明电〔2026〕N号")

    @model_validator(mode="after")
    def _consistent(self) -> YearSchedule:
        holiday_days = {d for h in self.holidays for d in h.days()}
        for h in self.holidays:
            if h.end is not None and h.end < h.start:
                raise ValueError(f"holiday {h.name!r} ends before it starts")
        for d in holiday_days | set(self.adjusted_workdays):
            if d.year != self.year:
                raise ValueError(f"{d} is outside the year {self.year}")
        both = holiday_days & set(self.adjusted_workdays)
        if both:
            raise ValueError(f"days both holiday and workday: {sorted(both)}")
        for d in self.adjusted_workdays:
            if d.weekday() < 5:
                raise ValueError(f"adjusted workday {d} is not a weekend day")
        return self

    @property
    def holiday_days(self) -> set[date]:
        return {d for h in self.holidays for d in h.days()}


@dataclass(frozen=True)
class DeadlineRule:
    """How long a party has under a rule: N working days, or N clock hours."""

    rule_id: str
    unit: Literal["working_days", "hours"]
    amount: int

    def __post_init__(self) -> None:
        if self.amount < 1:
            raise ValueError(f"{self.rule_id}: a deadline needs at least one {self.unit}")

    @classmethod
    def working_days(cls, n: int, *, rule_id: str) -> DeadlineRule:
        return cls(rule_id=rule_id, unit="working_days", amount=n)

    @classmethod
    def hours(cls, n: int, *, rule_id: str) -> DeadlineRule:
        return cls(rule_id=rule_id, unit="hours", amount=n)


@dataclass(frozen=True)
class WorkingDayResult:
    day: date
    provisional: bool


@dataclass(frozen=True)
class Deadline:
    """When an action is due (UTC), and whether that date is still provisional."""

    due_at: datetime
    provisional: bool
    rule_id: str

    @property
    def local_due(self) -> datetime:
        return self.due_at.astimezone(CHINA_TZ)

    def is_breached(self, at: datetime) -> bool:
        """Late only on a final date: a provisional deadline is counted in no breach."""
        return not self.provisional and at > self.due_at


def _read_schedule_file(path: Path) -> list[YearSchedule]:
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CalendarError(f"{path}: cannot read: {exc}") from exc
    items = raw.get("years", raw) if isinstance(raw, dict) and "years" in raw else raw
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise CalendarError(f"{path}: expected a year schedule or a list of them")
    schedules = []
    for i, item in enumerate(items):
        try:
            schedules.append(YearSchedule.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise CalendarError(
                f"{path}: entry {i + 1}{' ' + where if where else ''}: {first['msg']}"
            ) from exc
    return schedules


def load_schedule_file(path: Path) -> list[YearSchedule]:
    """Read and validate an override file (YAML or JSON; one year or a list of years)."""
    return _read_schedule_file(path)


def default_overrides_dir() -> Path:
    env = os.environ.get("XIETONG_CALENDAR_DIR")
    if env:
        return Path(env)
    from xietong_common.settings import project_root

    return project_root() / "data" / "calendar"


def install_schedule(path: Path, overrides_dir: Path | None = None) -> list[YearSchedule]:
    """Validate a schedule file and copy it into the overrides directory (`calendar load`)."""
    schedules = load_schedule_file(path)
    target_dir = overrides_dir or default_overrides_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    years = "-".join(str(s.year) for s in schedules)
    target = target_dir / f"schedule-{years}{path.suffix or '.yaml'}"
    tmp = target.with_suffix(target.suffix + ".tmp")
    shutil.copyfile(path, tmp)
    tmp.replace(target)
    return schedules


class WorkingDayCalendar:
    """Working days from chinesecalendar plus operator overrides (overrides win)."""

    def __init__(
        self, overrides: dict[int, YearSchedule] | None = None, *, overrides_dir: Path | None = None
    ) -> None:
        self._overrides = dict(overrides or {})
        self._overrides_dir = overrides_dir
        self._seen: dict[Path, float] = {}
        first, last = _library_years()
        self._library_years = range(first, last + 1)

    @classmethod
    def load(cls, overrides_dir: Path | None = None) -> WorkingDayCalendar:
        calendar = cls(overrides_dir=overrides_dir or default_overrides_dir())
        calendar.reload_if_changed()
        return calendar

    def reload_if_changed(self) -> bool:
        """Pick up newly installed schedule files; True if anything changed."""
        directory = self._overrides_dir
        if directory is None or not directory.is_dir():
            return False
        files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
        stamps = {p: p.stat().st_mtime for p in files}
        if stamps == self._seen:
            return False
        overrides: dict[int, YearSchedule] = {}
        for path in files:
            for schedule in load_schedule_file(path):
                overrides[schedule.year] = schedule
        self._overrides = overrides
        self._seen = stamps
        return True

    def add_year(self, schedule: YearSchedule) -> None:
        self._overrides[schedule.year] = schedule

    def knows_year(self, year: int) -> bool:
        return year in self._overrides or year in self._library_years

    def known_years(self) -> list[int]:
        return sorted(set(self._library_years) | set(self._overrides))

    def is_working_day(self, day: date) -> bool:
        """Known years: the official calendar. Unknown years: Monday to Friday."""
        schedule = self._overrides.get(day.year)
        if schedule is not None:
            if day in schedule.holiday_days:
                return False
            if day in schedule.adjusted_workdays:
                return True
            return day.weekday() < 5
        if day.year in self._library_years:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> WorkingDayResult:
        """The Nth working day after `start` (start itself not counted)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        day = start
        counted = 0
        provisional = False
        for _ in range(_MAX_SCAN_DAYS):
            day += timedelta(days=1)
            provisional |= not self.knows_year(day.year)
            if self.is_working_day(day):
                counted += 1
                if counted == n:
                    return WorkingDayResult(day=day, provisional=provisional)
        raise ValueError(f"no {n} working days found after {start}")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def deadline_for(self, event_time: datetime, rule: DeadlineRule) -> Deadline:
        """When the action the rule requires is due, for an event at `event_time`."""
        if event_time.tzinfo is None:
            raise ValueError("event_time must be timezone-aware")
        if rule.unit == "hours":
            due = event_time.astimezone(UTC) + timedelta(hours=rule.amount)
            return Deadline(due_at=due, provisional=False, rule_id=rule.rule_id)
        local_day = event_time.astimezone(CHINA_TZ).date()
        result = self.add_working_days(local_day, rule.amount)
        # 24:00 CST on the last working day = 00:00 CST of the next day.
        end = datetime.combine(result.day + timedelta(days=1), time(0), tzinfo=CHINA_TZ)
        return Deadline(
            due_at=end.astimezone(UTC), provisional=result.provisional, rule_id=rule.rule_id
        )


def _library_years() -> tuple[int, int]:
    years = sorted({d.year for d in chinese_calendar.constants.holidays})
    return years[0], years[-1]
