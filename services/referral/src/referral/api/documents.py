"""The referral's official documents (公文): the referral letter (REF-05), the service receipt
(REF-06), the written answer (REF-07) and the report to the district government (REF-08),
as PDF; corrections."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from referral import service as referral_service
from referral.service.documents import ANSWER, LETTER, RECEIPT, REPORT
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

router = APIRouter(prefix="/referrals", tags=["referrals"])


async def _pdf(
    kind: DocumentKind,
    referral_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    version: str | None,
) -> StreamingResponse:
    async with ctx.db.uow(actor=principal) as uow:
        issued = await referral_service.document(
            uow,
            ctx=ctx,
            referral_id=referral_id,
            kind=kind,
            actor=principal,
            base_url=base_url(request),
            version=version,
        )
    return await pdf_response(ctx, issued)


@router.get(
    "/{referral_id:uuid}/documents/referral-letter.pdf",
    response_class=StreamingResponse,
    summary="REF-05: the referral letter (案件移送函) with its item list, as PDF",
    description="Issued by the sender: at sending when it uploaded no letter and item list of "
    "its own, else on its first download; the receiver reads it then. The item list is its "
    "attachment, items disposed of in advance with their proceeds. 409 before sending.\n\n"
    + DOCUMENT_PROBLEMS,
    responses=DOCUMENT_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def referral_letter_pdf(
    referral_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    version: VersionQuery = None,
) -> StreamingResponse:
    """The letter as the referral was sent."""
    return await _pdf(LETTER, referral_id, request, ctx, principal, version)


@router.get(
    "/{referral_id:uuid}/documents/service-receipt.pdf",
    response_class=StreamingResponse,
    summary="REF-06: the service receipt (行政案件移送书送达回证) as PDF, with a QR code",
    description="Issued by the receiver (its first download numbers and stores it); the "
    "sender reads it then. Its QR code links to `GET /documents/{digest}`. 409 before the "
    "receiver signed for the referral.\n\n" + DOCUMENT_PROBLEMS,
    responses=DOCUMENT_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def service_receipt_pdf(
    referral_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    version: VersionQuery = None,
) -> StreamingResponse:
    """The receipt as the receiver signed it."""
    return await _pdf(RECEIPT, referral_id, request, ctx, principal, version)


@router.get(
    "/{referral_id:uuid}/documents/acceptance-answer.pdf",
    response_class=StreamingResponse,
    summary="REF-07: the written answer on acceptance (案件受理情况告知书) as PDF",
    description="Issued by the receiver: accepted, or reported to the district government "
    "(REF-08). 409 before the answer.\n\n" + DOCUMENT_PROBLEMS,
    responses=DOCUMENT_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def acceptance_answer_pdf(
    referral_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    version: VersionQuery = None,
) -> StreamingResponse:
    """The answer as the receiver gave it."""
    return await _pdf(ANSWER, referral_id, request, ctx, principal, version)


@router.get(
    "/{referral_id:uuid}/documents/jurisdiction-report.pdf",
    response_class=StreamingResponse,
    summary="REF-08: the written report to the district government (关于案件管辖的请示) as PDF",
    description="Issued by the receiver that considers the case outside its jurisdiction, to "
    "区政府, copied to the sender. 409 unless the receiver answered report-to-district-gov.\n\n"
    + DOCUMENT_PROBLEMS,
    responses=DOCUMENT_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def jurisdiction_report_pdf(
    referral_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    version: VersionQuery = None,
) -> StreamingResponse:
    """The report as the receiver made it."""
    return await _pdf(REPORT, referral_id, request, ctx, principal, version)


@router.post(
    "/{referral_id:uuid}/documents/{kind}/corrections",
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
    referral_id: uuid.UUID,
    kind: Literal["referral-letter", "service-receipt", "acceptance-answer", "jurisdiction-report"],
    data: CorrectionIn,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> DocumentOut:
    """Rendered again from the referral as it stands now."""
    async with ctx.db.uow(actor=principal) as uow:
        issued = await referral_service.correct_document(
            uow,
            ctx=ctx,
            referral_id=referral_id,
            kind=DocumentKind(kind),
            reason=data.reason,
            actor=principal,
            base_url=base_url(request),
            idempotency_key=idempotency_key,
        )
    return document_out(issued)
