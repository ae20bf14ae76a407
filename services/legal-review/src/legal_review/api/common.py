"""Shared pieces of the legal-review routes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from legal_review.models import Review
from legal_review.schemas import ReviewDetail, ReviewOut
from legal_review.service import queries
from legal_review.views import detail_out, review_out
from xietong_common.reference import OrgKind

# The kinds of organisation a step is for (Allowed(orgs=...)); whether the caller is THE town of
# the review is the use case's check.
TOWN = (OrgKind.TOWN,)  # the town's brigade, review body and head act on its reviews
JOINT_REVIEWERS = (OrgKind.TOWN, OrgKind.DEPARTMENT)  # REV-03: 联合会审 / 一案双审
JUSTICE_OFFICE = (OrgKind.JUSTICE_OFFICE,)  # REV-09: the town's 司法所


async def current(session: AsyncSession, review: Review) -> ReviewOut:
    """The review as it stands: its current round, due dates, who answers for what."""
    shown = await queries.shown(session, review)
    return review_out(shown.review, shown.current, shown.deadlines)


async def detail(session: AsyncSession, review: Review) -> ReviewDetail:
    """The review with everything it collected over its rounds."""
    shown, had = await queries.shown(session, review), await queries.history(session, review)
    return detail_out(
        shown.review,
        shown.current,
        shown.deadlines,
        rounds=had.rounds,
        materials=had.materials,
        joint_opinions=had.joint_opinions,
        advice=had.advice,
        documents=had.documents,
    )
