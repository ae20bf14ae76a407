"""The review body's and the agency head's routes; joint modes (REV-03) and 司法所 (REV-09)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from legal_review import service as review_service
from legal_review.api.common import JOINT_REVIEWERS, JUSTICE_OFFICE, TOWN, current
from legal_review.domain import ReviewPoint
from legal_review.schemas import (
    AdviceOut,
    DecisionIn,
    JointIn,
    JointOpinionIn,
    JointOpinionOut,
    JusticeOfficeAdviceIn,
    MaterialsNoticeIn,
    OpinionIn,
    PointIn,
    ReviewOut,
)
from legal_review.service.common import HEAD_ROLES, JOINT_ROLES, REVIEWER_ROLES, TOWN_ROLES
from legal_review.views import advice_out, joint_out
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.problems import WRITE_ERRORS

router = APIRouter(prefix="/reviews", tags=["reviews"])


@router.post(
    "/{review_id:uuid}/take",
    response_model=ReviewOut,
    summary="REV-02: a reviewer takes the case",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=REVIEWER_ROLES, orgs=TOWN)],
)
async def take(review_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> ReviewOut:
    """Refused to anyone who handled the case, whatever roles they hold."""
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.take(uow, review_id=review_id, actor=principal)
        return await current(uow.session, review)


@router.post(
    "/{review_id:uuid}/materials-notice",
    response_model=ReviewOut,
    summary="REV-05: notify missing materials, once, with a deadline",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=REVIEWER_ROLES, orgs=TOWN)],
)
async def materials_notice(
    review_id: uuid.UUID, data: MaterialsNoticeIn, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    """One notice per submission (一次性告知) listing everything missing; a second is refused."""
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.notify_missing(
            uow, ctx=ctx, review_id=review_id, data=data, actor=principal
        )
        return await current(uow.session, review)


@router.put(
    "/{review_id:uuid}/points/{point}",
    response_model=ReviewOut,
    summary="REV-06: record one of the nine points",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=REVIEWER_ROLES, orgs=TOWN)],
)
async def record_point(
    review_id: uuid.UUID,
    point: ReviewPoint,
    data: PointIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> ReviewOut:
    """Passed or failed, with a note; recording a point again replaces it."""
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.record_point(
            uow, review_id=review_id, point=point, data=data, actor=principal
        )
        return await current(uow.session, review)


@router.post(
    "/{review_id:uuid}/opinion",
    response_model=ReviewOut,
    summary="REV-07: the written opinion (one of five)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=REVIEWER_ROLES, orgs=TOWN)],
)
async def give_opinion(
    review_id: uuid.UUID, data: OpinionIn, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    """Only once all nine points are answered; published as `review.opinion`."""
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.give_opinion(
            uow, ctx=ctx, review_id=review_id, data=data, actor=principal
        )
        return await current(uow.session, review)


@router.post(
    "/{review_id:uuid}/decision",
    response_model=ReviewOut,
    summary="REV-08: the agency head's decision",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HEAD_ROLES, orgs=TOWN)],
)
async def decide(
    review_id: uuid.UUID, data: DecisionIn, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    """Against the opinion only with a written reason; published as `review.decided`."""
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.decide(uow, review_id=review_id, data=data, actor=principal)
        return await current(uow.session, review)


@router.post(
    "/{review_id:uuid}/joint",
    response_model=ReviewOut,
    summary="REV-03: 一案双审 or 联合会审 with district departments",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=JOINT_ROLES, orgs=TOWN)],
)
async def add_joint(
    review_id: uuid.UUID, data: JointIn, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    """The invited departments can then see the review and give their opinion."""
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.add_joint(
            uow, ctx=ctx, review_id=review_id, data=data, actor=principal
        )
        return await current(uow.session, review)


@router.post(
    "/{review_id:uuid}/joint-opinions",
    response_model=JointOpinionOut,
    status_code=201,
    summary="REV-03: a department's parallel opinion, or the joint meeting's",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=REVIEWER_ROLES, orgs=JOINT_REVIEWERS, rule="REV-03")],
)
async def joint_opinion(
    review_id: uuid.UUID,
    data: JointOpinionIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> JointOpinionOut:
    """一案双审: an invited department's reviewer; 联合会审: the town's reviewer, with minutes.
    A retry with the same Idempotency-Key returns the opinion the first one recorded."""
    async with ctx.db.uow(actor=principal) as uow:
        joint = await review_service.give_joint_opinion(
            uow, review_id=review_id, data=data, actor=principal, idempotency_key=idempotency_key
        )
        return joint_out(joint)


@router.post(
    "/{review_id:uuid}/justice-office",
    response_model=ReviewOut,
    summary="REV-09: add the town's 司法所",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=TOWN_ROLES, orgs=TOWN)],
)
async def add_justice_office(
    review_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    """The 司法所 then sees the review and coordinates the town's legal advisers on it."""
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.add_justice_office(uow, review_id=review_id, actor=principal)
        return await current(uow.session, review)


@router.post(
    "/{review_id:uuid}/advice",
    response_model=AdviceOut,
    status_code=201,
    summary="REV-09: the 司法所 records the legal advisers' advice",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ANY, orgs=JUSTICE_OFFICE, rule="REV-09")],
)
async def advice(
    review_id: uuid.UUID,
    data: JusticeOfficeAdviceIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> AdviceOut:
    """Only the town's own 司法所, once added to the review. A retry with the same
    Idempotency-Key returns the advice the first one recorded."""
    async with ctx.db.uow(actor=principal) as uow:
        given = await review_service.give_advice(
            uow, review_id=review_id, data=data, actor=principal, idempotency_key=idempotency_key
        )
        return advice_out(given)
