"""A department's roster (SEC-02): import a sheet, its versions, their differences, and
republishing every team's present (SEC-04)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse

from secondment import service as secondment_service
from secondment.api.common import DEPARTMENT, REPUBLISHERS
from secondment.domain.roster import ChangeKind, ImportOutcome
from secondment.models import ImportJob
from secondment.schemas import (
    ImportOut,
    RepublishIn,
    RepublishOut,
    RosterDiffOut,
    RosterEntryOut,
    RosterVersionOut,
)
from secondment.service import queries
from secondment.service.common import REPUBLISH_ROLES, ROSTER_ROLES
from secondment.settings import secondment_settings
from secondment.views import diff_out, import_out, roster_entry_out, roster_version_out
from xietong_common import import_jobs
from xietong_common.materials import safe_filename
from xietong_common.reference import UnknownOrganisation
from xietong_common.schemas import Day, OrgCode, Page, ShortText
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey, PageNumbers, Paging
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS, problem_responses

router = APIRouter(prefix="/rosters", tags=["rosters"])

RosterImportJobOut = import_jobs.ImportJobOut[ImportOut]
IMPORT_KIND = "secondment-roster"


@router.post(
    "/imports",
    response_model=ImportOut,
    status_code=status.HTTP_201_CREATED,
    summary="SEC-02: import the department's roster sheet (.xlsx or CSV) as a new version",
    responses={
        200: {"model": ImportOut, "description": "unchanged, or a preview (dry_run)"},
        202: {
            "model": RosterImportJobOut,
            "description": "a large sheet (or `Prefer: respond-async`): the import job, to follow "
            "at `Location` (GET /rosters/import-jobs/{job_id})",
        },
        **problem_responses(401, 403, 409, 413, 422),
    },
    dependencies=[Allowed(roles=ROSTER_ROLES, orgs=DEPARTMENT, rule="SEC-02")],
)
async def import_roster(
    ctx: Context,
    principal: CurrentPrincipal,
    response: Response,
    file: Annotated[
        UploadFile,
        File(description="the roster: .xlsx (first sheet) or CSV in UTF-8, GB18030 or UTF-16"),
    ],
    effective_from: Annotated[
        Day | None, Form(description="the version takes effect (default: today, China time)")
    ] = None,
    note: Annotated[ShortText | None, Form(description="why this version")] = None,
    dry_run: Annotated[bool, Form(description="check and compare only; store nothing")] = False,
    idempotency_key: IdempotencyKey = None,
    prefer: Annotated[
        str | None, Header(description="`respond-async`: answer 202 with a job whatever the size")
    ] = None,
) -> ImportOut | JSONResponse:
    """Every row checked with errors by row and column in Chinese and English; one bad row
    and nothing is stored (422 `table-invalid`). Columns: 姓名, 执法证号, 执法证有效期 (or a
    range …至…), 所属队伍 (a team of the department, created first), optional 服务乡镇,
    执法证有效期起, 人员编号, 职务, 所属部门. Other columns (身份证号 …) are ignored and never
    stored. 201: a new version; 200 `unchanged`: the same content as the latest version. The
    sheet is read in a worker process within limits (a broken or hostile file is a 422 saying
    what is wrong with it); a sheet larger than `XIETONG_IMPORT_SYNC_MAX_BYTES` (256 KiB) is
    a job: 202, followed at GET /rosters/import-jobs/{job_id} (a dry run too)."""
    upload = await import_jobs.spool(
        file,
        directory=import_jobs.spool_dir(ctx.settings),
        max_bytes=secondment_settings(ctx).secondment_roster_max_bytes,
        filename=safe_filename(file.filename, "roster"),
    )
    note = (note.strip() or None) if note else None

    async def run(progress: import_jobs.Progress | None, key: str | None) -> ImportOut:
        read = await secondment_service.read_roster(
            ctx, upload.path, filename=upload.filename, progress=progress
        )
        async with ctx.db.uow(actor=principal) as uow:
            result = await secondment_service.import_roster(
                uow,
                ctx=ctx,
                actor=principal,
                read=read,
                sha256=upload.sha256,
                size=upload.size,
                filename=upload.filename,
                effective_from=effective_from,
                note=note,
                dry_run=dry_run,
                idempotency_key=key,
            )
        return import_out(result)

    if import_jobs.wants_job(ctx.settings, upload.size, prefer):
        options = {
            "effective_from": effective_from.isoformat() if effective_from else None,
            "note": note,
            "dry_run": dry_run,
        }
        try:
            async with ctx.db.uow(actor=principal) as uow:
                job, replayed = await import_jobs.create_job(
                    uow,
                    ImportJob,
                    actor=principal,
                    kind=IMPORT_KIND,
                    file=upload,
                    options=options,
                    idempotency_key=idempotency_key,
                )
        except BaseException:
            upload.discard()
            raise
        if replayed:
            upload.discard()
        else:

            async def work(progress: import_jobs.Progress) -> ImportOut:
                return await run(progress, None)

            import_jobs.start_job(ctx, ImportJob, job.id, upload, work)
        return JSONResponse(
            import_jobs.job_out(job, ImportOut).model_dump(mode="json"),
            status_code=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/rosters/import-jobs/{job.id}"},
        )
    try:
        out = await run(None, idempotency_key)
    finally:
        upload.discard()
    if out.outcome.value != ImportOutcome.CREATED.value:
        response.status_code = status.HTTP_200_OK
    return out


@router.get(
    "/import-jobs/{job_id:uuid}",
    response_model=RosterImportJobOut,
    summary="SEC-02: a roster import job — its state, progress and result",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ROSTER_ROLES, orgs=DEPARTMENT, rule="SEC-02")],
)
async def import_job(
    job_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> import_jobs.ImportJobOut[ImportOut]:
    """Rows read and validated and errors so far; when done, the import's answer (`result`)
    or its refusal (`problem`). Only the department that started it sees it (others 404)."""
    async with ctx.db.session() as session:
        job = await import_jobs.load_job(session, ImportJob, job_id, principal)
        return import_jobs.job_out(job, ImportOut)


@router.get(
    "",
    response_model=Page[RosterVersionOut],
    summary="SEC-02: the department's roster versions (名单版本), newest first",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_versions(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    department: Annotated[OrgCode | None, Query(description="oversight: one department")] = None,
) -> Page[RosterVersionOut]:
    """A department sees its own versions; the justice bureau and the district government any."""
    async with ctx.db.session() as session:
        rows, total = await queries.list_roster_versions(
            session, principal=principal, department=department, paging=paging
        )
    return Page[RosterVersionOut].of(
        [roster_version_out(v) for v in rows],
        total=total,
        paging=paging,
    )


@router.get(
    "/diff",
    response_model=RosterDiffOut,
    summary="SEC-02: compare two versions of a department's roster",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def diff(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: PageNumbers,
    base: Annotated[int, Query(ge=0, le=1_000_000, description="the earlier version (0: none)")],
    target: Annotated[int, Query(ge=0, le=1_000_000, description="the later version")],
    department: Annotated[
        OrgCode | None, Query(description="default: the caller's own department")
    ] = None,
    change: Annotated[ChangeKind | None, Query(description="only this kind of change")] = None,
) -> RosterDiffOut:
    """Who joined, left, moved team or towns, had the certificate changed; teams added,
    dissolved or changed. The officers' changes are paged."""
    which = department or principal.org
    if not ctx.directory.is_department(which):
        raise UnknownOrganisation(
            f"{which} keeps no roster: name the department (department=dept:<slug>)",
            zh=f"{which} 没有下沉人员名单：请指定部门（department=dept:<slug>）",
            organisation=which,
        )
    async with ctx.db.session() as session:
        found = await queries.roster_diff(
            session,
            principal=principal,
            department=which,
            base=base,
            target=target,
            change=change,
            paging=paging,
        )
    return diff_out(found, page=paging.page, page_size=paging.page_size)


