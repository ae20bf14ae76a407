"""三(四)/SUP-02: how each organisation performed, per period — requests, acceptances,
refusals by ground and refusals of an owned matter (ASSIST-03), deliveries, missed deadlines
and flags of shirking or obstruction.

Each figure is counted in the period of its own moment (a refusal when it was made, a missed
deadline when it fell due), in China time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.domain import ExtensionDecision, PeriodUnit, Step
from assistance.models import AssistanceRequest, ExtensionRequest, ObstructionFlag
from assistance.service.common import COMPLETE, RESPOND
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ, end_of_china_day
from xietong_common.contracts.assistance import RefusalGround
from xietong_common.errors import Forbidden
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG
from xietong_common.tables import audit_log, deadlines

READERS_OF_ALL = (OVERSIGHT_ORG, DISTRICT_GOV)
R, E, F = AssistanceRequest, ExtensionRequest, ObstructionFlag


@dataclass(frozen=True)
class Window:
    """Whole China-time days from `start` to `end` (inclusive), cut into periods."""

    start: date
    end: date
    unit: PeriodUnit

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=CHINA_TZ).astimezone(UTC)

    @property
    def until(self) -> datetime:
        return end_of_china_day(self.end)


@dataclass
class Figures:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def readable_organisations(principal: Principal, organisation: str | None) -> str | None:
    """The justice bureau and the district government read every organisation's figures;
    a town or a department reads its own."""
    if principal.org in READERS_OF_ALL:
        return organisation
    if organisation is not None and organisation != principal.org:
        raise Forbidden(
            "an organisation reads its own figures; the justice bureau reads all",
            zh="各单位只能查看本单位的统计，区司法局可查看全部",
        )
    return principal.org


def _bucket(column: Any, unit: PeriodUnit) -> Any:
    """The period a moment falls in, in China time."""
    return sa.func.date_trunc(unit.value, sa.func.timezone("Asia/Shanghai", column))


def _in(column: Any, window: Window) -> sa.ColumnElement[bool]:
    return sa.and_(column >= window.since, column < window.until)


async def _count(
    session: AsyncSession,
    figures: dict[tuple[str, date], Figures],
    name: str | dict[str, str],
    org: Any,
    moment: Any,
    window: Window,
    *where: Any,
    by: Any = None,
) -> None:
    """Add `count(*)` per organisation and period (and per `by`, mapped to names) to figures."""
    bucket = _bucket(moment, window.unit).label("bucket")
    columns = [org.label("org"), bucket, sa.func.count().label("n")]
    group = [org, bucket]
    if by is not None:
        columns.append(by.label("by"))
        group.append(by)
    query = sa.select(*columns).where(_in(moment, window), *where).group_by(*group)
    for row in (await session.execute(query)).mappings():
        label = name if isinstance(name, str) else name.get(str(row["by"]))
        if label is None or row["org"] is None:
            continue
        key = (str(row["org"]), row["bucket"].date())
        figures.setdefault(key, Figures()).add(label, int(row["n"]))


async def performance(
    session: AsyncSession, *, window: Window, organisation: str | None
) -> dict[tuple[str, date], Figures]:
    """Every figure of every organisation (or one), per period of the window."""
    figures: dict[tuple[str, date], Figures] = {}
    submitted = R.submitted_at.is_not(None)
    department = audit_log.c.detail["department"].astext
    refused = {
        RefusalGround.FORBIDDEN_BY_LAW.value: "refused_forbidden_by_law",
        RefusalGround.OUTSIDE_POWERS.value: "refused_outside_powers",
    }
    missed = {RESPOND: "responses_missed", COMPLETE: "completions_missed"}
    await _count(session, figures, "requested", R.town, R.submitted_at, window)
    await _count(session, figures, "received", R.department, R.submitted_at, window)
    await _count(session, figures, "withdrawn", R.town, R.withdrawn_at, window, submitted)
    await _count(session, figures, "accepted", R.department, R.accepted_at, window)
    await _count(session, figures, refused, R.department, R.refused_at, window, by=R.refusal_ground)
    await _count(
        session,
        figures,
        "refused_owned_matter",
        R.department,
        R.refused_at,
        window,
        R.refused_owned_matter.is_(True),
    )
    await _count(session, figures, "completed", R.department, R.confirmed_at, window)
    for action, name in ((Step.DELIVER, "delivered"), (Step.RETURN, "results_returned")):
        await _count(
            session,
            figures,
            name,
            department,
            audit_log.c.at,
            window,
            audit_log.c.action == f"assistance.{action.value}",
        )
    await _count(
        session,
        figures,
        "extensions_agreed",
        R.department,
        E.decided_at,
        window,
        R.id == E.request_id,
        E.decision == ExtensionDecision.AGREED.value,
    )
    await _count(session, figures, "obstruction_flags_raised", F.town, F.flagged_at, window)
    await _count(session, figures, "obstruction_flags_received", F.department, F.flagged_at, window)
    d = deadlines.c
    await _count(
        session,
        figures,
        missed,
        d.organisation,
        d.due_at,
        window,
        d.breached_at.is_not(None),
        d.subject.startswith("assistance:"),
        by=d.action,
    )
    if organisation is not None:
        figures = {k: v for k, v in figures.items() if k[0] == organisation}
    return figures


def period_label(start: date, unit: PeriodUnit) -> str:
    if unit is PeriodUnit.YEAR:
        return f"{start.year}"
    if unit is PeriodUnit.QUARTER:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def period_end(start: date, unit: PeriodUnit) -> date:
    months = {PeriodUnit.MONTH: 1, PeriodUnit.QUARTER: 3, PeriodUnit.YEAR: 12}[unit]
    month = start.month - 1 + months
    following = date(start.year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def ordered(figures: dict[tuple[str, date], Figures]) -> Iterable[tuple[str, date, Figures]]:
    for (org, start), found in sorted(figures.items()):
        yield org, start, found
