"""Routes of the legal-review service (thin: each opens one unit of work and calls a use case)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Header, Query, UploadFile

from legal_review import service as review_service
from legal_review.domain import MaterialKind, ReviewPoint, ReviewState, amount_threshold
from legal_review.schemas import (
    DecisionIn,
    JointIn,
    JointOpinionIn,
    JusticeOfficeAdviceIn,
    MaterialOut,
    MaterialsNoticeIn,
    OpinionIn,
    PointIn,
    ResubmitIn,
    ReviewDetail,
    ReviewOut,
    ReviewPage,
    SubmitIn,
    TriggerCheckIn,
    TriggerCheckOut,
    TriggerOut,
)
from legal_review.service.queries import one
from legal_review.views import material_out
from xietong_common.auth import CurrentPrincipal
from xietong_common.errors import problem_responses
from xietong_common.timeline import TimelineEntry
from xietong_common.web import Context

router = APIRouter(prefix="/reviews", tags=["reviews"])
WRITE = problem_responses(401, 403, 404, 409, 413, 415, 422)


@router.post(
    "/triggers",
    response_model=TriggerCheckOut,
    summary="REV-01: does this proposed decision need legal review? (changes nothing)",
    responses=problem_responses(401, 422),
)
async def check_triggers(data: TriggerCheckIn, principal: CurrentPrincipal) -> TriggerCheckOut:
    """Evaluates the eight triggers and names each that applies and why (inclusive boundaries)."""
    hits = review_service.evaluate(data.decision, data.party_kind)
    return TriggerCheckOut(
        review_required=bool(hits),
        triggers=[
            TriggerOut(
                trigger=h.trigger,
                number=h.trigger.number,
                label_zh=h.trigger.label_zh,
                reason=h.reason,
            )
            for h in hits
        ],
        amount_threshold=amount_threshold(data.party_kind),
    )


@router.post(
    "",
    response_model=ReviewOut,
    status_code=201,
    summary="REV-01/04: submit for review",
    responses=WRITE,
)
async def submit(
    data: SubmitIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ReviewOut:
    """The brigade's handler submits the proposed decision; `Idempotency-Key` makes retries safe."""
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.submit(
            uow, ctx=ctx, data=data, actor=principal, idempotency_key=idempotency_key
        )
        return await one(uow.session, review)


@router.get("", response_model=ReviewPage, summary="The review queue (filters, pagination)")
async def list_reviews(
    ctx: Context,
    principal: CurrentPrincipal,
    state: Annotated[list[ReviewState] | None, Query()] = None,
    town: str | None = None,
    opinion: str | None = None,
    due_before: datetime | None = None,
    overdue: bool | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
    sort: Literal["created_at", "-created_at", "updated_at", "-updated_at"] = "-created_at",
) -> ReviewPage:
    """A town's review body sees its town's reviews; departments those they joint-review;
    a 司法所 its town's; the justice bureau all."""
    async with ctx.db.session() as session:
        return await review_service.queue(
            session,
            principal=principal,
            now=ctx.clock.now(),
            states=[s.value for s in state] if state else None,
            town=town,
            opinion=opinion,
            due_before=due_before,
            overdue=overdue,
            page=page,
            page_size=page_size,
            sort=sort,
        )


