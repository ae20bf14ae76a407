"""Reads: the review queue, a review with its current round, its history (one review and its
timeline are the record's own verbs, `REVIEW.load_for` and `REVIEW.timeline`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from legal_review.domain import ReviewState
from legal_review.errors import ReviewNotFound
from legal_review.models import (
    JointOpinion,
    JusticeOfficeAdvice,
    Review,
    ReviewMaterial,
    ReviewRound,
)
from legal_review.service.common import REVIEW, current_round
from xietong_common import materials
from xietong_common.auth import Principal
from xietong_common.contracts.review import ReviewOpinionKind
from xietong_common.documents import IssuedDocument, issuing
from xietong_common.listing import ListFilters
from xietong_common.pagination import PageParams
from xietong_common.parties import PartyKind
from xietong_common.reference import OVERSIGHT_ORG, OrgKind, kind_of_code
from xietong_common.timeline import DeadlineOut

T = TypeVar("T")


class SortKey(StrEnum):
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    UPDATED_AT = "updated_at"
    UPDATED_AT_DESC = "-updated_at"
    DUE_AT = "due_at"
    DUE_AT_DESC = "-due_at"


@dataclass(frozen=True)
class ReviewFilters(ListFilters[ReviewState]):
    """The filters of every list, and the review's own."""

    town: str | None = None
    opinion: ReviewOpinionKind | None = None
    party_kind: PartyKind | None = None
    sort: SortKey = SortKey.CREATED_AT_DESC


@dataclass(frozen=True)
class Shown:
    """A review as every response shows it: with its current round and its deadlines."""

    review: Review
    current: ReviewRound
    deadlines: Sequence[DeadlineOut]


def _visible_to(principal: Principal) -> sa.ColumnElement[bool]:
    if principal.org == OVERSIGHT_ORG:
        return sa.true()
    if kind_of_code(principal.org) is OrgKind.JUSTICE_OFFICE:
        return Review.town_justice_office == principal.org  # REV-09: the town it serves
    return sa.or_(Review.town == principal.org, Review.joint_departments.contains([principal.org]))


async def queue(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: ReviewFilters,
    paging: PageParams,
    now: datetime,
) -> tuple[list[Shown], int]:
    """A review body's queue (or the justice bureau's view of all), newest first by default,
    or by the nearest open deadline (`due_at`)."""
    where = [_visible_to(principal)]
    if filters.town:
        where.append(Review.town == filters.town)
    if filters.party_kind:
        where.append(Review.party["kind"].astext == filters.party_kind.value)
    if filters.opinion:
        current = sa.select(ReviewRound.review_id).where(
            ReviewRound.number == Review.round, ReviewRound.opinion == filters.opinion.value
        )
        where.append(Review.id.in_(current))
    listed, total = await REVIEW.page(session, *where, filters=filters, paging=paging, now=now)
    keys = [(x.record.id, x.record.round) for x in listed]
    rounds = {
        (r.review_id, r.number): r
        for r in (
            await session.execute(
                sa.select(ReviewRound).where(
                    sa.tuple_(ReviewRound.review_id, ReviewRound.number).in_(keys)
                )
            )
        ).scalars()
    }
    shown = [Shown(x.record, rounds[x.record.id, x.record.round], x.deadlines) for x in listed]
    return shown, total


async def shown(session: AsyncSession, review: Review) -> Shown:
    return Shown(
        review, await current_round(session, review), await REVIEW.deadlines_of(session, review.id)
    )


@dataclass(frozen=True)
class History:
    """Everything a review collected over its rounds, oldest first."""

    rounds: list[ReviewRound]
    materials: list[ReviewMaterial]
    joint_opinions: list[JointOpinion]
    advice: list[JusticeOfficeAdvice]
    documents: list[IssuedDocument]


async def history(session: AsyncSession, review: Review) -> History:
    async def rows(query: sa.Select[T]) -> list[T]:
        return list((await session.execute(query)).scalars())

    subject = REVIEW.subject_of(review.id)
    return History(
        rounds=await rows(
            sa.select(ReviewRound)
            .where(ReviewRound.review_id == review.id)
            .order_by(ReviewRound.number)
        ),
        materials=await rows(
            sa.select(ReviewMaterial)
            .where(ReviewMaterial.review_id == review.id)
            .order_by(ReviewMaterial.uploaded_at)
        ),
        joint_opinions=await rows(
            sa.select(JointOpinion)
            .where(JointOpinion.review_id == review.id)
            .order_by(JointOpinion.given_at)
        ),
        advice=await rows(
            sa.select(JusticeOfficeAdvice)
            .where(JusticeOfficeAdvice.review_id == review.id)
            .order_by(JusticeOfficeAdvice.given_at)
        ),
        documents=(await issuing.of_subjects(session, [subject])).get(subject, []),
    )


async def material(session: AsyncSession, review: Review, material_id: uuid.UUID) -> ReviewMaterial:
    """REV-04: a file of the review (the review's own 404 otherwise)."""
    return await materials.material_of(
        session,
        ReviewMaterial,
        material_id,
        ReviewMaterial.review_id == review.id,
        not_found=ReviewNotFound,
    )
