"""The assessment (SUP-02): per organisation and period, what was owed and what became of
it, and the facts behind it. Reads only; who sees what is decided here, for every route.

The justice bureau and the district government see every unit; a town or department sees
its own figures and rows only, and asking for another's is answered 404, as if it had none.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from oversight import domain
from oversight.domain import (
    COUNTED_KINDS,
    FACT_KINDS,
    FIGURES,
    Counts,
    OrganisationFigures,
    RulingOutcome,
    outcome_field,
)
from oversight.errors import InvalidPeriod, NotVisible
from oversight.models import (
    LedgerDeadline,
    LedgerDeadlineDay,
    LedgerDeadlineMonth,
    LedgerFact,
    LedgerFactDay,
    LedgerRuling,
)
from oversight.service import days
from oversight.service.common import DEADLINE, sees_everyone
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.reference import OrgKind, kind_of_code


def choose_period(
    period: str | None,
    first: date | None,
    last: date | None,
    *,
    today: date,
    max_range_days: int,
) -> domain.Period:
    """The period asked for (domain.choose_period), no longer than the setting allows."""
    chosen = domain.choose_period(period, first, last, today=today)
    if (chosen.last - chosen.first).days + 1 > max_range_days:
        raise InvalidPeriod(
            f"a range covers at most {max_range_days} days",
            zh=f"起止日期最长 {max_range_days} 天",
            max_range_days=max_range_days,
        )
    return chosen


BREACHED_SUFFIX = ":breached"  # a breach fact's key: `<deadline_id>:breached`


@dataclass(frozen=True)
class AssessmentFilters:
    organisation: str | None = None
    organisation_kind: OrgKind | None = None
    rules: tuple[str, ...] = ()
    mechanism: str | None = None


@dataclass(frozen=True)
class BreachFilters:
    organisation: str | None = None
    counterparty: str | None = None
    rules: tuple[str, ...] = ()
    mechanism: str | None = None
    met: bool | None = None


def _visible_org(principal: Principal, organisation: str | None) -> str | None:
    """The organisation the caller may ask about: any (None: all) for an overseer; its own
    for a unit, and 404 for another's."""
    if sees_everyone(principal):
        return organisation
    if organisation is not None and organisation != principal.org:
        raise NotVisible(
            "no figures of that organisation", zh="未找到该单位的考核数据", organisation=None
        )
    return principal.org


class _Scope(Protocol):
    """What an assessment's or a breach list's filters say of rules and mechanism."""

    @property
    def rules(self) -> tuple[str, ...]: ...

    @property
    def mechanism(self) -> str | None: ...


def _scoped(
    organisation_column: Any,
    rule_column: Any,
    mechanism_column: Any,
    organisation: str | None,
    filters: _Scope,
) -> list[sa.ColumnElement[bool]]:
    """The assessment's scope on one table's columns: the organisation seen, the rules and
    the mechanism asked for (each only when given)."""
    where: list[sa.ColumnElement[bool]] = []
    if organisation is not None:
        where.append(organisation_column == organisation)
    if filters.rules:
        where.append(rule_column.in_(filters.rules))
    if filters.mechanism is not None:
        where.append(mechanism_column == filters.mechanism)
    return where


def _deadline_filters(
    period: domain.Period, organisation: str | None, filters: _Scope
) -> list[sa.ColumnElement[bool]]:
    d = LedgerDeadline
    return [
        d.due_at >= period.start,
        d.due_at < period.end,
        *_scoped(d.organisation, d.rule, d.mechanism, organisation, filters),
    ]


def _fact_filters(
    period: domain.Period, organisation: str | None, filters: AssessmentFilters
) -> list[sa.ColumnElement[bool]]:
    """The counted facts of the period in the ledger's rows."""
    f = LedgerFact
    return [
        f.kind.in_(COUNTED_KINDS),
        f.occurred_at >= period.start,
        f.occurred_at < period.end,
        *_scoped(f.organisation, f.rule, f.source, organisation, filters),
    ]


