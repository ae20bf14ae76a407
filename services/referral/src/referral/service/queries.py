"""Reads: one referral, inbox/outbox lists with filters, a case's timeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from referral.domain import ReferralState
from referral.models import Referral
from referral.schemas import DeadlineOut, TimelineEntry
from referral.service.common import parties, subject_of
from referral.views import deadline_out
from xietong_common.auth import DISTRICT_GOV, OVERSIGHT_ORG, Principal, ensure_party
from xietong_common.errors import NotFound
from xietong_common.tables import deadlines as deadlines_table
from xietong_common.timeline import subject_timeline

REPORTED = "report-to-district-gov"


class Box(StrEnum):
    """Which referrals a list shows."""

    INBOX = "inbox"
    OUTBOX = "outbox"
    ALL = "all"


class SortKey(StrEnum):
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    FOUND_AT = "found_at"
    FOUND_AT_DESC = "-found_at"
    SENT_AT = "sent_at"
    SENT_AT_DESC = "-sent_at"
    DUE_AT = "due_at"
    DUE_AT_DESC = "-due_at"


@dataclass(frozen=True)
class ListFilters:
    states: Sequence[ReferralState] = ()
    matter_code: str | None = None
    counterparty: str | None = None
    due_before: datetime | None = None
    overdue: bool | None = None
    urgent: bool | None = None
    sort: SortKey = SortKey.CREATED_AT_DESC
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True)
class Listed:
    referral: Referral
    next_due: DeadlineOut | None
    overdue: bool


def _subject_expr() -> sa.ColumnElement[str]:
    return sa.func.concat("referral:", sa.cast(Referral.id, sa.Text))


def _open_deadlines() -> sa.ColumnElement[bool]:
    d = deadlines_table.c
    return sa.and_(d.subject == _subject_expr(), d.satisfied_at.is_(None), d.cancelled_at.is_(None))


def _next_due() -> sa.ScalarSelect[Any]:
    return (
        sa.select(sa.func.min(deadlines_table.c.due_at)).where(_open_deadlines()).scalar_subquery()
    )


def _overdue(now: datetime) -> sa.ColumnElement[bool]:
    d = deadlines_table.c
    return sa.exists().where(_open_deadlines(), d.provisional.is_(False), d.due_at < now)


def _box(box: Box, principal: Principal) -> sa.ColumnElement[bool]:
    org = principal.org
    received = sa.and_(
        Referral.state != ReferralState.DRAFT.value,
        sa.or_(
            Referral.receiver == org,
            Referral.assignee == org,
            sa.and_(sa.literal(org == DISTRICT_GOV), Referral.answer_decision == REPORTED),
        ),
    )
    if box is Box.INBOX:
        return received
    if box is Box.OUTBOX:
        return Referral.sender == org
    if org == OVERSIGHT_ORG:
        return sa.true()
    return sa.or_(Referral.sender == org, received)


def _sort(key: SortKey) -> list[sa.ColumnElement[Any]]:
    column: Any = {
        "created_at": Referral.created_at,
        "found_at": Referral.found_at,
        "sent_at": Referral.sent_at,
        "due_at": _next_due(),
    }[key.value.lstrip("-")]
    ordered = column.desc().nulls_last() if key.value.startswith("-") else column.asc().nulls_last()
    return [ordered, Referral.id]


async def list_referrals(
    session: AsyncSession, *, principal: Principal, box: Box, filters: ListFilters, now: datetime
) -> tuple[list[Listed], int]:
    """A party's inbox, outbox or everything it may see; the justice bureau sees all."""
    where = [_box(box, principal)]
    if filters.states:
        where.append(Referral.state.in_([s.value for s in filters.states]))
    if filters.matter_code:
        where.append(Referral.matter_code == filters.matter_code)
    if filters.counterparty:
        cp = filters.counterparty
        where.append(
            sa.or_(Referral.sender == cp, Referral.receiver == cp, Referral.assignee == cp)
        )
    if filters.due_before is not None:
        where.append(_next_due() < filters.due_before)
    if filters.overdue is not None:
        where.append(_overdue(now) if filters.overdue else ~_overdue(now))
    if filters.urgent is not None:
        where.append(Referral.urgent.is_(filters.urgent))
    total = (
        await session.execute(sa.select(sa.func.count()).select_from(Referral).where(*where))
    ).scalar_one()
    rows = (
        (
            await session.execute(
                sa.select(Referral)
                .where(*where)
                .order_by(*_sort(filters.sort))
                .limit(filters.page_size)
                .offset((filters.page - 1) * filters.page_size)
            )
        )
        .scalars()
        .all()
    )
    due = await _earliest_open(session, [subject_of(r.id) for r in rows])
    listed = []
    for r in rows:
        next_due = due.get(subject_of(r.id))
        late = bool(next_due and not next_due.provisional and next_due.due_at < now)
        listed.append(Listed(referral=r, next_due=next_due, overdue=late))
    return listed, int(total)


async def _earliest_open(session: AsyncSession, subjects: list[str]) -> dict[str, DeadlineOut]:
    if not subjects:
        return {}
    d = deadlines_table.c
    rows = (
        (
            await session.execute(
                sa.select(deadlines_table)
                .where(d.subject.in_(subjects), d.satisfied_at.is_(None), d.cancelled_at.is_(None))
                .order_by(d.due_at.desc())
            )
        )
        .mappings()
        .all()
    )
    return {row["subject"]: deadline_out(row) for row in rows}


async def get(session: AsyncSession, *, referral_id: uuid.UUID, principal: Principal) -> Referral:
    """One referral, for its parties and oversight only (others get 404)."""
    referral = await session.get(Referral, referral_id)
    if referral is None:
        raise NotFound("no such referral")
    ensure_party(principal, parties(referral).visible_to(), what="referral")
    return referral


async def deadlines_of(session: AsyncSession, referral_id: uuid.UUID) -> list[DeadlineOut]:
    d = deadlines_table.c
    rows = (
        (
            await session.execute(
                sa.select(deadlines_table)
                .where(d.subject == subject_of(referral_id), d.cancelled_at.is_(None))
                .order_by(d.started_at, d.due_at)
            )
        )
        .mappings()
        .all()
    )
    return [deadline_out(r) for r in rows]


async def timeline(
    session: AsyncSession, *, referral_id: uuid.UUID, principal: Principal
) -> list[TimelineEntry]:
    """Every audited action on the case and every deadline it started, met or missed."""
    await get(session, referral_id=referral_id, principal=principal)
    return await subject_timeline(session, subject_of(referral_id))
