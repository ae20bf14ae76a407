"""Shared pieces of the referral routes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from referral import service as referral_service
from referral.errors import OnwardReferralForbidden
from referral.models import Referral
from referral.schemas import ReferralOut
from referral.service.common import REFERRAL
from referral.views import detail_of
from xietong_common.auth import Principal
from xietong_common.documents import issuing
from xietong_common.records import Db
from xietong_common.reference import OrgKind
from xietong_common.timeline import DeadlineOut
from xietong_common.web import Context

# The kinds of organisation a step is for (Allowed(orgs=...)); whether the caller is THE party of
# the case is the use case's check.
PARTIES = (OrgKind.TOWN, OrgKind.DEPARTMENT)  # REF-01: senders, receivers, assignees
DISTRICT_GOVERNMENT = (OrgKind.DISTRICT_GOV,)  # REF-08: decides a disputed jurisdiction


async def detail(
    db: Db,
    referral: Referral,
    ctx: Context,
    *,
    deadlines: list[DeadlineOut] | None = None,
    documents: list[issuing.IssuedDocument] | None = None,
) -> ReferralOut:
    """The referral as its parties see it, deadlines and documents included (read unless
    given, as a use case that just started them, or just made the referral, gives them). A
    unit of work's session is asked for only where something is read: one whose statements
    all ran by the driver has none (issue 22)."""
    if deadlines is None:
        deadlines = await REFERRAL.deadlines_of(db, referral.id)
    if documents is None:
        documents = await REFERRAL.documents_of(db, referral)
    return detail_of(referral, deadlines=deadlines, documents=documents, now=ctx.clock.now())


@asynccontextmanager
async def onward_attempts_recorded(
    ctx: Context, principal: Principal, referral_id: uuid.UUID | None = None
) -> AsyncIterator[None]:
    """REF-08: a refused attempt to refer a received case on rolls back with its request; it is
    recorded afterwards, on the cases it resembled, so their senders and oversight see it."""
    try:
        yield
    except OnwardReferralForbidden as refusal:
        async with ctx.db.uow(actor=principal) as uow:
            await referral_service.record_refused_attempt(uow, refusal, referral_id=referral_id)
        raise
