"""What oversight holds units to account for (SUP-01/SUP-02), without I/O.

**Periods.** An assessment covers China calendar days: a month (`2026-11`), a quarter
(`2026-Q4`), a year (`2026`), or `from`/`to` dates (both included). Years outside
2000–2100, a period that does not parse and a range that runs backwards are refused.

**A deadline's outcome.** Each deadline is counted in the period its due date falls in
(China time), under the organisation that owed the action, once:

- `met_on_time`: the action came, and no breach was ever recorded;
- `breached`: a breach was recorded (the sweep saw the date pass, the action came late, or
  the case ended after the date). A breach stays a breach: an action after it makes the
  deadline `met_late` as well, never on time; ending or replacing it afterwards changes
  nothing;
- `open`: nothing yet (neither met, breached nor ended);
- `ended`: replaced (`cancelled`, e.g. an agreed extension: the new deadline is counted) or
  the case ended another way (`closed`) before the date passed: not owed, so outside the
  denominator, but shown, so that a unit ending cases to escape deadlines is visible;
- `provisional`: its holiday year is not yet known (RULES.md, working days): counted in no
  breach until it is made final, shown apart.

`due` — the denominator of every rate — is what was owed: met on time + breached + open.

**Rulings (SUP-01).** The justice bureau rules on each breach, refusal, flag and unread item
it reviews: `confirmed`, `excused` (with a stated reason) or `referred-for-accountability`
(追责). A ruling never changes or removes the fact: the figures are shown as recorded and,
beside them, after rulings (what is left once the excused are taken out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from oversight.errors import InvalidPeriod
from xietong_common.calendar import CHINA_TZ
from xietong_common.schemas import MAX_YEAR, MIN_YEAR

OVERSEERS_NOTE = "the justice bureau and the district government see every unit"

# The rules whose deadlines each mechanism tracks: a service's deadline fact about another
# mechanism's rule is not its to report (a forged or mistaken fact), and is refused.
RULE_FAMILIES: dict[str, tuple[str, ...]] = {
    "info-sharing": ("INFO-",),
    "assistance": ("ASSIST-",),
    "referral": ("REF-",),
    "legal-review": ("REV-",),
    "joint-inspection": ("INSP-",),
    "secondment": ("SEC-",),
}

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


@dataclass(frozen=True)
class Period:
    """China calendar days `first`..`last`, both included."""

    label: str
    kind: PeriodKind
    first: date
    last: date

    @property
    def start(self) -> datetime:
        """00:00 China time of the first day, in UTC."""
        return datetime.combine(self.first, time(0), tzinfo=CHINA_TZ).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """00:00 China time of the day after the last, in UTC (excluded)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=CHINA_TZ).astimezone(
            UTC
        )


def _refuse(detail: str, zh: str) -> InvalidPeriod:
    return InvalidPeriod(detail, zh=zh)


def _year(text: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _refuse(
            f"the year must lie within {MIN_YEAR}..{MAX_YEAR}",
            f"年份须在 {MIN_YEAR} 至 {MAX_YEAR} 之间",
        )
    return year


def _month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)


def parse_period(text: str) -> Period:
    """`2026`, `2026-Q4` or `2026-11` → the period's China days."""
    text = text.strip()
    if found := _YEAR.fullmatch(text):
        year = _year(found.group(1))
        return Period(text, PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31))
    if found := _QUARTER.fullmatch(text):
        year, quarter = _year(found.group(1)), int(found.group(2))
        first_month = 3 * (quarter - 1) + 1
        return Period(
            text,
            PeriodKind.QUARTER,
            date(year, first_month, 1),
            _month_end(year, first_month + 2),
        )
    if found := _MONTH.fullmatch(text):
        year, month = _year(found.group(1)), int(found.group(2))
        if not 1 <= month <= 12:
            raise _refuse(f"no month {month}", f"月份 {month} 无效")
        return Period(text, PeriodKind.MONTH, date(year, month, 1), _month_end(year, month))
    raise _refuse(
        "a period is a year (2026), a quarter (2026-Q4) or a month (2026-11), or from/to dates",
        "考核期间应为年（2026）、季度（2026-Q4）、月（2026-11）或起止日期",
    )


def date_range(first: date, last: date) -> Period:
    """`from`/`to`: China days, both included."""
    for day in (first, last):
        _year(str(day.year).zfill(4))
    if last < first:
        raise _refuse("`to` is before `from`", "截止日期早于起始日期")
    return Period(f"{first.isoformat()}..{last.isoformat()}", PeriodKind.RANGE, first, last)


def choose_period(
    period: str | None, first: date | None, last: date | None, *, today: date
) -> Period:
    """One way of naming the period: `period`, or `from` and `to`; neither: this quarter."""
    if period is not None and (first is not None or last is not None):
        raise _refuse("give `period` or `from`/`to`, not both", "期间与起止日期只能选其一")
    if period is not None:
        return parse_period(period)
    if first is not None or last is not None:
        if first is None or last is None:
            raise _refuse("`from` and `to` go together", "起始日期与截止日期须同时给出")
        return date_range(first, last)
    return parse_period(current_quarter(today))


def current_quarter(today: date) -> str:
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def rate(part: int, whole: int) -> float | None:
    """`part` of `whole`, to four places; None when nothing was owed (no rate, not 100 %)."""
    return round(part / whole, 4) if whole else None


def rule_belongs_to(rule: str, mechanism: str) -> bool:
    """Whether `mechanism` tracks deadlines of `rule` (its own family of rules)."""
    return rule.startswith(RULE_FAMILIES.get(mechanism, ()))