def _outcomes(now: datetime) -> dict[str, sa.ColumnElement[Any]]:
    """Each deadline in exactly one of breached, met on time, ended, provisional, open
    (domain: a deadline's outcome); met late and open-overdue are parts of those."""
    d = LedgerDeadline
    breached = d.breached_at.is_not(None)
    clean = d.breached_at.is_(None)
    met = d.met_at.is_not(None)
    unmet = d.met_at.is_(None)
    ended = d.ended_at.is_not(None)
    running = d.ended_at.is_(None)
    is_open = sa.and_(clean, unmet, running, d.provisional.is_(False))
    count = sa.func.count
    return {
        "breached": count().filter(breached),
        "met_late": count().filter(breached, met),
        "met_on_time": count().filter(clean, met, d.provisional.is_(False)),
        "ended": count().filter(clean, unmet, ended),
        "provisional": count().filter(clean, running, d.provisional.is_(True)),
        "open": count().filter(is_open),
        "open_overdue": count().filter(is_open, d.due_at < now),
    }


async def assess(
    session: AsyncSession,
    *,
    principal: Principal,
    period: domain.Period,
    filters: AssessmentFilters,
    now: datetime,
) -> list[OrganisationFigures]:
    """SUP-02: each organisation's figures in the period (those with any), by code, summed
    from the day counts kept with the ledger (`days`); the rulings read from the rulings."""
    return await _assess(
        session, principal=principal, period=period, filters=filters, now=now, from_days=True
    )


async def assess_from_ledger(
    session: AsyncSession,
    *,
    principal: Principal,
    period: domain.Period,
    filters: AssessmentFilters,
    now: datetime,
) -> list[OrganisationFigures]:
    """The same figures as `assess`, counted from the ledger's rows deadline by deadline:
    what the day counts must always sum to (tests; a check after a bulk import)."""
    return await _assess(
        session, principal=principal, period=period, filters=filters, now=now, from_days=False
    )


async def _assess(
    session: AsyncSession,
    *,
    principal: Principal,
    period: domain.Period,
    filters: AssessmentFilters,
    now: datetime,
    from_days: bool,
) -> list[OrganisationFigures]:
    organisation = _visible_org(principal, filters.organisation)
    d, f = LedgerDeadline, LedgerFact
    by_org: dict[str, OrganisationFigures] = {}

    def of(code: str) -> OrganisationFigures:
        return by_org.setdefault(code, OrganisationFigures(code))

    count = _count_days if from_days else _count_ledger
    await count(session, of, period=period, organisation=organisation, filters=filters, now=now)
    fact_where = _fact_filters(period, organisation, filters)

    # SUP-01: the rulings on the same breaches and facts, by outcome. The facts stay counted
    # as recorded above; the excused are taken out only of the `..._after_rulings` figures.
    r = LedgerRuling
    breach_rulings = await session.execute(
        sa.select(d.organisation, r.outcome, sa.func.count())
        .select_from(d)
        .join(
            f,
            # From the ruling to its fact to its deadline (unique index): few rulings, and
            # none of the period's breaches read unless ruled on.
            sa.and_(
                d.mechanism == f.source,
                d.deadline_id == sa.func.left(f.fact_key, -len(BREACHED_SUFFIX)),
                f.kind == "deadline.breached",
                f.fact_key.endswith(BREACHED_SUFFIX, autoescape=True),
            ),
        )
        .join(r, r.fact_id == f.id)
        .where(
            *_deadline_filters(period, organisation, filters),
            d.breached_at.is_not(None),
        )
        .group_by(d.organisation, r.outcome)
    )
    for code, outcome, n in breach_rulings.all():
        _count_ruling(of(code), "breached", outcome, int(n))
    fact_rulings = await session.execute(
        sa.select(f.organisation, f.kind, r.outcome, sa.func.count())
        .select_from(f)
        .join(r, r.fact_id == f.id)
        .where(*fact_where, f.kind.in_(FACT_KINDS))
        .group_by(f.organisation, f.kind, r.outcome)
    )
    for code, kind, outcome, n in fact_rulings.all():
        _count_ruling(of(code), FACT_KINDS[kind], outcome, int(n))

    found = sorted(by_org.values(), key=lambda o: o.organisation)
    if filters.organisation_kind is not None:
        found = [o for o in found if kind_of_code(o.organisation) is filters.organisation_kind]
    return found


