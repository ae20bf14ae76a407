"""Reads: one request, inbox and outbox lists with filters, a request's timeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.domain import AssistanceState
from assistance.models import AssistanceMaterial, AssistanceRequest, ObstructionFlag
from assistance.schemas import DeadlineOut, TimelineEntry
from assistance.service.common import parties, subject_of
from xietong_common.auth import Principal, ensure_party
from xietong_common.contracts.assistance import AssistanceGround
from xietong_common.errors import NotFound
from xietong_common.listing import DeadlineQueries, is_overdue, next_due
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.reference import OVERSIGHT_ORG
from xietong_common.timeline import deadlines_by_subject, subject_timeline


class Box(StrEnum):
    """Which requests a list shows."""

    INBOX = "inbox"
    OUTBOX = "outbox"
    ALL = "all"


class SortKey(StrEnum):
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    SUBMITTED_AT = "submitted_at"
    SUBMITTED_AT_DESC = "-submitted_at"
    DUE_AT = "due_at"
    DUE_AT_DESC = "-due_at"


@dataclass(frozen=True)
class ListFilters:
    states: Sequence[AssistanceState] = ()
    matter_code: str | None = None
    counterparty: str | None = None
    ground: AssistanceGround | None = None
    due_before: datetime | None = None
    overdue: bool | None = None
    urgent: bool | None = None
    flagged: bool | None = None
    sort: SortKey = SortKey.CREATED_AT_DESC


@dataclass(frozen=True)
class Listed:
    request: AssistanceRequest
    next_due: DeadlineOut | None
    overdue: bool


DEADLINES = DeadlineQueries("assistance", AssistanceRequest.id)
R = AssistanceRequest


def _box(box: Box, principal: Principal) -> sa.ColumnElement[bool]:
    org = principal.org
    received = sa.and_(R.department == org, R.state != AssistanceState.DRAFT.value)
    if box is Box.INBOX:
        return received
    if box is Box.OUTBOX:
        return R.town == org
    if org == OVERSIGHT_ORG:
        return sa.true()
    return sa.or_(R.town == org, received)


def _sort(key: SortKey) -> list[Any]:
    descending = key.value.startswith("-")
    name = key.value.lstrip("-")
    if name == "due_at":
        return [DEADLINES.order(descending=descending), R.id]
    column: Any = {"created_at": R.created_at, "submitted_at": R.submitted_at}[name]
    return [column.desc().nulls_last() if descending else column.asc().nulls_last(), R.id]


async def list_requests(
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
        where.append(R.state.in_([s.value for s in filters.states]))
    if filters.matter_code:
        where.append(R.matter_code == filters.matter_code)
    if filters.counterparty:
        where.append(sa.or_(R.town == filters.counterparty, R.department == filters.counterparty))
    if filters.ground is not None:
        where.append(R.ground == filters.ground.value)
    if filters.urgent is not None:
        where.append(R.urgent.is_(filters.urgent))
    if filters.flagged is not None:
        has_flag = sa.exists().where(ObstructionFlag.request_id == R.id)
        where.append(has_flag if filters.flagged else ~has_flag)
    where += DEADLINES.filters(now=now, due_before=filters.due_before, overdue=filters.overdue)
    query = sa.select(R).where(*where).order_by(*_sort(filters.sort))
    rows, total = await fetch_page(session, query, paging)
    due = await deadlines_by_subject(session, [subject_of(r.id) for r in rows])
    listed = []
    for r in rows:
        mine = due.get(subject_of(r.id), [])
        listed.append(Listed(request=r, next_due=next_due(mine), overdue=is_overdue(mine, now)))
    return listed, total


async def get(
    session: AsyncSession, *, request_id: uuid.UUID, principal: Principal
) -> AssistanceRequest:
    """One request, for its parties and oversight only (others get 404)."""
    r = await session.get(AssistanceRequest, request_id)
    if r is None:
        raise NotFound("no such assistance request", zh="未找到该执法协助请求")
    ensure_party(principal, parties(r).visible_to(), what="assistance request")
    return r


async def material(
    session: AsyncSession, *, request_id: uuid.UUID, material_id: uuid.UUID, principal: Principal
) -> AssistanceMaterial:
    """One file of a request, for the request's parties."""
    r = await get(session, request_id=request_id, principal=principal)
    found = next((m for m in r.materials if m.id == material_id), None)
    if found is None:
        raise NotFound("no such material", zh="未找到该材料")
    return found


async def deadlines_of(session: AsyncSession, request_id: uuid.UUID) -> list[DeadlineOut]:
    subject = subject_of(request_id)
    return (await deadlines_by_subject(session, [subject])).get(subject, [])


async def timeline(
    session: AsyncSession, *, request_id: uuid.UUID, principal: Principal
) -> list[TimelineEntry]:
    """Every audited step with its rule, and every deadline started, met or missed."""
    await get(session, request_id=request_id, principal=principal)
    return await subject_timeline(session, subject_of(request_id))