@router.post(
    "/republish",
    response_model=RepublishOut,
    summary="SEC-04: publish every team's present roster again (for a new consumer)",
    responses=problem_responses(401, 403, 422),
    dependencies=[Allowed(roles=REPUBLISH_ROLES, orgs=REPUBLISHERS, rule="SEC-04")],
)
async def republish(
    ctx: Context, principal: CurrentPrincipal, data: RepublishIn | None = None
) -> RepublishOut:
    """`secondment.roster-changed` for every team (a department: its own; oversight: all or
    one department), each with the versions in effect and to come. Consumers keep each
    version once, so republishing is always safe. Needs the `admin` role."""
    async with ctx.db.uow(actor=principal) as uow:
        teams, events = await secondment_service.republish(
            uow, ctx=ctx, actor=principal, department=data.department if data else None
        )
    return RepublishOut(teams=teams, events=events)


@router.get(
    "/{version_id:uuid}",
    response_model=RosterVersionOut,
    summary="One roster version",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_version(
    version_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> RosterVersionOut:
    """How the version came about, when it takes effect, what it changed."""
    async with ctx.db.session() as session:
        return roster_version_out(
            await queries.get_roster_version(session, principal=principal, version_id=version_id)
        )


@router.get(
    "/{version_id:uuid}/officers",
    response_model=Page[RosterEntryOut],
    summary="The department's roster as a version left it",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def version_officers(
    version_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, paging: Paging
) -> Page[RosterEntryOut]:
    """Every officer on a team in force, by team: earlier versions stay readable."""
    async with ctx.db.session() as session:
        _, rows, total = await queries.roster_entries(
            session, principal=principal, version_id=version_id, paging=paging
        )
        items = [roster_entry_out(m) for m in rows]
    return Page[RosterEntryOut].of(items, total=total, paging=paging)