async def _count_ledger(
    session: AsyncSession,
    of: Callable[[str], OrganisationFigures],
    *,
    period: domain.Period,
    organisation: str | None,
    filters: AssessmentFilters,
    now: datetime,
) -> None:
    """The deadline and fact figures counted from the ledger's rows."""
    d, f = LedgerDeadline, LedgerFact
    outcomes = _outcomes(now)
    rows = await session.execute(
        sa.select(d.organisation, d.rule, *(c.label(n) for n, c in outcomes.items()))
        .where(*_deadline_filters(period, organisation, filters))
        .group_by(d.organisation, d.rule)
    )
    for row in rows.mappings():
        figures = of(row["organisation"])
        counts = {n: row[n] for n in FIGURES}
        figures.deadlines.add(counts)
        figures.by_rule.setdefault(row["rule"], Counts()).add(counts)

    started_where = [
        d.started_at >= period.start,
        d.started_at < period.end,
        *_scoped(d.organisation, d.rule, d.mechanism, organisation, filters),
    ]
    started = await session.execute(
        sa.select(d.organisation, sa.func.count()).where(*started_where).group_by(d.organisation)
    )
    for code, n in started.all():
        of(code).started = int(n)

    fact_where = _fact_filters(period, organisation, filters)
    outcome = f.detail["outcome"].astext
    owned = f.detail["owned_matter"].astext
    facts = await session.execute(
        sa.select(f.organisation, f.kind, outcome, owned, sa.func.count())
        .where(*fact_where)
        .group_by(f.organisation, f.kind, outcome, owned)
    )
    for code, kind, told, owned_matter, n in facts.all():
        _count_fact(of(code), kind, told, owned_matter == "true", int(n))


async def _count_days(
    session: AsyncSession,
    of: Callable[[str], OrganisationFigures],
    *,
    period: domain.Period,
    organisation: str | None,
    filters: AssessmentFilters,
    now: datetime,
) -> None:
    """The deadline and fact figures summed from the day counts: the whole months of the
    period from the month counts (but today's month), the other days from the day counts;
    of its open deadlines, those of the months and days before today are overdue, and of
    today's those due before `now` (counted from the ledger: one day of it)."""
    fd = LedgerFactDay
    today = days.china_day(now)
    months, ranges = days.read_plan(period.first, period.last, today)
    names = ("due", *domain.DAY_FIGURES, "started", "open_overdue")
    summed: dict[tuple[str, str], dict[str, int]] = {}
    for table, when, picked in (
        (LedgerDeadlineMonth, LedgerDeadlineMonth.month, [LedgerDeadlineMonth.month.in_(months)]),
        (
            LedgerDeadlineDay,
            LedgerDeadlineDay.day,
            [sa.or_(sa.false(), *(LedgerDeadlineDay.day.between(a, b) for a, b in ranges))],
        ),
    ):
        if not (months if table is LedgerDeadlineMonth else ranges):
            continue
        where = [
            *picked,
            *_scoped(table.organisation, table.rule, table.mechanism, organisation, filters),
        ]
        sums: dict[str, sa.ColumnElement[Any]] = {
            name: sa.func.sum(getattr(table, name)) for name in names[:-1]
        }
        # Open and due before today's month (months) or today (days): overdue.
        sums["open_overdue"] = sa.func.sum(table.open).filter(when < today)
        rows = await session.execute(
            sa.select(table.organisation, table.rule, *(c.label(n) for n, c in sums.items()))
            .where(*where)
            .group_by(table.organisation, table.rule)
        )
        for row in rows.mappings():
            into = summed.setdefault((row["organisation"], row["rule"]), dict.fromkeys(names, 0))
            for name in names:
                into[name] += int(row[name] or 0)
    overdue_today = await _open_overdue_today(
        session, period=period, organisation=organisation, filters=filters, now=now
    )
    for (code, rule), counted in sorted(summed.items()):
        if not counted["due"] and not counted["started"]:
            continue  # days whose deadlines moved to other days
        figures = of(code)
        figures.started += counted["started"]
        if not counted["due"]:
            continue  # started in the period, due in none of its days
        counts = {n: counted[n] for n in FIGURES}
        counts["open_overdue"] += overdue_today.get((code, rule), 0)
        figures.deadlines.add(counts)
        figures.by_rule.setdefault(rule, Counts()).add(counts)

    fact_where = [
        fd.kind.in_(COUNTED_KINDS),
        fd.day >= period.first,
        fd.day <= period.last,
        *_scoped(fd.organisation, fd.rule, fd.source, organisation, filters),
    ]
    facts = await session.execute(
        sa.select(fd.organisation, fd.kind, fd.outcome, fd.owned_matter, sa.func.sum(fd.n))
        .where(*fact_where)
        .group_by(fd.organisation, fd.kind, fd.outcome, fd.owned_matter)
    )
    for code, kind, told, owned_matter, n in facts.all():
        _count_fact(of(code), kind, told or None, owned_matter, int(n))


