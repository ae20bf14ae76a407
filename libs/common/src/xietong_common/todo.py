"""待办: what an organisation (and, where a record names one, a person) owes now, most urgent
first — one to-do feed, the same shape in every service (issue 24), read from the service's
tracked deadlines. A service says only how its deadlines' subjects (`<kind>:<id>`) map to its
records: their path in the service and their title (`RecordLink`, in its `ServiceSpec`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ, WorkingDayCalendar
from xietong_common.deadlines.reminders import due_day
from xietong_common.pagination import PageParams
from xietong_common.tables import deadlines
from xietong_common.timeline import DeadlineOut

_d = deadlines.c
# Past this many days from today, working days left are not counted (a 10-year limit, REF-09
# `other` procedures): the walk stays short, and no one plans by that number at that range.
_COUNTED_WITHIN = timedelta(days=3660)


@dataclass(frozen=True)
class RecordLink:
    """The service's records of one kind, as its deadlines' subjects name them: `prefix` of
    the subject (`referral` in `referral:<id>`), the record's `path` in the service
    (`/referrals/{id}`), its name, and optionally how to title one: `id_column` (the record
    table's id) and `title` (an SQL expression over that table)."""

    prefix: str
    path: str
    label_zh: str
    label_en: str
    id_column: Any = None
    title: Any = None

    def link(self, record_id: str) -> str:
        return self.path.format(id=record_id)


class RecordOut(BaseModel):
    """The record a to-do is about, and where to open it in this service."""

    subject: str = Field(examples=["referral:0b9c2f4e-3d1a-4c5e-9f00-8a7b6c5d4e3f"])
    kind: str = Field(examples=["referral"])
    kind_zh: str | None = Field(default=None, examples=["案件移送"])
    id: str
    link: str | None = Field(
        default=None,
        description="its path in this service (GET it with the same token)",
        examples=["/referrals/0b9c2f4e-3d1a-4c5e-9f00-8a7b6c5d4e3f"],
    )
    title: str | None = Field(default=None, examples=["URB-002 某某建材有限公司"])
    reference: str | None = Field(
        default=None,
        description="its human reference where one exists (a receipt or case number)",
        examples=["涪移回〔2024〕12号"],
    )


class TodoItem(DeadlineOut):
    """One thing the organisation owes: the action, under which rule, by when, on which
    record, to whom; how many working days are left."""

    deadline_id: str
    counterparty: str | None = Field(
        default=None, description="the party kept waiting", examples=["town:lizhi"]
    )
    assignee: str | None = Field(
        default=None, description="the person the record names as owing it, if it names one"
    )
    started_at: datetime
    overdue: bool = Field(description="its final date has passed")
    working_days_left: int | None = Field(
        description="working days after today (China time) through the due day, with 调休; "
        "negative: working days since the due day; null beyond ten years",
        examples=[2],
    )
    record: RecordOut


@dataclass(frozen=True)
class TodoFilters:
    rules: Sequence[str] = ()
    counterparty: str | None = None
    kind: str | None = None
    mine: bool = False
    overdue: bool | None = None
    provisional: bool | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    records: Mapping[str, RecordLink] = field(default_factory=dict)


def _where(
    principal: Principal, filters: TodoFilters, now: datetime
) -> list[sa.ColumnElement[bool]]:
    where = [
        _d.organisation == principal.org,
        _d.satisfied_at.is_(None),
        _d.cancelled_at.is_(None),
    ]
    if filters.mine:
        where.append(_d.assignee == principal.user)
    if filters.rules:
        where.append(_d.rule.in_(list(filters.rules)))
    if filters.counterparty is not None:
        where.append(_d.counterparty == filters.counterparty)
    if filters.kind is not None:
        where.append(_d.subject.startswith(f"{filters.kind}:", autoescape=True))
    overdue = sa.and_(_d.provisional.is_(False), _d.due_at < now)
    if filters.overdue is not None:
        where.append(overdue if filters.overdue else sa.not_(overdue))
    if filters.provisional is not None:
        where.append(_d.provisional.is_(filters.provisional))
    if filters.due_before is not None:
        where.append(_d.due_at < filters.due_before)
    if filters.due_after is not None:
        where.append(_d.due_at >= filters.due_after)
    return where


def working_days_left(
    calendar: WorkingDayCalendar, today: date, due_days: Iterable[date]
) -> dict[date, int | None]:
    """For each due day: working days after `today` through it (negative: after it through
    today), walking the calendar once over the whole range; None beyond ten years."""
    wanted = set(due_days)
    near = {d for d in wanted if abs(d - today) <= _COUNTED_WITHIN}
    found: dict[date, int | None] = dict.fromkeys(wanted - near)
    if not near:
        return found
    first, last = min(near | {today}), max(near | {today})
    running, counted = 0, {}
    day = first
    while day <= last:
        running += calendar.is_working_day(day)
        counted[day] = running
        day += timedelta(days=1)
    for due in near:
        found[due] = counted[due] - counted[today]
    return found


def _record(
    subject: str,
    reference: str | None,
    records: Mapping[str, RecordLink],
    titles: Mapping[str, str],
) -> RecordOut:
    prefix, _, record_id = subject.partition(":")
    kind = records.get(prefix)
    return RecordOut(
        subject=subject,
        kind=prefix,
        kind_zh=kind.label_zh if kind else None,
        id=record_id,
        link=kind.link(record_id) if kind else None,
        title=titles.get(subject),
        reference=reference,
    )


async def _titles(
    session: AsyncSession, subjects: Iterable[str], records: Mapping[str, RecordLink]
) -> dict[str, str]:
    """The titles of the records, one query per kind of record on the page."""
    wanted: dict[str, list[uuid.UUID]] = {}
    for subject in subjects:
        prefix, _, record_id = subject.partition(":")
        kind = records.get(prefix)
        if kind is None or kind.id_column is None or kind.title is None:
            continue
        try:
            wanted.setdefault(prefix, []).append(uuid.UUID(record_id))
        except ValueError:
            continue
    titles: dict[str, str] = {}
    for prefix, ids in wanted.items():
        kind = records[prefix]
        rows = await session.execute(
            sa.select(kind.id_column, kind.title).where(kind.id_column.in_(ids))
        )
        for record_id, title in rows.all():
            if title:
                titles[f"{prefix}:{record_id}"] = str(title)
    return titles


async def owed(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: TodoFilters,
    paging: PageParams,
    now: datetime,
    calendar: WorkingDayCalendar,
) -> tuple[list[TodoItem], int]:
    """One page of what the caller's organisation owes (only what names the caller, with
    `mine`), earliest due first, and how many match."""
    # A deadline's last change: started, met, cancelled or found missed.
    changed = sa.func.greatest(_d.started_at, _d.satisfied_at, _d.cancelled_at, _d.breached_at)
    query = (
        sa.select(deadlines)
        .where(*_where(principal, filters, now), *paging.changed_since(changed))
        .order_by(_d.due_at, _d.started_at, _d.id)
    )
    total = (
        await session.execute(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        )
    ).scalar_one()
    rows = (
        (await session.execute(query.limit(paging.page_size).offset(paging.offset)))
        .mappings()
        .all()
    )
    today = now.astimezone(CHINA_TZ).date()
    left = working_days_left(calendar, today, (due_day(r["due_at"]) for r in rows))
    titles = await _titles(session, (r["subject"] for r in rows), filters.records)
    items = [
        TodoItem(
            deadline_id=str(r["id"]),
            rule=r["rule"],
            action=r["action"],
            organisation=r["organisation"],
            counterparty=r["counterparty"],
            assignee=r["assignee"],
            started_at=r["started_at"],
            due_at=r["due_at"],
            provisional=r["provisional"],
            breached_at=r["breached_at"],
            overdue=not r["provisional"] and r["due_at"] < now,
            working_days_left=left[due_day(r["due_at"])],
            record=_record(r["subject"], r["reference"], filters.records, titles),
        )
        for r in rows
    ]
    return items, int(total)
