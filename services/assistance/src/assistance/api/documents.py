"""The request's official documents (公文): the town's letter asking for assistance
(ASSIST-01) and the department's notice of refusal (ASSIST-03), as PDF; corrections."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from assistance import service as assistance_service
from assistance.api.common import make_router
from assistance.service.documents import REFUSAL_NOTICE, REQUEST_LETTER
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

router: APIRouter = make_router()


async def _pdf(
    kind: DocumentKind,
    request_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    version: str | None,
) -> StreamingResponse:
    async with ctx.db.uow(actor=principal) as uow:
        issued = await assistance_service.document(
            uow,
            ctx=ctx,
            request_id=request_id,
            kind=kind,
            actor=principal,
            base_url=base_url(request),
            version=version,
        )
    return await pdf_response(ctx, issued)


@router.get(
    "/{request_id:uuid}/documents/request-letter.pdf",
    response_class=StreamingResponse,
    summary="ASSIST-01: the letter asking for assistance (执法协助函) as PDF",
    description="Issued by the requesting town (its first download numbers and stores it); the "
    "department and oversight read it then. 409 while the request is a draft.\n\n"
    + DOCUMENT_PROBLEMS,
    responses=DOCUMENT_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def request_letter_pdf(
    request_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    version: VersionQuery = None,
) -> StreamingResponse:
    """The town's letter, from the request as submitted."""
    return await _pdf(REQUEST_LETTER, request_id, request, ctx, principal, version)


@router.get(
    "/{request_id:uuid}/documents/refusal-notice.pdf",
    response_class=StreamingResponse,
    summary="ASSIST-03: the notice of refusal with its legal ground and reasons as PDF",
    description="Issued by the department that refused (its first download numbers and stores "
    "it); the town and oversight read it then. 409 unless the request was refused.\n\n"
    + DOCUMENT_PROBLEMS,
    responses=DOCUMENT_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def refusal_notice_pdf(
    request_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    version: VersionQuery = None,
) -> StreamingResponse:
    """The department's notice (不予协助告知书), from the refusal as recorded."""
    return await _pdf(REFUSAL_NOTICE, request_id, request, ctx, principal, version)


@router.post(
    "/{request_id:uuid}/documents/{kind}/corrections",
    status_code=201,
    response_model=DocumentOut,
    summary="A corrected document under a new number, superseding the one in force",
    description="Only the organisation that issued it (403 `document-not-the-issuer`); 409 "
    "`document-not-issued` when there is nothing to correct. The old document is kept and "
    "verifies as superseded.\n\n" + DOCUMENT_PROBLEMS,
    responses=CORRECTION_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def correct_document(
    request_id: uuid.UUID,
    kind: Literal["request-letter", "refusal-notice"],
    data: CorrectionIn,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> DocumentOut:
    """Rendered again from the request as it stands now."""
    async with ctx.db.uow(actor=principal) as uow:
        issued = await assistance_service.correct_document(
            uow,
            ctx=ctx,
            request_id=request_id,
            kind=DocumentKind(kind),
            reason=data.reason,
            idempotency_key=idempotency_key,
            actor=principal,
            base_url=base_url(request),
        )
    return document_out(issued)
