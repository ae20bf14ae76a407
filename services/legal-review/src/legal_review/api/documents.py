"""The review's official documents (公文): the written opinion (REV-07) and the notice of
missing materials (REV-05), as PDF; corrections."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from legal_review import service as review_service
from legal_review.service.documents import MATERIALS_NOTICE, OPINION
from xietong_common.documents import DocumentKind
from xietong_common.documents.schemas import CorrectionIn, DocumentOut, document_out
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.documents import (
    CORRECTION_RESPONSES,
    DOCUMENT_PROBLEMS,
    DOCUMENT_RESPONSES,
    VersionQuery,
    base_url,
    pdf_response,
)

router = APIRouter(prefix="/reviews", tags=["reviews"])

Round = Annotated[
    int | None,
    Query(ge=1, le=1000, description="the submission round; omitted: the latest that has one"),
]


async def _pdf(
    kind: DocumentKind,
    review_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    round_number: int | None,
    version: str | None,
) -> StreamingResponse:
    async with ctx.db.uow(actor=principal) as uow:
        issued = await review_service.document(
            uow,
            ctx=ctx,
            review_id=review_id,
            kind=kind,
            actor=principal,
            base_url=base_url(request),
            round_number=round_number,
            version=version,
        )
    return await pdf_response(ctx, issued)


@router.get(
    "/{review_id:uuid}/documents/opinion.pdf",
    response_class=StreamingResponse,
    summary="REV-07: the written review opinion (法制审核意见书) as PDF",
    description="Issued by the town (its first download numbers and stores it); whoever sees "
    "the review reads it then. 409 before the opinion is given.\n\n" + DOCUMENT_PROBLEMS,
    responses=DOCUMENT_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def opinion_pdf(
    review_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    round: Round = None,
    version: VersionQuery = None,
) -> StreamingResponse:
    """The opinion of a round as the town issued it."""
    return await _pdf(OPINION, review_id, request, ctx, principal, round, version)


@router.get(
    "/{review_id:uuid}/documents/materials-notice.pdf",
    response_class=StreamingResponse,
    summary="REV-05: the one-time notice of missing materials (补正材料通知书) as PDF",
    description="Everything missing and the deadline to supply it (24:00 of the last day), "
    "issued by the town. 409 before the notice is given.\n\n" + DOCUMENT_PROBLEMS,
    responses=DOCUMENT_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def materials_notice_pdf(
    review_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    round: Round = None,
    version: VersionQuery = None,
) -> StreamingResponse:
    """The notice of a round as the town issued it."""
    return await _pdf(MATERIALS_NOTICE, review_id, request, ctx, principal, round, version)


@router.post(
    "/{review_id:uuid}/documents/{kind}/corrections",
    status_code=201,
    response_model=DocumentOut,
    summary="A corrected document under a new number, superseding the one in force",
    description="Only the town that issued it (403 `document-not-the-issuer`); 409 "
    "`document-not-issued` when there is nothing to correct. The old document is kept and "
    "verifies as superseded.\n\n" + DOCUMENT_PROBLEMS,
    responses=CORRECTION_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def correct_document(
    review_id: uuid.UUID,
    kind: Literal["opinion", "materials-notice"],
    data: CorrectionIn,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    round: Round = None,
    idempotency_key: IdempotencyKey = None,
) -> DocumentOut:
    """Rendered again from the review as it stands now."""
    async with ctx.db.uow(actor=principal) as uow:
        issued = await review_service.correct_document(
            uow,
            ctx=ctx,
            review_id=review_id,
            kind=DocumentKind(kind),
            reason=data.reason,
            idempotency_key=idempotency_key,
            actor=principal,
            base_url=base_url(request),
            round_number=round,
        )
    return document_out(issued)
