"""The closed loop at each target (INSP-06..INSP-08), materials, closing and the archive."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import StreamingResponse

from joint_inspection import service as inspection_service
from joint_inspection.api.common import INITIATORS, PARTICIPANTS, order_detail, visit_detail
from joint_inspection.domain import MaterialKind
from joint_inspection.errors import InspectionInvalidTransition
from joint_inspection.schemas import (
    AdvanceNoticeIn,
    ArchiveOut,
    FeedbackIn,
    MaterialOut,
    OnSiteIn,
    OrderOut,
    OutcomeIn,
    SeriousReportIn,
    VisitOut,
)
from joint_inspection.service import queries
from joint_inspection.service.common import LEAD_ROLES, ORDER, WRITE_ROLES
from xietong_common.errors import NotFound
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.materials import DOWNLOAD_RESPONSES, stream_material
from xietong_common.web.problems import READ_ERRORS, UPLOAD_ERRORS, WRITE_ERRORS, problem_responses

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post(
    "/{order_id:uuid}/targets/{target_id:uuid}/advance-notice",
    response_model=VisitOut,
    summary="INSP-06: record the advance notice (time, basis, method) to the target",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=PARTICIPANTS)],
)
async def advance_notice(
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    data: AdvanceNoticeIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> VisitOut:
    """Refused on an order not to be announced (by law or a superior's instruction)."""
    async with ctx.db.uow(actor=principal) as uow:
        visit = await inspection_service.record_notice(
            uow, actor=principal, order_id=order_id, target_id=target_id, data=data
        )
        return await visit_detail(uow.session, visit)


@router.post(
    "/{order_id:uuid}/targets/{target_id:uuid}/on-site",
    response_model=VisitOut,
    summary="INSP-07: the on-site inspection record",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=PARTICIPANTS)],
)
async def on_site(
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    data: OnSiteIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> VisitOut:
    """By the order's inspectors (at least two; seconded officers checked again, SEC-04),
    after the advance notice unless the order is exempt (INSP-06)."""
    async with ctx.db.uow(actor=principal) as uow:
        visit = await inspection_service.record_on_site(
            uow, ctx=ctx, actor=principal, order_id=order_id, target_id=target_id, data=data
        )
        return await visit_detail(uow.session, visit)


@router.post(
    "/{order_id:uuid}/materials",
    response_model=MaterialOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-07: file a record: text, photos and video, clues, evidence, e-documents",
    responses=UPLOAD_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=PARTICIPANTS)],
)
async def upload_material(
    order_id: uuid.UUID,
    ctx: Context,
    principal: CurrentPrincipal,
    kind: Annotated[
        MaterialKind, Form(description="text, audio-visual, clue, evidence, e-document")
    ],
    file: Annotated[UploadFile, File(description="PDF, OFD, image, audio, video, Office…")],
    title: Annotated[str | None, Form(max_length=500)] = None,
    target_id: Annotated[uuid.UUID | None, Form(description="the target it concerns")] = None,
    idempotency_key: IdempotencyKey = None,
) -> MaterialOut:
    """Stored by SHA-256 after the size and type checks; part of the archive. A retry with
    the same Idempotency-Key returns the material the first upload added."""
    async with ctx.db.uow(actor=principal) as uow:
        material = await inspection_service.add_material(
            uow,
            ctx=ctx,
            actor=principal,
            order_id=order_id,
            target_id=target_id,
            kind=kind,
            title=title,
            upload=file,
            idempotency_key=idempotency_key,
        )
        return MaterialOut.of(material)


@router.get(
    "/{order_id:uuid}/materials/{material_id:uuid}/content",
    response_class=StreamingResponse,
    summary="Download a material",
    responses={**DOWNLOAD_RESPONSES, **READ_ERRORS},
    dependencies=[Allowed(roles=ANY)],
)
async def download_material(
    order_id: uuid.UUID, material_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> StreamingResponse:
    """For the order's participants and the justice bureau."""
    async with ctx.db.session() as session:
        await ORDER.load_for(session, order_id, principal, lock=False)
        material = next(
            (m for m in await queries.order_materials(session, order_id) if m.id == material_id),
            None,
        )
    if material is None:
        raise NotFound("no such material", zh="未找到该材料")
    return await stream_material(ctx, material)


@router.post(
    "/{order_id:uuid}/targets/{target_id:uuid}/outcome",
    response_model=VisitOut,
    summary="INSP-08: the outcome and its handling (violations become inspection.finding)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=PARTICIPANTS)],
)
async def outcome(
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    data: OutcomeIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> VisitOut:
    """No problem; guidance given; a violation (within jurisdiction with the REV-01 check,
    outside it referred); serious (competent authority notified, report owed)."""
    async with ctx.db.uow(actor=principal) as uow:
        visit = await inspection_service.record_outcome(
            uow, ctx=ctx, actor=principal, order_id=order_id, target_id=target_id, data=data
        )
        return await visit_detail(uow.session, visit)


@router.post(
    "/{order_id:uuid}/targets/{target_id:uuid}/serious-report",
    response_model=VisitOut,
    summary="INSP-08: report the serious finding to the district government",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS)],
)
async def serious_report(
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    data: SeriousReportIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> VisitOut:
    """By the initiating unit; `inspection.serious-reported`; late past the setting."""
    async with ctx.db.uow(actor=principal) as uow:
        visit = await inspection_service.report_serious(
            uow, actor=principal, order_id=order_id, target_id=target_id, report=data.report
        )
        return await visit_detail(uow.session, visit)


@router.post(
    "/{order_id:uuid}/targets/{target_id:uuid}/feedback",
    response_model=VisitOut,
    summary="INSP-07: the result feedback (结果反馈)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=PARTICIPANTS)],
)
async def feedback(
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    data: FeedbackIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> VisitOut:
    """Closes the loop at the target: a result someone can read, once the referral or
    review its finding started returned; delivered to the target's record and the
    departments concerned (`inspection.fed-back`)."""
    async with ctx.db.uow(actor=principal) as uow:
        visit = await inspection_service.feed_back(
            uow,
            ctx=ctx,
            actor=principal,
            order_id=order_id,
            target_id=target_id,
            result=data.result,
        )
        return await visit_detail(uow.session, visit)


@router.post(
    "/{order_id:uuid}/close",
    response_model=OrderOut,
    summary="INSP-07: close and archive the order (立卷归档); it never changes again",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=LEAD_ROLES, orgs=INITIATORS)],
)
async def close(order_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> OrderOut:
    """Only when every target has its outcome and feedback; `inspection.closed`."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.close(uow, ctx=ctx, actor=principal, order_id=order_id)
        return await order_detail(uow.session, order, ctx)


@router.get(
    "/{order_id:uuid}/archive",
    response_model=ArchiveOut,
    summary="INSP-07: the archived record and its SHA-256 digest",
    responses={**READ_ERRORS, **problem_responses(409)},  # 409: not closed and archived yet,
    dependencies=[Allowed(roles=ANY)],
)
async def archive(order_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> ArchiveOut:
    """The manifest filed at closing (materials by SHA-256)."""
    async with ctx.db.session() as session:
        order = await ORDER.load_for(session, order_id, principal, lock=False)
    if order.closed_at is None or order.archive_manifest is None or order.archive_digest is None:
        raise InspectionInvalidTransition(
            "the order is not closed and archived yet", zh="该工单尚未办结归档", state=order.state
        )
    return ArchiveOut(
        order_id=order.id,
        number=order.number,
        closed_at=order.closed_at,
        digest=order.archive_digest,
        manifest=order.archive_manifest,
    )
