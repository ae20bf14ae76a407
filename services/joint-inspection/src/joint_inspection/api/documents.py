"""The inspection's official documents (公文): the work order (INSP-03), the advance notice to
a target (INSP-06), the report of a serious finding (INSP-08), as PDF; corrections."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from joint_inspection import service as inspection_service
from joint_inspection.service.documents import ADVANCE_NOTICE, SERIOUS_REPORT, WORK_ORDER
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

router = APIRouter(prefix="/orders", tags=["orders"])

CORRECTION = (
    "Only the initiating unit that issued it (403 `document-not-the-issuer`); 409 "
    "`document-not-issued` when there is nothing to correct. The old document is kept and "
    "verifies as superseded.\n\n" + DOCUMENT_PROBLEMS
)


async def _pdf(
    kind: DocumentKind,
    order_id: uuid.UUID,
    target_id: uuid.UUID | None,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    version: str | None,
) -> StreamingResponse:
    async with ctx.db.uow(actor=principal) as uow:
        issued = await inspection_service.document(
            uow,
            ctx=ctx,
            order_id=order_id,
            target_id=target_id,
            kind=kind,
            actor=principal,
            base_url=base_url(request),
            version=version,
        )
    return await pdf_response(ctx, issued)


async def _correct(
    kind: DocumentKind,
    order_id: uuid.UUID,
    target_id: uuid.UUID | None,
    data: CorrectionIn,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: str | None,
) -> DocumentOut:
    async with ctx.db.uow(actor=principal) as uow:
        issued = await inspection_service.correct_document(
            uow,
            ctx=ctx,
            order_id=order_id,
            target_id=target_id,
            kind=kind,
            reason=data.reason,
            idempotency_key=idempotency_key,
            actor=principal,
            base_url=base_url(request),
        )
    return document_out(issued)


@router.get(
    "/{order_id:uuid}/documents/work-order.pdf",
    response_class=StreamingResponse,
    summary="INSP-03: the inspection work order (检查任务工单) as PDF",
    description="Targets, their number, the method and the inspectors the order fixed; issued "
    "by the initiating unit (its first download numbers and stores it), read by every "
    "participant then. 409 before the order is issued.\n\n" + DOCUMENT_PROBLEMS,
    responses=DOCUMENT_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def work_order_pdf(
    order_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    version: VersionQuery = None,
) -> StreamingResponse:
    """The order as issued."""
    return await _pdf(WORK_ORDER, order_id, None, request, ctx, principal, version)


@router.get(
    "/{order_id:uuid}/targets/{target_id:uuid}/documents/advance-notice.pdf",
    response_class=StreamingResponse,
    summary="INSP-06: the advance notice to a target (检查事先告知书) as PDF",
    description="The time, basis and method the target was told, issued by the initiating "
    "unit. 409 unless a notice to this target was recorded.\n\n" + DOCUMENT_PROBLEMS,
    responses=DOCUMENT_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def advance_notice_pdf(
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    version: VersionQuery = None,
) -> StreamingResponse:
    """The notice to one target, as recorded."""
    return await _pdf(ADVANCE_NOTICE, order_id, target_id, request, ctx, principal, version)


@router.get(
    "/{order_id:uuid}/targets/{target_id:uuid}/documents/serious-report.pdf",
    response_class=StreamingResponse,
    summary="INSP-08: the report of a serious finding to the district government as PDF",
    description="Issued by the initiating unit to 区政府, copied to the competent authority it "
    "notified; the district government reads it. 409 unless the serious finding at this "
    "target was reported.\n\n" + DOCUMENT_PROBLEMS,
    responses=DOCUMENT_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def serious_report_pdf(
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    version: VersionQuery = None,
) -> StreamingResponse:
    """The report for one target, as recorded."""
    return await _pdf(SERIOUS_REPORT, order_id, target_id, request, ctx, principal, version)


@router.post(
    "/{order_id:uuid}/documents/work-order/corrections",
    status_code=201,
    response_model=DocumentOut,
    summary="A corrected work order under a new number, superseding the one in force",
    description=CORRECTION,
    responses=CORRECTION_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def correct_work_order(
    order_id: uuid.UUID,
    data: CorrectionIn,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> DocumentOut:
    """Rendered again from the order as it stands now."""
    return await _correct(
        WORK_ORDER, order_id, None, data, request, ctx, principal, idempotency_key
    )


@router.post(
    "/{order_id:uuid}/targets/{target_id:uuid}/documents/{kind}/corrections",
    status_code=201,
    response_model=DocumentOut,
    summary="A corrected notice or report under a new number, superseding the one in force",
    description=CORRECTION,
    responses=CORRECTION_RESPONSES,
    dependencies=[Allowed(roles=ANY)],
)
async def correct_target_document(
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    kind: Literal["advance-notice", "serious-report"],
    data: CorrectionIn,
    request: Request,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> DocumentOut:
    """Rendered again from the visit as it stands now."""
    return await _correct(
        DocumentKind(kind), order_id, target_id, data, request, ctx, principal, idempotency_key
    )
