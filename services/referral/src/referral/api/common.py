"""Shared pieces of the referral routes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from referral.models import Referral
from referral.schemas import ReferralOut
from referral.service.common import REFERRAL
from referral.views import detail_of
from xietong_common.reference import OrgKind
from xietong_common.timeline import DeadlineOut
from xietong_common.web import Context

# The kinds of organisation a step is for (Allowed(orgs=...)); whether the caller is THE party of
# the case is the use case's check.
PARTIES = (OrgKind.TOWN, OrgKind.DEPARTMENT)  # REF-01: senders, receivers, assignees
DISTRICT_GOVERNMENT = (OrgKind.DISTRICT_GOV,)  # REF-08: decides a disputed jurisdiction


async def detail(
    session: AsyncSession,
    referral: Referral,
    ctx: Context,
    *,
    deadlines: list[DeadlineOut] | None = None,
) -> ReferralOut:
    """The referral as its parties see it, deadlines included (read unless given, as a use
    case that just started them gives them)."""
    if deadlines is None:
        deadlines = await REFERRAL.deadlines_of(session, referral.id)
    return detail_of(referral, deadlines=deadlines, now=ctx.clock.now())
