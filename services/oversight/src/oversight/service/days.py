"""The assessment's pre-aggregate (SUP-02): the ledger counted per organisation and China day.

`ledger_deadline_days` holds, per organisation, mechanism, rule and China day, the deadlines
due that day by outcome (`domain.day_figures`) and those started that day, and
`ledger_deadline_months` the same per month;
`ledger_fact_days` the other facts (refusals, flags, records: not the deadlines' own, which
are counted in their deadline) by kind, source, rule, outcome and the day they occurred. Both
are kept in the transaction that changes the ledger: a deadline's counts move from what it
was (before the facts of the transaction) to what it is; a new fact adds one. A year's
assessment then sums twelve months per organisation and rule (days only at a period's
ragged ends and in the current month) instead of counting every deadline. `recount` makes them again from the ledger itself (after a bulk import).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from oversight import domain
from oversight.models import (
    LedgerDeadline,
    LedgerDeadlineDay,
    LedgerDeadlineMonth,
    LedgerFact,
    LedgerFactDay,
)
from oversight.service import arrays
from xietong_common.calendar import CHINA_TZ


class CountedFact(Protocol):
    """What the day counts read of a fact (`ledger.Fact`)."""

    @property
    def organisation(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def rule(self) -> str | None: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def detail(self) -> dict[str, Any]: ...


class CountedDeadline(Protocol):
    """What the day counts read of a deadline's row (`LedgerDeadline`, `ledger.Deadline`)."""

    @property
    def organisation(self) -> str: ...
    @property
    def mechanism(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def breached_at(self) -> datetime | None: ...
    @property
    def met_at(self) -> datetime | None: ...
    @property
    def ended_at(self) -> datetime | None: ...
    @property
    def provisional(self) -> bool: ...


NONE = ""
"""A fact's rule or outcome where it has none (part of the key, so never NULL)."""
DEADLINE_FACTS = "deadline."  # the kinds of a deadline's own facts
DEADLINE_COUNTS = ("due", *domain.DAY_FIGURES, "started")
CHINA: sa.ColumnElement[str] = sa.literal_column(
    "'Asia/Shanghai'"
)  # inline, so GROUP BY sees the same expression

DeadlineDayKey = tuple[str, str, str, date]  # organisation, mechanism, rule, day
FactDayKey = tuple[str, str, str, str, str, bool, date]


def china_day(moment: datetime) -> date:
    """The China calendar day of a moment."""
    return moment.astimezone(CHINA_TZ).date()


@dataclass(frozen=True)
class DeadlineState:
    """What a deadline counts in: where (organisation, mechanism, rule, the days it is due
    and started on) and how (its outcome's facts)."""

    organisation: str
    mechanism: str
    rule: str
    due_day: date
    started_day: date
    breached: bool
    met: bool
    ended: bool
    provisional: bool

    @classmethod
    def of(cls, row: CountedDeadline) -> DeadlineState:
        return cls(
            organisation=row.organisation,
            mechanism=row.mechanism,
            rule=row.rule,
            due_day=china_day(row.due_at),
            started_day=china_day(row.started_at),
            breached=row.breached_at is not None,
            met=row.met_at is not None,
            ended=row.ended_at is not None,
            provisional=row.provisional,
        )

    def counts(self) -> dict[DeadlineDayKey, dict[str, int]]:
        where = (self.organisation, self.mechanism, self.rule)
        due = {"due": 1} | domain.day_figures(
            breached=self.breached, met=self.met, ended=self.ended, provisional=self.provisional
        )
        counts: dict[DeadlineDayKey, dict[str, int]] = defaultdict(dict)
        counts[(*where, self.due_day)] |= due
        counts[(*where, self.started_day)] |= {"started": 1}
        return counts


def fact_day_key(fact: CountedFact) -> FactDayKey:
    """Where a fact is counted: as the assessment groups facts (its outcome and whether the
    refused matter was the department's own are read from its detail)."""
    outcome = fact.detail.get("outcome")
    return (
        fact.organisation,
        fact.kind,
        fact.source,
        fact.rule or NONE,
        NONE if outcome is None else str(outcome),
        fact.detail.get("owned_matter") is True,
        china_day(fact.occurred_at),
    )


class DayCounts:
    """The changes one unit of work makes to the day counts, written in one statement per
    table (`write`), in the order of their keys so concurrent writers never deadlock."""

    def __init__(self) -> None:
        self.deadlines: dict[DeadlineDayKey, Counter[str]] = defaultdict(Counter)
        self.facts: Counter[FactDayKey] = Counter()

    def moved(self, before: DeadlineState | None, after: DeadlineState) -> None:
        """A deadline was `before` (None: new) and is `after`."""
        if before == after:
            return
        if before is not None:
            for key, counts in before.counts().items():
                self.deadlines[key].subtract(counts)
        for key, counts in after.counts().items():
            self.deadlines[key].update(counts)

    def fact(self, fact: CountedFact) -> None:
        """A new fact (a deadline's own is counted in its deadline)."""
        if not fact.kind.startswith(DEADLINE_FACTS):
            self.facts[fact_day_key(fact)] += 1

    async def write(self, session: AsyncSession) -> None:
        deadline_rows = [
            {
                "organisation": key[0],
                "mechanism": key[1],
                "rule": key[2],
                "day": key[3],
                **{name: counts[name] for name in DEADLINE_COUNTS},
            }
            for key, counts in sorted(self.deadlines.items())
            if any(counts[name] for name in DEADLINE_COUNTS)
        ]
        fact_rows = [
            {
                "organisation": key[0],
                "kind": key[1],
                "source": key[2],
                "rule": key[3],
                "outcome": key[4],
                "owned_matter": key[5],
                "day": key[6],
                "n": n,
            }
            for key, n in sorted(self.facts.items())
            if n
        ]
        months: dict[tuple[str, str, str, date], Counter[str]] = defaultdict(Counter)
        for key, counts in self.deadlines.items():
            months[(*key[:3], key[3].replace(day=1))].update(counts)
        month_rows = [
            {
                "organisation": key[0],
                "mechanism": key[1],
                "rule": key[2],
                "month": key[3],
                **{name: counts[name] for name in DEADLINE_COUNTS},
            }
            for key, counts in sorted(months.items())
            if any(counts[name] for name in DEADLINE_COUNTS)
        ]
        await _add(session, LedgerDeadlineDay, deadline_rows, DEADLINE_COUNTS)
        await _add(session, LedgerDeadlineMonth, month_rows, DEADLINE_COUNTS)
        await _add(session, LedgerFactDay, fact_rows, ("n",))
        self.deadlines.clear()
        self.facts.clear()


async def _add(
    session: AsyncSession, model: Any, rows: list[dict[str, Any]], counts: Sequence[str]
) -> None:
    """Add `rows`' counts to the day rows of their keys (made where missing), in one
    statement of arrays, in the rows' order (sorted: concurrent writers lock in one order)."""
    if not rows:
        return
    table: sa.Table = model.__table__
    statement = _ADDS.get(table.name)
    if statement is None:
        statement = _ADDS[table.name] = _adding(table, counts)
    names = [*(c.name for c in table.primary_key), *counts]
    await session.execute(statement, arrays.columns(rows, names))


_ADDS: dict[str, sa.TextClause] = {}


def _adding(table: sa.Table, counts: Sequence[str]) -> sa.TextClause:
    """The statement `_add` runs for `table` (prepared once, whatever the number of rows)."""
    keys = [c.name for c in table.primary_key]
    names = ", ".join(f'"{name}"' for name in [*keys, *counts])
    added = ", ".join(f'"{c}" = {table.name}."{c}" + EXCLUDED."{c}"' for c in counts)
    return sa.text(
        f"""
        INSERT INTO {table.name} ({names})
        SELECT {names} FROM {arrays.unnest(table, [*keys, *counts])}
        ORDER BY {arrays.ORDINAL}
        ON CONFLICT ({", ".join(f'"{k}"' for k in keys)}) DO UPDATE SET {added}
        """
    )


def _day(column: Any) -> sa.ColumnElement[date]:
    """The China day of a timestamp column, in SQL."""
    return sa.cast(sa.func.timezone(CHINA, column), sa.Date)


async def recount(session: AsyncSession) -> None:
    """Both day tables made again from the ledger as it stands (after rows were loaded in
    bulk, not through the use cases): the counts the use cases keep, counted at once."""
    d = LedgerDeadline
    outcomes = {
        name: sa.func.count().filter(condition) for name, condition in figure_conditions().items()
    }
    key = (d.organisation, d.mechanism, d.rule)
    due = sa.select(
        *key,
        _day(d.due_at).label("day"),
        sa.func.count().label("due"),
        *(c.label(n) for n, c in outcomes.items()),
        sa.literal(0).label("started"),
    ).group_by(*key, _day(d.due_at))
    started = sa.select(
        *key,
        _day(d.started_at).label("day"),
        *(sa.literal(0).label(n) for n in ("due", *domain.DAY_FIGURES)),
        sa.func.count().label("started"),
    ).group_by(*key, _day(d.started_at))
    both = sa.union_all(due, started).subquery()
    dd = cast("sa.Table", LedgerDeadlineDay.__table__)
    await session.execute(sa.delete(dd))
    await session.execute(
        dd.insert().from_select(
            ["organisation", "mechanism", "rule", "day", *DEADLINE_COUNTS],
            sa.select(
                both.c.organisation,
                both.c.mechanism,
                both.c.rule,
                both.c.day,
                *(sa.func.sum(both.c[n]) for n in DEADLINE_COUNTS),
            ).group_by(both.c.organisation, both.c.mechanism, both.c.rule, both.c.day),
        )
    )
    dm = cast("sa.Table", LedgerDeadlineMonth.__table__)
    month = sa.cast(sa.func.date_trunc("month", dd.c.day), sa.Date)
    await session.execute(sa.delete(dm))
    await session.execute(
        dm.insert().from_select(
            ["organisation", "mechanism", "rule", "month", *DEADLINE_COUNTS],
            sa.select(
                dd.c.organisation,
                dd.c.mechanism,
                dd.c.rule,
                month,
                *(sa.func.sum(dd.c[n]) for n in DEADLINE_COUNTS),
            ).group_by(dd.c.organisation, dd.c.mechanism, dd.c.rule, month),
        )
    )
    f = cast("sa.Table", LedgerFactDay.__table__)
    lf = LedgerFact
    grouped = (
        lf.organisation,
        lf.kind,
        lf.source,
        sa.func.coalesce(lf.rule, NONE),
        sa.func.coalesce(lf.detail["outcome"].astext, NONE),
        sa.func.coalesce(lf.detail["owned_matter"].astext, NONE) == "true",
        _day(lf.occurred_at),
    )
    await session.execute(sa.delete(f))
    await session.execute(
        f.insert().from_select(
            ["organisation", "kind", "source", "rule", "outcome", "owned_matter", "day", "n"],
            sa.select(*grouped, sa.func.count())
            .where(sa.not_(lf.kind.startswith(DEADLINE_FACTS, autoescape=True)))
            .group_by(*grouped),
        )
    )


def read_plan(first: date, last: date, today: date) -> tuple[list[date], list[tuple[date, date]]]:
    """How to sum the days `first`..`last` cheaply: the whole months in it read from the
    month counts (their first days) — but today's month, whose open deadlines are overdue
    or not by day — and the rest from the day counts (ranges of days, both ends included)."""
    months: list[date] = []
    ranges: list[tuple[date, date]] = []
    start = first
    while start <= last:
        month = start.replace(day=1)
        following = (month + timedelta(days=32)).replace(day=1)
        end = min(last, following - timedelta(days=1))
        whole = start == month and end == following - timedelta(days=1)
        if whole and month != today.replace(day=1):
            months.append(month)
        elif ranges and ranges[-1][1] + timedelta(days=1) == start:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
        start = following
    return months, ranges


def figure_conditions() -> dict[str, sa.ColumnElement[bool]]:
    """`domain.day_figures` as SQL conditions on a deadline's row."""
    d = LedgerDeadline
    breached, met, ended = (
        d.breached_at.is_not(None),
        d.met_at.is_not(None),
        d.ended_at.is_not(None),
    )
    clean, unmet, running = d.breached_at.is_(None), d.met_at.is_(None), d.ended_at.is_(None)
    final = d.provisional.is_(False)
    return {
        "breached": breached,
        "met_late": sa.and_(breached, met),
        "met_on_time": sa.and_(clean, met, final),
        "ended": sa.and_(clean, unmet, ended),
        "provisional": sa.and_(clean, running, d.provisional.is_(True)),
        "open": sa.and_(clean, unmet, running, final),
    }
