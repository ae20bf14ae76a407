"""Reads: inbox and outbox lists with filters, one file of a request (one request, its
deadlines and its timeline are the record's own verbs: `REQUEST.load_for`,
`REQUEST.deadlines_of`, `REQUEST.timeline`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.domain import AssistanceState
from assistance.models import AssistanceMaterial, AssistanceRequest, ObstructionFlag
from assistance.service.common import REQUEST
from xietong_common import materials
from xietong_common.auth import Principal
from xietong_common.contracts.assistance import AssistanceGround
from xietong_common.listing import Box, Listed, ListFilters
from xietong_common.pagination import PageParams

R = AssistanceRequest


class SortKey(StrEnum):
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    SUBMITTED_AT = "submitted_at"
    SUBMITTED_AT_DESC = "-submitted_at"
    DUE_AT = "due_at"
    DUE_AT_DESC = "-due_at"


@dataclass(frozen=True)
class RequestFilters(ListFilters[AssistanceState]):
    """The filters of every list, and the request's own."""

    matter_code: str | None = None
    counterparty: str | None = None
    ground: AssistanceGround | None = None
    urgent: bool | None = None
    flagged: bool | None = None
    sort: SortKey = SortKey.CREATED_AT_DESC


async def list_requests(
    session: AsyncSession,
    *,
    principal: Principal,
    box: Box,
    filters: RequestFilters,
    paging: PageParams,
    now: datetime,
) -> tuple[list[Listed[AssistanceRequest]], int]:
    """A party's inbox, outbox or everything it may see; the justice bureau sees all."""
    where = [REQUEST.in_box(box, principal.org)]
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
    return await REQUEST.page(session, *where, filters=filters, paging=paging, now=now)


async def material(
    session: AsyncSession, r: AssistanceRequest, material_id: uuid.UUID
) -> AssistanceMaterial:
    """One file of a request (404 when it is not that request's)."""
    return await materials.material_of(
        session, AssistanceMaterial, material_id, AssistanceMaterial.request_id == r.id
    )