@router.get(
    "/{review_id}",
    response_model=ReviewDetail,
    summary="One review with its rounds",
    responses=problem_responses(401, 404),
)
async def get_review(
    review_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> ReviewDetail:
    async with ctx.db.session() as session:
        return await review_service.detail(session, review_id=review_id, principal=principal)


@router.get(
    "/{review_id}/timeline",
    response_model=list[TimelineEntry],
    summary="Every step and deadline",
    responses=problem_responses(401, 404),
)
async def get_timeline(
    review_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> list[TimelineEntry]:
    async with ctx.db.session() as session:
        return await review_service.timeline(session, review_id=review_id, principal=principal)


@router.post(
    "/{review_id}/materials",
    response_model=MaterialOut,
    status_code=201,
    summary="REV-04: upload a material (multipart)",
    responses=WRITE,
)
async def upload_material(
    review_id: uuid.UUID,
    ctx: Context,
    principal: CurrentPrincipal,
    kind: Annotated[MaterialKind, Form()],
    file: Annotated[UploadFile, File()],
) -> MaterialOut:
    async with ctx.db.uow(actor=principal) as uow:
        material = await review_service.add_material(
            uow, ctx=ctx, review_id=review_id, kind=kind, upload=file, actor=principal
        )
        return material_out(material)


@router.post(
    "/{review_id}/take",
    response_model=ReviewOut,
    summary="REV-02: a reviewer takes the case",
    responses=WRITE,
)
async def take(review_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> ReviewOut:
    async with ctx.db.uow(actor=principal) as uow:
        return await one(
            uow.session, await review_service.take(uow, review_id=review_id, actor=principal)
        )


@router.post(
    "/{review_id}/materials-notice",
    response_model=ReviewOut,
    summary="REV-05: notify missing materials, once, with a deadline",
    responses=WRITE,
)
async def materials_notice(
    review_id: uuid.UUID, data: MaterialsNoticeIn, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.notify_missing(
            uow, ctx=ctx, review_id=review_id, data=data, actor=principal
        )
        return await one(uow.session, review)


@router.post(
    "/{review_id}/materials-supplied",
    response_model=ReviewOut,
    summary="REV-05: the missing materials are in; the review resumes",
    responses=WRITE,
)
async def materials_supplied(
    review_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    async with ctx.db.uow(actor=principal) as uow:
        return await one(
            uow.session, await review_service.supply(uow, review_id=review_id, actor=principal)
        )


@router.put(
    "/{review_id}/points/{point}",
    response_model=ReviewOut,
    summary="REV-06: record one of the nine points",
    responses=WRITE,
)
async def record_point(
    review_id: uuid.UUID,
    point: ReviewPoint,
    data: PointIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> ReviewOut:
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.record_point(
            uow, review_id=review_id, point=point, data=data, actor=principal
        )
        return await one(uow.session, review)


@router.post(
    "/{review_id}/opinion",
    response_model=ReviewOut,
    summary="REV-07: the written opinion (one of five)",
    responses=WRITE,
)
async def give_opinion(
    review_id: uuid.UUID, data: OpinionIn, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.give_opinion(
            uow, ctx=ctx, review_id=review_id, data=data, actor=principal
        )
        return await one(uow.session, review)


@router.post(
    "/{review_id}/resubmit",
    response_model=ReviewOut,
    summary="REV-07 (2): corrected resubmission, a new round",
    responses=WRITE,
)
async def resubmit(
    review_id: uuid.UUID, data: ResubmitIn, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.resubmit(uow, review_id=review_id, data=data, actor=principal)
        return await one(uow.session, review)


@router.post(
    "/{review_id}/decision",
    response_model=ReviewOut,
    summary="REV-08: the agency head's decision",
    responses=WRITE,
)
async def decide(
    review_id: uuid.UUID, data: DecisionIn, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.decide(uow, review_id=review_id, data=data, actor=principal)
        return await one(uow.session, review)


@router.post(
    "/{review_id}/joint",
    response_model=ReviewOut,
    summary="REV-03: 一案双审 or 联合会审 with departments",
    responses=WRITE,
)
async def add_joint(
    review_id: uuid.UUID, data: JointIn, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.add_joint(
            uow, ctx=ctx, review_id=review_id, data=data, actor=principal
        )
        return await one(uow.session, review)


@router.post(
    "/{review_id}/joint-opinions",
    status_code=201,
    summary="REV-03: a department's parallel opinion, or the joint meeting's",
    responses=WRITE,
)
async def joint_opinion(
    review_id: uuid.UUID, data: JointOpinionIn, ctx: Context, principal: CurrentPrincipal
) -> dict[str, str]:
    async with ctx.db.uow(actor=principal) as uow:
        joint = await review_service.give_joint_opinion(
            uow, review_id=review_id, data=data, actor=principal
        )
        return {"id": str(joint.id), "mode": joint.mode, "org": joint.org}


@router.post(
    "/{review_id}/justice-office",
    response_model=ReviewOut,
    summary="REV-09: add the town's 司法所",
    responses=WRITE,
)
async def add_justice_office(
    review_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.add_justice_office(
            uow, ctx=ctx, review_id=review_id, actor=principal
        )
        return await one(uow.session, review)


@router.post(
    "/{review_id}/advice",
    status_code=201,
    summary="REV-09: the 司法所 records the legal advisers' advice",
    responses=WRITE,
)
async def advice(
    review_id: uuid.UUID, data: JusticeOfficeAdviceIn, ctx: Context, principal: CurrentPrincipal
) -> dict[str, str]:
    async with ctx.db.uow(actor=principal) as uow:
        given = await review_service.give_advice(
            uow, review_id=review_id, data=data, actor=principal
        )
        return {"id": str(given.id), "org": given.org}
