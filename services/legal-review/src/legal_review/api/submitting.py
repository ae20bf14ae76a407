"""The brigade's routes: check triggers, submit, upload materials, supply them, resubmit."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from legal_review import service as review_service
from legal_review.api.common import TOWN, current
from legal_review.domain import MaterialKind, amount_threshold
from legal_review.schemas import (
    MaterialOut,
    ResubmitIn,
    ReviewOut,
    SubmitIn,
    TriggerCheckIn,
    TriggerCheckOut,
    TriggerOut,
)
from legal_review.service.common import HANDLER_ROLES
from legal_review.views import material_out
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.problems import UPLOAD_ERRORS, WRITE_ERRORS, problem_responses

router = APIRouter(prefix="/reviews", tags=["reviews"])


@router.post(
    "/triggers",
    response_model=TriggerCheckOut,
    summary="REV-01: does this proposed decision need legal review? (changes nothing)",
    responses=problem_responses(401, 422),
    dependencies=[Allowed(roles=ANY)],
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
    summary="REV-01/04: submit a proposed major decision for review",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLER_ROLES, orgs=TOWN, rule="REV-04")],
)
async def submit(
    data: SubmitIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> ReviewOut:
    """The brigade's handler submits; the triggers are evaluated again and recorded.
    `Idempotency-Key` makes a retried submission one review."""
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.submit(
            uow, ctx=ctx, data=data, actor=principal, idempotency_key=idempotency_key
        )
        return await current(uow.session, review)


@router.post(
    "/{review_id:uuid}/materials",
    response_model=MaterialOut,
    status_code=201,
    summary="REV-04: upload a material (multipart)",
    responses=UPLOAD_ERRORS,
    dependencies=[Allowed(roles=HANDLER_ROLES, orgs=TOWN)],
)
async def upload_material(
    review_id: uuid.UUID,
    ctx: Context,
    principal: CurrentPrincipal,
    kind: Annotated[MaterialKind, Form()],
    file: Annotated[UploadFile, File()],
    idempotency_key: IdempotencyKey = None,
) -> MaterialOut:
    """Stored by SHA-256 with a size limit and a content-type allow-list. A retry with the
    same Idempotency-Key and file returns the material the first upload added."""
    async with ctx.db.uow(actor=principal) as uow:
        material = await review_service.add_material(
            uow,
            ctx=ctx,
            review_id=review_id,
            kind=kind,
            upload=file,
            actor=principal,
            idempotency_key=idempotency_key,
        )
        return material_out(material)


@router.post(
    "/{review_id:uuid}/materials-supplied",
    response_model=ReviewOut,
    summary="REV-05: the missing materials are in; the review resumes",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLER_ROLES, orgs=TOWN)],
)
async def materials_supplied(
    review_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    """Refused while a kind listed in the notice is still missing; a late supply is a breach."""
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.supply(uow, review_id=review_id, actor=principal)
        return await current(uow.session, review)


@router.post(
    "/{review_id:uuid}/resubmit",
    response_model=ReviewOut,
    summary="REV-07 (2): corrected resubmission, a new round on the same case",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLER_ROLES, orgs=TOWN)],
)
async def resubmit(
    review_id: uuid.UUID, data: ResubmitIn, ctx: Context, principal: CurrentPrincipal
) -> ReviewOut:
    """Only after opinion (2); earlier rounds stay in the case's history."""
    async with ctx.db.uow(actor=principal) as uow:
        review = await review_service.resubmit(uow, review_id=review_id, data=data, actor=principal)
        return await current(uow.session, review)