async def _open_overdue_today(
    session: AsyncSession,
    *,
    period: domain.Period,
    organisation: str | None,
    filters: AssessmentFilters,
    now: datetime,
) -> dict[tuple[str, str], int]:
    """The open deadlines due today before `now`, by organisation and rule (none unless
    today is a day of the period)."""
    today = days.china_day(now)
    if not period.first <= today <= period.last:
        return {}
    d = LedgerDeadline
    start = datetime.combine(today, time(0), tzinfo=CHINA_TZ).astimezone(UTC)
    where = _deadline_filters(period, organisation, filters)
    where += [d.due_at >= start, d.due_at < now, days.figure_conditions()["open"]]
    rows = await session.execute(
        sa.select(d.organisation, d.rule, sa.func.count())
        .where(*where)
        .group_by(d.organisation, d.rule)
    )
    return {(code, rule): int(n) for code, rule, n in rows.all()}


def _count_fact(
    figures: OrganisationFigures, kind: str, outcome: str | None, owned_matter: bool, n: int
) -> None:
    """A fact counted in its figure (refusals, flags, unread items) and by kind; a record by
    kind, per outcome where it has one."""
    if kind in FACT_KINDS:
        figures.facts[FACT_KINDS[kind]] += n
    if kind == "assistance.refused" and owned_matter:
        figures.refusals_owned_matter += n
    if kind in FACT_KINDS and domain.by_kind_figure(kind) == "records_by_kind":
        return  # unread items: their figure is their kind
    table = figures.by_kind[domain.by_kind_figure(kind)]
    key = f"{kind}:{outcome}" if kind in domain.OUTCOMES else kind
    table[key] = table.get(key, 0) + n


def _count_ruling(figures: OrganisationFigures, figure: str, outcome: str, n: int) -> None:
    if outcome == RulingOutcome.EXCUSED.value:
        figures.excused[figure] = figures.excused.get(figure, 0) + n
    name = outcome_field(RulingOutcome(outcome))
    figures.rulings[name] = figures.rulings.get(name, 0) + n


async def facts_of(
    session: AsyncSession,
    *,
    principal: Principal,
    organisation: str,
    period: domain.Period,
    limit: int = 200,
) -> list[LedgerFact]:
    """The refusals, flags, unread items and records (contests and rulings of refusals, the
    district government's decisions, serious findings reported, guidance given) of one
    organisation in the period, latest first."""
    _visible_org(principal, organisation)
    f = LedgerFact
    rows = await session.execute(
        sa.select(f)
        .where(
            f.organisation == organisation,
            f.kind.in_(COUNTED_KINDS),
            f.occurred_at >= period.start,
            f.occurred_at < period.end,
        )
        .order_by(f.occurred_at.desc(), f.id)
        .limit(limit)
    )
    return list(rows.scalars())


async def breaches(
    session: AsyncSession,
    *,
    principal: Principal,
    period: domain.Period,
    filters: BreachFilters,
    paging: PageParams,
) -> tuple[list[LedgerDeadline], int]:
    """SUP-02: the deadlines missed in the period (due in it), latest due first."""
    organisation = _visible_org(principal, filters.organisation)
    d = LedgerDeadline
    where = _deadline_filters(period, organisation, filters)
    where.append(d.breached_at.is_not(None))
    if filters.counterparty is not None:
        where.append(d.counterparty == filters.counterparty)
    if filters.met is not None:
        where.append(d.met_at.is_not(None) if filters.met else d.met_at.is_(None))
    rows, total = await fetch_page(
        session,
        sa.select(d).where(*where).order_by(d.due_at.desc(), d.id),
        paging,
        changed=d.updated_at,
    )
    return list(rows), total


async def deadline(
    session: AsyncSession, *, principal: Principal, ledger_id: uuid.UUID
) -> LedgerDeadline:
    """One deadline of the ledger: the organisation that owed it and the overseers see it."""
    return await DEADLINE.load_for(session, ledger_id, principal, lock=False)
