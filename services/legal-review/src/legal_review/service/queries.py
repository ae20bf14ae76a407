"""Reads: the review queue, one review with its rounds, its timeline."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from legal_review.models import (
    JointOpinion,
    JusticeOfficeAdvice,
    Review,
    ReviewMaterial,
    ReviewRound,
)
from legal_review.schemas import ReviewDetail, ReviewOut, ReviewPage
from legal_review.service.common import load_visible, subject
from legal_review.views import advice_out, joint_out, material_out, review_out, round_out
from xietong_common.auth import Principal
from xietong_common.listing import DeadlineQueries
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.reference import OVERSIGHT_ORG, OrgKind, kind_of_code
from xietong_common.timeline import TimelineEntry, deadlines_by_subject, subject_timeline


def _visible_filter(principal: Principal) -> sa.ColumnElement[bool]:
    if principal.org == OVERSIGHT_ORG:
        return sa.true()
    if kind_of_code(principal.org) is OrgKind.JUSTICE_OFFICE:
        return Review.town_justice_office == principal.org  # REV-09: the town it serves
    return sa.or_(Review.town == principal.org, Review.joint_departments.contains([principal.org]))


DEADLINES = DeadlineQueries("review", Review.id)
SORTS = ("created_at", "-created_at", "updated_at", "-updated_at", "due_at")


async def queue(
    session: AsyncSession,
    *,
    principal: Principal,
    now: datetime,
    paging: PageParams,
    states: list[str] | None = None,
    town: str | None = None,
    opinion: str | None = None,
    party_kind: str | None = None,
    due_before: datetime | None = None,
    overdue: bool | None = None,
    sort: str = "-created_at",
) -> ReviewPage:
    """A review body's queue (or the justice bureau's view of all), newest first by default,
    or by the nearest open deadline (`due_at`)."""
    query = sa.select(Review).where(_visible_filter(principal))
    if states:
        query = query.where(Review.state.in_(states))
    if town:
        query = query.where(Review.town == town)
    if party_kind:
        query = query.where(Review.party["kind"].astext == party_kind)
    if opinion:
        query = query.join(
            ReviewRound,
            sa.and_(ReviewRound.review_id == Review.id, ReviewRound.number == Review.round),
        ).where(ReviewRound.opinion == opinion)
    query = query.where(*DEADLINES.filters(now=now, due_before=due_before, overdue=overdue))
    if sort == "due_at":  # the most urgent first; reviews owing nothing last
        query = query.order_by(DEADLINES.order(), Review.created_at, Review.id)
    else:
        column = {"created_at": Review.created_at, "updated_at": Review.updated_at}[
            sort.lstrip("-")
        ]
        query = query.order_by(column.desc() if sort.startswith("-") else column.asc(), Review.id)
    reviews, total = await fetch_page(session, query, paging)
    rounds = {
        (r.review_id, r.number): r
        for r in (
            await session.execute(
                sa.select(ReviewRound).where(ReviewRound.review_id.in_([r.id for r in reviews]))
            )
        ).scalars()
    }
    due = await deadlines_by_subject(session, [subject(r.id) for r in reviews])
    items = [review_out(r, rounds[(r.id, r.round)], due.get(subject(r.id), [])) for r in reviews]
    return ReviewPage.of(items, total=total, paging=paging)


async def one(session: AsyncSession, review: Review) -> ReviewOut:
    rnd = (
        await session.execute(
            sa.select(ReviewRound).where(
                ReviewRound.review_id == review.id, ReviewRound.number == review.round
            )
        )
    ).scalar_one()
    due = await deadlines_by_subject(session, [subject(review.id)])
    return review_out(review, rnd, due.get(subject(review.id), []))


async def detail(
    session: AsyncSession, *, review_id: uuid.UUID, principal: Principal
) -> ReviewDetail:
    review = await load_visible(session, review_id, principal)
    base = await one(session, review)
    rounds = (
        await session.execute(
            sa.select(ReviewRound)
            .where(ReviewRound.review_id == review.id)
            .order_by(ReviewRound.number)
        )
    ).scalars()
    materials = (
        await session.execute(
            sa.select(ReviewMaterial)
            .where(ReviewMaterial.review_id == review.id)
            .order_by(ReviewMaterial.uploaded_at)
        )
    ).scalars()
    joints = (
        await session.execute(
            sa.select(JointOpinion)
            .where(JointOpinion.review_id == review.id)
            .order_by(JointOpinion.given_at)
        )
    ).scalars()
    advice = (
        await session.execute(
            sa.select(JusticeOfficeAdvice)
            .where(JusticeOfficeAdvice.review_id == review.id)
            .order_by(JusticeOfficeAdvice.given_at)
        )
    ).scalars()
    return ReviewDetail(
        **dict(base),
        rounds=[round_out(r) for r in rounds],
        materials=[material_out(m) for m in materials],
        joint_opinions=[joint_out(j) for j in joints],
        advice=[advice_out(a) for a in advice],
    )


async def timeline(
    session: AsyncSession, *, review_id: uuid.UUID, principal: Principal
) -> list[TimelineEntry]:
    """Every recorded step of the case (audit log) and its deadlines, in time order."""
    review = await load_visible(session, review_id, principal)
    return await subject_timeline(session, subject(review.id))
