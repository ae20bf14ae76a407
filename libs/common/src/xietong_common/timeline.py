"""A case's timeline and deadlines, read the same way by every mechanism.

Every service records its steps in the audit log and its statutory deadlines in the
`deadlines` table, both keyed by a subject (`referral:<id>`, `review:<id>`); this module
turns them into the API shapes all services return.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field, computed_field
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from xietong_common.calendar import CHINA_TZ, due_labels
from xietong_common.tables import audit_log, deadlines


class DeadlineOut(BaseModel):
    """A statutory deadline on a case: who owes what by when. Stored and given in UTC
    (`due_at`), shown in China time (`due_at_local`, `due_label_zh`, `due_label_en`)."""

    rule: str = Field(examples=["REF-07"])
    action: str = Field(examples=["answer"])
    organisation: str = Field(examples=["dept:ecology-environment"])
    due_at: datetime = Field(examples=["2024-02-21T16:00:00Z"])
    provisional: bool = Field(
        description="its year's holiday schedule is not yet known: the date counts weekends "
        "only, is recomputed once the schedule is loaded, and is counted in no breach until then"
    )
    satisfied_at: datetime | None = None
    breached_at: datetime | None = None

    @computed_field(  # type: ignore[prop-decorator]
        description="the due moment in China Standard Time (Asia/Shanghai)",
        examples=["2024-02-22T00:00:00+08:00"],
    )
    @property
    def due_at_local(self) -> datetime:
        return self.due_at.astimezone(CHINA_TZ)

    @computed_field(  # type: ignore[prop-decorator]
        description="as it is written in Chinese documents",
        examples=["2024年2月21日24时前"],
    )
    @property
    def due_label_zh(self) -> str:
        return due_labels(self.due_at, provisional=self.provisional)[0]

    @computed_field(  # type: ignore[prop-decorator]
        examples=["by 24:00 on 2024-02-21 (China time)"],
    )
    @property
    def due_label_en(self) -> str:
        return due_labels(self.due_at, provisional=self.provisional)[1]


class TimelineEntry(BaseModel):
    """One moment of a case: an audited action or a deadline event."""

    at: datetime
    kind: Literal["action", "deadline-started", "deadline-met", "deadline-breached"]
    action: str = Field(examples=["referral.sent"])
    rule: str | None = Field(default=None, examples=["REF-03"])
    actor: str | None = None
    org: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


def deadline_out(row: RowMapping) -> DeadlineOut:
    return DeadlineOut(
        rule=row["rule"],
        action=row["action"],
        organisation=row["organisation"],
        due_at=row["due_at"],
        provisional=row["provisional"],
        satisfied_at=row["satisfied_at"],
        breached_at=row["breached_at"],
    )


# Built once, the subjects a parameter: a record's page reads it on every GET, and a
# statement built anew costs its construction and its cache key each time (issue 22).
_DEADLINES_OF = (
    sa.select(deadlines)
    .where(
        deadlines.c.subject.in_(sa.bindparam("subjects", expanding=True)),
        deadlines.c.cancelled_at.is_(None),
    )
    .order_by(deadlines.c.started_at)
)
# One record's (a GET by id): an equality, which the compiled form takes as it is (an
# expanding IN is rewritten for the number of its values on every execution).
_DEADLINES_OF_ONE = (
    sa.select(deadlines)
    .where(deadlines.c.subject == sa.bindparam("subject"), deadlines.c.cancelled_at.is_(None))
    .order_by(deadlines.c.started_at)
)


# What a deadline's answer is made of, in this order in `deadlines_column`'s rows.
_FIELDS = ("rule", "action", "organisation", "due_at", "provisional", "satisfied_at", "breached_at")


def deadlines_column(subject: sa.ColumnElement[str]) -> sa.ColumnElement[Any]:
    """The deadlines of `subject` (an SQL expression of the statement it is put in) as one
    column of that statement, in `deadlines_by_subject`'s order: an array of rows, which
    `deadlines_from` makes answers of. A record read by id carries its deadlines so, instead
    of a statement of their own (issue 22)."""
    rows = (
        sa.select(sa.func.row(*(deadlines.c[f] for f in _FIELDS)))
        .where(deadlines.c.subject == subject, deadlines.c.cancelled_at.is_(None))
        .order_by(deadlines.c.started_at)
    )
    return sa.func.array(rows.scalar_subquery(), type_=NullType())


def deadlines_from(rows: Iterable[Any]) -> list[DeadlineOut]:
    """The answers of `deadlines_column`'s rows."""
    return [DeadlineOut(**dict(zip(_FIELDS, row, strict=True))) for row in rows]


async def deadlines_by_subject(
    session: AsyncSession, subjects: Iterable[str]
) -> dict[str, list[DeadlineOut]]:
    """Every deadline (open or closed, not cancelled) of each subject, oldest first."""
    wanted = list(subjects)
    if not wanted:
        return {}
    rows = (
        await session.execute(_DEADLINES_OF_ONE, {"subject": wanted[0]})
        if len(wanted) == 1
        else await session.execute(_DEADLINES_OF, {"subjects": wanted})
    ).mappings()
    out: dict[str, list[DeadlineOut]] = {}
    for row in rows:
        out.setdefault(row["subject"], []).append(deadline_out(row))
    return out


async def subject_timeline(session: AsyncSession, subject: str) -> list[TimelineEntry]:
    """Every audited action on the subject and every deadline it started, met or missed."""
    entries: list[TimelineEntry] = []
    audited = (
        await session.execute(
            sa.select(audit_log).where(audit_log.c.subject == subject).order_by(audit_log.c.seq)
        )
    ).mappings()
    for row in audited:
        breach = str(row["action"]).startswith("deadline.breached")
        entries.append(
            TimelineEntry(
                at=row["at"],
                kind="deadline-breached" if breach else "action",
                action=row["action"],
                rule=row["rule"],
                actor=row["actor"],
                org=row["org"],
                detail=dict(row["detail"] or {}),
            )
        )
    for row in (
        await session.execute(sa.select(deadlines).where(deadlines.c.subject == subject))
    ).mappings():
        info = {
            "organisation": row["organisation"],
            "due_at": row["due_at"].isoformat(),
            "provisional": row["provisional"],
            "cancelled": row["cancelled_at"] is not None,
        }
        entries.append(
            TimelineEntry(
                at=row["started_at"],
                kind="deadline-started",
                action=row["action"],
                rule=row["rule"],
                org=row["organisation"],
                detail=info,
            )
        )
        if row["satisfied_at"] is not None:
            entries.append(
                TimelineEntry(
                    at=row["satisfied_at"],
                    kind="deadline-met",
                    action=row["action"],
                    rule=row["rule"],
                    org=row["organisation"],
                    detail={**info, "late": row["satisfied_at"] > row["due_at"]},
                )
            )
    entries.sort(key=lambda e: e.at)
    return entries
