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
from xietong_common.auth import Principal, ensure_party
from xietong_common.errors import NotFound
from xietong_common.listing import DeadlineQueries, is_overdue, next_due
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG
from xietong_common.timeline import deadlines_by_subject, subject_timeline

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
    possible_onward: bool | None = None
    sort: SortKey = SortKey.CREATED_AT_DESC


@dataclass(frozen=True)
class Listed:
    referral: Referral
    next_due: DeadlineOut | None
    overdue: bool


DEADLINES = DeadlineQueries("referral", Referral.id)


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


def _sort(key: SortKey) -> list[Any]:
    descending = key.value.startswith("-")
    name = key.value.lstrip("-")
    if name == "due_at":
        return [DEADLINES.order(descending=descending), Referral.id]
    column: Any = {
        "created_at": Referral.created_at,
        "found_at": Referral.found_at,
        "sent_at": Referral.sent_at,
    }[name]
    return [column.desc().nulls_last() if descending else column.asc().nulls_last(), Referral.id]


async def list_referrals(
    session: AsyncSession,
    *,
    principal: Principal,
    box: Box,
    filters: ListFilters,
    paging: PageParams,
    now: datetime,
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
    where += DEADLINES.filters(now=now, due_before=filters.due_before, overdue=filters.overdue)
    if filters.urgent is not None:
        where.append(Referral.urgent.is_(filters.urgent))
    if filters.possible_onward is not None:
        flagged = Referral.possible_onward_of.is_not(None)
        where.append(flagged if filters.possible_onward else sa.not_(flagged))
    query = sa.select(Referral).where(*where).order_by(*_sort(filters.sort))
    rows, total = await fetch_page(session, query, paging)
    due = await deadlines_by_subject(session, [subject_of(r.id) for r in rows])
    listed = []
    for r in rows:
        mine = due.get(subject_of(r.id), [])
        listed.append(Listed(referral=r, next_due=next_due(mine), overdue=is_overdue(mine, now)))
    return listed, total


async def get(session: AsyncSession, *, referral_id: uuid.UUID, principal: Principal) -> Referral:
    """One referral, for its parties and oversight only (others get 404)."""
    referral = await session.get(Referral, referral_id)
    if referral is None:
        raise NotFound("no such referral", zh="未找到该移送案件")
    ensure_party(principal, parties(referral).visible_to(), what="referral")
    return referral


async def deadlines_of(session: AsyncSession, referral_id: uuid.UUID) -> list[DeadlineOut]:
    subject = subject_of(referral_id)
    return (await deadlines_by_subject(session, [subject])).get(subject, [])


async def timeline(
    session: AsyncSession, *, referral_id: uuid.UUID, principal: Principal
) -> list[TimelineEntry]:
    """Every audited action on the case and every deadline it started, met or missed."""
    await get(session, referral_id=referral_id, principal=principal)
    return await subject_timeline(session, subject_of(referral_id))
