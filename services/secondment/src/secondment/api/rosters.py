"""A department's roster (SEC-02): import a sheet, its versions, their differences, and
republishing every team's present (SEC-04)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from secondment import service as secondment_service
from secondment.api.common import DEPARTMENT, REPUBLISHERS
from secondment.domain.roster import ChangeKind, ImportOutcome
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
from xietong_common.errors import PayloadTooLarge
from xietong_common.materials import safe_filename
from xietong_common.reference import UnknownOrganisation
from xietong_common.schemas import Day, OrgCode, Page, ShortText
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey, Paging
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS, problem_responses

router = APIRouter(prefix="/rosters", tags=["rosters"])

CHUNK = 1 << 16


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """The sheet, refused as soon as it passes the limit (never read whole first)."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"the roster file is larger than {limit} bytes",
                zh=f"名单文件超过 {limit} 字节的上限",
                max_bytes=limit,
            )
        parts.append(chunk)
    return b"".join(parts)


@router.post(
    "/imports",
    response_model=ImportOut,
    status_code=status.HTTP_201_CREATED,
    summary="SEC-02: import the department's roster sheet (.xlsx or CSV) as a new version",
    responses={
        200: {"model": ImportOut, "description": "unchanged, or a preview (dry_run)"},
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
        File(description="the roster: .xlsx (first sheet) or CSV in UTF-8 or GB18030"),
    ],
    effective_from: Annotated[
        Day | None, Form(description="the version takes effect (default: today, China time)")
    ] = None,
    note: Annotated[ShortText | None, Form(description="why this version")] = None,
    dry_run: Annotated[bool, Form(description="check and compare only; store nothing")] = False,
    idempotency_key: IdempotencyKey = None,
) -> ImportOut:
    """Every row checked with errors by row and column in Chinese and English; one bad row
    and nothing is stored (422 `table-invalid`). Columns: 姓名, 执法证号, 执法证有效期 (or a
    range …至…), 所属队伍 (a team of the department, created first), optional 服务乡镇,
    执法证有效期起, 人员编号, 职务, 所属部门. Other columns (身份证号 …) are ignored and never
    stored. 201: a new version; 200 `unchanged`: the same content as the latest version."""
    content = await _read_limited(file, secondment_settings(ctx).secondment_roster_max_bytes)
    async with ctx.db.uow(actor=principal) as uow:
        result = await secondment_service.import_roster(
            uow,
            ctx=ctx,
            actor=principal,
            content=content,
            filename=safe_filename(file.filename, "roster"),
            effective_from=effective_from,
            note=(note.strip() or None) if note else None,
            dry_run=dry_run,
            idempotency_key=idempotency_key,
        )
    if result.outcome is not ImportOutcome.CREATED:
        response.status_code = status.HTTP_200_OK
    return import_out(result)


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
    paging: Paging,
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
