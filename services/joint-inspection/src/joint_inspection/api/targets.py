"""The register of targets (监管对象) and their risk signals (INSP-02)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Header, Query, UploadFile, status
from fastapi.responses import JSONResponse

from joint_inspection import service as inspection_service
from joint_inspection.api.common import INITIATORS, target_detail
from joint_inspection.domain import SupervisionLevel
from joint_inspection.models import ImportJob
from joint_inspection.schemas import (
    ImportOut,
    Industry,
    SignalIn,
    SignalOut,
    TargetIn,
    TargetOut,
    TargetUpdate,
    TargetVisitOut,
    WithdrawIn,
)
from joint_inspection.service import queries
from joint_inspection.service.common import TARGET, WRITE_ROLES
from joint_inspection.service.queries import TargetFilters
from joint_inspection.service.targets import risk_policy, risks
from joint_inspection.settings import inspection_settings
from joint_inspection.views import signal_out, target_out, target_visit_out
from xietong_common import import_jobs
from xietong_common.materials import safe_filename
from xietong_common.parties import PartyKind
from xietong_common.schemas import Name, OrgCode, Page
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey, Paging
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS, UPLOAD_ERRORS, WRITE_ERRORS

router = APIRouter(prefix="/targets", tags=["targets"])


@router.post(
    "",
    response_model=TargetOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-02: register a target (监管对象)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS, rule="INSP-02")],
)
async def register(
    data: TargetIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> TargetOut:
    """An enterprise by its unified social credit code (a bad code is a 422 naming the
    position), a person by an identity number of which only a digest and the mask are kept."""
    async with ctx.db.uow(actor=principal) as uow:
        target = await inspection_service.register_target(
            uow, ctx=ctx, actor=principal, data=data, idempotency_key=idempotency_key
        )
        return await target_detail(uow.session, target, ctx)


TargetImportJobOut = import_jobs.ImportJobOut[ImportOut]
IMPORT_KIND = "inspection-targets"


@router.post(
    "/import",
    response_model=ImportOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-02: import targets from .xlsx or CSV (all rows or none); a large file is a job",
    responses={
        202: {
            "model": TargetImportJobOut,
            "description": "a large file (or `Prefer: respond-async`): the import job, to follow "
            "at `Location` (GET /targets/import-jobs/{job_id})",
        },
        **UPLOAD_ERRORS,
    },
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS, rule="INSP-02")],
)
async def import_targets(
    ctx: Context,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="the first sheet of an .xlsx, or a CSV")],
    idempotency_key: IdempotencyKey = None,
    prefer: Annotated[
        str | None, Header(description="`respond-async`: answer 202 with a job whatever the size")
    ] = None,
) -> ImportOut | JSONResponse:
    """Columns 名称, 类型, 统一社会信用代码或证件号码, 行业, 监管等级, 乡镇(街道), 地址,
    纳入监管日期 (or their English names); errors name the row and the column. The file is
    read in a worker process within limits (a broken or hostile file is a 422 saying what is
    wrong with it). A file up to `XIETONG_IMPORT_SYNC_MAX_BYTES` (256 KiB, some 2,000 rows) is
    answered here (201); a larger one is a job: 202 with the job, whose progress (rows read
    and validated, errors so far) and result GET /targets/import-jobs/{job_id} reports."""
    filename = safe_filename(file.filename, "targets") if file.filename else None
    upload = await import_jobs.spool(
        file,
        directory=import_jobs.spool_dir(ctx.settings),
        max_bytes=ctx.settings.max_upload_bytes,
        filename=filename,
    )
    if import_jobs.wants_job(ctx.settings, upload.size, prefer):
        return await _start_job(ctx, principal, upload, idempotency_key)
    try:
        read = await inspection_service.read_targets(ctx, upload.path, filename=filename)
    finally:
        upload.discard()
    async with ctx.db.uow(actor=principal) as uow:
        ids = await inspection_service.import_targets(
            uow,
            ctx=ctx,
            actor=principal,
            read=read,
            sha256=upload.sha256,
            filename=filename,
            idempotency_key=idempotency_key,
        )
    return _import_out(ctx, ids)


def _import_out(ctx: Context, ids: list[uuid.UUID]) -> ImportOut:
    return ImportOut(
        imported=len(ids), target_ids=ids[: inspection_settings(ctx).inspection_max_import_rows]
    )


async def _start_job(
    ctx: Context,
    principal: CurrentPrincipal,
    upload: import_jobs.Spooled,
    idempotency_key: str | None,
) -> JSONResponse:
    try:
        async with ctx.db.uow(actor=principal) as uow:
            job, replayed = await import_jobs.create_job(
                uow,
                ImportJob,
                actor=principal,
                kind=IMPORT_KIND,
                file=upload,
                options={},
                idempotency_key=idempotency_key,
            )
    except BaseException:
        upload.discard()
        raise
    if replayed:
        upload.discard()
    else:

        async def work(progress: import_jobs.Progress) -> ImportOut:
            read = await inspection_service.read_targets(
                ctx, upload.path, filename=upload.filename, progress=progress
            )
            async with ctx.db.uow(actor=principal) as uow:
                ids = await inspection_service.import_targets(
                    uow,
                    ctx=ctx,
                    actor=principal,
                    read=read,
                    sha256=upload.sha256,
                    filename=upload.filename,
                )
            return _import_out(ctx, ids)

        import_jobs.start_job(ctx, ImportJob, job.id, upload, work)
    body = import_jobs.job_out(job, ImportOut).model_dump(mode="json")
    return JSONResponse(
        body,
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/targets/import-jobs/{job.id}"},
    )


@router.get(
    "/import-jobs/{job_id:uuid}",
    response_model=TargetImportJobOut,
    summary="INSP-02: an import job — its state, progress and result",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS, rule="INSP-02")],
)
async def import_job(
    job_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> import_jobs.ImportJobOut[ImportOut]:
    """Rows read and validated and errors so far; when done, the import's answer (`result`)
    or its refusal (`problem`). Only the organisation that started it sees it (others 404)."""
    async with ctx.db.session() as session:
        job = await import_jobs.load_job(session, ImportJob, job_id, principal)
        return import_jobs.job_out(job, ImportOut)


@router.get(
    "",
    response_model=Page[TargetOut],
    summary="The register (a town sees its own; departments and oversight the district's)",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_targets(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    town: OrgCode | None = None,
    industry: Industry | None = None,
    supervision_level: SupervisionLevel | None = None,
    party_kind: PartyKind | None = None,
    name: Annotated[Name | None, Query(description="part of the name")] = None,
    credit_code: Annotated[str | None, Query(max_length=18, pattern=r"^[0-9A-Za-z]+$")] = None,
    active: bool | None = True,
) -> Page[TargetOut]:
    """Each with its risk now and whether it is 守法诚信 (INSP-02)."""
    filters = TargetFilters(
        town=town,
        industry=industry,
        supervision_level=supervision_level,
        party_kind=party_kind,
        name=name,
        credit_code=credit_code,
        active=active,
    )
    now = ctx.clock.now()
    async with ctx.db.session() as session:
        listed, total = await queries.list_targets(
            session, principal=principal, filters=filters, paging=paging, now=now
        )
        rows = [x.record for x in listed]
        found = await risks(session, rows, policy=risk_policy(ctx), at=now)
    return Page[TargetOut].of(
        [target_out(t, found[t.id]) for t in rows], total=total, paging=paging
    )


@router.get(
    "/{target_id:uuid}",
    response_model=TargetOut,
    summary="One target",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_target(target_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> TargetOut:
    """The target with its risk and 守法诚信 flag now."""
    async with ctx.db.session() as session:
        target = await TARGET.load_for(session, target_id, principal, lock=False)
        return await target_detail(session, target, ctx)


@router.patch(
    "/{target_id:uuid}",
    response_model=TargetOut,
    summary="Change a target (a new version; past draws keep reading the old one)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS)],
)
async def update_target(
    target_id: uuid.UUID, data: TargetUpdate, ctx: Context, principal: CurrentPrincipal
) -> TargetOut:
    """Name, industry, level, address, or no longer supervised."""
    async with ctx.db.uow(actor=principal) as uow:
        target = await inspection_service.update_target(
            uow, ctx=ctx, actor=principal, target_id=target_id, data=data
        )
        return await target_detail(uow.session, target, ctx)


@router.post(
    "/{target_id:uuid}/signals",
    response_model=SignalOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-02: record a risk signal (problem list, complaint, media report)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS, rule="INSP-02")],
)
async def record_signal(
    target_id: uuid.UUID,
    data: SignalIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> SignalOut:
    """With its source, date and weight; it raises the target's risk."""
    async with ctx.db.uow(actor=principal) as uow:
        signal = await inspection_service.record_signal(
            uow,
            ctx=ctx,
            actor=principal,
            target_id=target_id,
            data=data,
            idempotency_key=idempotency_key,
        )
        return signal_out(signal)