FIGURES = ("breached", "met_late", "met_on_time", "ended", "provisional", "open", "open_overdue")
DAY_FIGURES = ("breached", "met_late", "met_on_time", "ended", "provisional", "open")
"""The figures of a deadline counted on the China day it falls due (open-overdue is the open
ones of days past, and of today those due before now)."""


def day_figures(*, breached: bool, met: bool, ended: bool, provisional: bool) -> dict[str, int]:
    """SUP-02: the figures a deadline counts in on the day it falls due — its outcome
    (breached, met on time, ended, provisional or open; met late is a part of breached),
    as the ledger tells it now."""
    clean, running = not breached, not ended
    return {
        "breached": int(breached),
        "met_late": int(breached and met),
        "met_on_time": int(clean and met and not provisional),
        "ended": int(clean and not met and ended),
        "provisional": int(clean and running and provisional),
        "open": int(clean and not met and running and not provisional),
    }


FACT_KINDS = {
    "assistance.refused": "refusals",  # ASSIST-03
    "inspection.support-refused": "refusals",  # INSP-03
    "referral.cooperation-not-given": "refusals",  # REF-10, against the sender
    "assistance.obstruction-flagged": "flags",  # ASSIST-02 推诿/刁难
    "referral.onward-referral-suspected": "flags",  # REF-08, held for the district government
    "referral.escalated": "flags",  # REF-08, reported to the district government
    "info.unread-overdue": "unread_overdue",  # INFO-03
}
"""The facts held against an organisation and ruled on (SUP-01), each with the figure of the
assessment it counts in (refusals and flags are also counted by kind)."""
RECORD_KINDS = (
    "assistance.refusal-contested",
    "assistance.refusal-ruled",
    "referral.onward-referral-decided",
    "referral.assigned",
    "referral.conclusion-period-changed",
    "inspection.serious-reported",
    "secondment.guidance-recorded",
    "review.request-withdrawn",
)
"""Facts recorded, shown and counted by kind, which are not a failing in themselves and so
are not ruled on here: a town's contest of a refusal and assistance's ruling on it (ASSIST-03),
the district government's decisions (REF-08), a conclusion period suspended, resumed or
extended (REF-09), serious findings reported (INSP-08), guidance
given (SEC-05), a joint inspection's review request a town withdrew (INSP-08/REV-01)."""
OUTCOMES: dict[str, tuple[str, ...]] = {
    "assistance.refusal-ruled": ("upheld", "not-upheld"),
    "referral.onward-referral-decided": ("released", "barred"),
    "referral.conclusion-period-changed": ("suspended", "resumed", "extended"),
}
"""Record kinds counted per outcome (`<kind>:<outcome>`, the fact's `detail.outcome`)."""
COUNTED_KINDS = (*FACT_KINDS, *RECORD_KINDS)


def kind_keys(kind: str) -> tuple[str, ...]:
    """The by-kind keys a kind is counted under (per outcome where it has one)."""
    return tuple(f"{kind}:{o}" for o in OUTCOMES[kind]) if kind in OUTCOMES else (kind,)


def by_kind_figure(kind: str) -> str:
    """Which by-kind table of the assessment a kind is counted in."""
    figure = FACT_KINDS.get(kind)
    return f"{figure}_by_kind" if figure in ("refusals", "flags") else "records_by_kind"


def empty_by_kind() -> dict[str, dict[str, int]]:
    tables: dict[str, dict[str, int]] = {
        "refusals_by_kind": {},
        "flags_by_kind": {},
        "records_by_kind": {},
    }
    for kind in COUNTED_KINDS:
        if kind in FACT_KINDS and by_kind_figure(kind) == "records_by_kind":
            continue  # unread items: a figure of their own
        tables[by_kind_figure(kind)].update(dict.fromkeys(kind_keys(kind), 0))
    return tables


@dataclass
class Counts:
    """The deadline figures of one organisation (or one of its rules)."""

    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))

    def add(self, other: dict[str, int]) -> None:
        for name in FIGURES:
            self.values[name] += int(other.get(name, 0))

    @property
    def due(self) -> int:
        return self.values["met_on_time"] + self.values["breached"] + self.values["open"]


@dataclass
class OrganisationFigures:
    organisation: str
    deadlines: Counts = field(default_factory=Counts)
    by_rule: dict[str, Counts] = field(default_factory=dict)
    started: int = 0
    facts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FACT_KINDS.values(), 0))
    # Refusals and flags by kind, and the records (not ruled on) by kind and outcome.
    by_kind: dict[str, dict[str, int]] = field(default_factory=empty_by_kind)
    refusals_owned_matter: int = 0
    # SUP-01: how many of its breaches, refusals, flags and unread items were excused (per
    # figure: breached, refusals, ...), and its rulings by outcome (confirmed, excused,
    # referred) over the same items.
    excused: dict[str, int] = field(default_factory=dict)
    rulings: dict[str, int] = field(default_factory=dict)


class RulingOutcome(StrEnum):
    """SUP-01: what the justice bureau rules on a fact it reviews (督察认定)."""

    CONFIRMED = "confirmed"  # 认定属实
    EXCUSED = "excused"  # 予以免责: with a stated reason, e.g. a holiday schedule published late
    REFERRED = "referred-for-accountability"  # 移送追责


RULABLE_KINDS = ("deadline.breached", *FACT_KINDS)
"""The facts a ruling may be given on: breaches, refusals, flags, items left unread."""
AFTER_RULINGS = {"deadline.breached": "breached", **FACT_KINDS}
"""Each rulable kind and the figure of the assessment it counts in."""


def outcome_field(outcome: RulingOutcome) -> str:
    """The assessment's column counting rulings of this outcome."""
    return outcome.value.split("-")[0]
