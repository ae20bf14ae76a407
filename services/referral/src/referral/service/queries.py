"""Reads: inbox and outbox lists with filters (one referral and its timeline are the record's
own verbs, `REFERRAL.load_for` and `REFERRAL.timeline`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from referral.domain import ReferralState
from referral.models import Referral
from referral.service.common import REFERRAL
from xietong_common.auth import Principal
from xietong_common.listing import Box, Listed, ListFilters
from xietong_common.pagination import PageParams


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
class ReferralFilters(ListFilters[ReferralState]):
    """The filters of every list, and the referral's own."""

    matter_code: str | None = None
    counterparty: str | None = None
    urgent: bool | None = None
    possible_onward: bool | None = None
    procedure_flagged: bool | None = None
    sort: SortKey = SortKey.CREATED_AT_DESC


async def list_referrals(
    session: AsyncSession,
    *,
    principal: Principal,
    box: Box,
    filters: ReferralFilters,
    paging: PageParams,
    now: datetime,
) -> tuple[list[Listed[Referral]], int]:
    """A party's inbox, outbox or everything it may see; the justice bureau sees all."""
    where = [REFERRAL.in_box(box, principal.org)]
    if filters.matter_code:
        where.append(Referral.matter_code == filters.matter_code)
    if filters.counterparty:
        cp = filters.counterparty
        where.append(
            sa.or_(Referral.sender == cp, Referral.receiver == cp, Referral.assignee == cp)
        )
    if filters.urgent is not None:
        where.append(Referral.urgent.is_(filters.urgent))
    if filters.possible_onward is not None:
        flagged = Referral.possible_onward_of.is_not(None)
        where.append(flagged if filters.possible_onward else sa.not_(flagged))
    if filters.procedure_flagged is not None:
        marked = Referral.procedure_flag.is_not(None)
        where.append(marked if filters.procedure_flagged else sa.not_(marked))
    return await REFERRAL.page(session, *where, filters=filters, paging=paging, now=now)