@router.get(
    "/{target_id:uuid}/signals",
    response_model=Page[SignalOut],
    summary="The target's signals, newest first",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_signals(
    target_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, paging: Paging
) -> Page[SignalOut]:
    """Withdrawn ones included, with their reason."""
    async with ctx.db.session() as session:
        await TARGET.load_for(session, target_id, principal, lock=False)
        rows, total = await queries.list_signals(session, target_id=target_id, paging=paging)
    return Page[SignalOut].of([signal_out(s) for s in rows], total=total, paging=paging)


@router.post(
    "/{target_id:uuid}/signals/{signal_id:uuid}/withdraw",
    response_model=SignalOut,
    summary="Withdraw a wrong signal (never deleted), with the reason",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS)],
)
async def withdraw_signal(
    target_id: uuid.UUID,
    signal_id: uuid.UUID,
    data: WithdrawIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> SignalOut:
    """Only the organisation that recorded it withdraws it."""
    async with ctx.db.uow(actor=principal) as uow:
        signal = await inspection_service.withdraw_signal(
            uow,
            ctx=ctx,
            actor=principal,
            target_id=target_id,
            signal_id=signal_id,
            reason=data.reason,
        )
        return signal_out(signal)


@router.get(
    "/{target_id:uuid}/visits",
    response_model=Page[TargetVisitOut],
    summary="The target's inspections (re-inspections by another party flagged)",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def target_visits(
    target_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, paging: Paging
) -> Page[TargetVisitOut]:
    """Those of the orders the caller may see."""
    async with ctx.db.session() as session:
        await TARGET.load_for(session, target_id, principal, lock=False)
        rows, total = await queries.visits_of_target(
            session, target_id=target_id, principal=principal, paging=paging
        )
    return Page[TargetVisitOut].of(
        [target_visit_out(v, o) for v, o in rows], total=total, paging=paging
    )
