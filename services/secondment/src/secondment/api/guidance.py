"""SEC-05: guidance activities — record, list, read, materials, counts for oversight."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import StreamingResponse

from secondment import service as secondment_service
from secondment.api.common import DEPARTMENT, TOWN
from secondment.domain.guidance import CountBy
from secondment.schemas import (
    GuidanceConfirmIn,
    GuidanceCountsOut,
    GuidanceCreate,
    GuidanceOut,
    MaterialOut,
)
from secondment.service import guidance as guidance_service
from secondment.service.common import GUIDANCE, GUIDANCE_ROLES
from secondment.service.guidance import GuidanceFilters
from secondment.views import counts_out, guidance_out
from xietong_common.contracts.secondment import GuidanceKind
from xietong_common.errors import NotFound
from xietong_common.schemas import DayBound, Line, OrgCode, Page
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey, Paging
from xietong_common.web.materials import DOWNLOAD_RESPONSES, stream_material
from xietong_common.web.problems import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    problem_responses,
)

router = APIRouter(prefix="/guidance", tags=["guidance"])


def _filters(
    department: Annotated[OrgCode | None, Query(description="dept:<slug>")] = None,
    town: Annotated[OrgCode | None, Query(description="reaching this town")] = None,
    kind: GuidanceKind | None = None,
    held_from: Annotated[DayBound | None, Query(description="held on or after")] = None,
    held_to: Annotated[DayBound | None, Query(description="held on or before")] = None,
) -> GuidanceFilters:
    return GuidanceFilters(
        department=department, town=town, kind=kind, held_from=held_from, held_to=held_to
    )


@router.post(
    "",
    response_model=GuidanceOut,
    status_code=status.HTTP_201_CREATED,
    summary="SEC-05: record a guidance activity of the caller's department",
    responses=CREATE_ERRORS,
    dependencies=[Allowed(roles=GUIDANCE_ROLES, orgs=DEPARTMENT, rule="SEC-05")],
)
async def record(
    data: GuidanceCreate,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> GuidanceOut:
    """A guidance document, seminar, bulletin of typical practice, joint drill, training or
    third-party engagement: day, towns reached, attendance. Publishes
    `secondment.guidance-recorded`."""
    async with ctx.db.uow(actor=principal) as uow:
        activity = await secondment_service.record_activity(
            uow, ctx=ctx, actor=principal, data=data, idempotency_key=idempotency_key
        )
        return guidance_out(ctx, activity)


@router.get(
    "",
    response_model=Page[GuidanceOut],
    summary="SEC-05: guidance activities the caller may see",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_activities(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    department: Annotated[OrgCode | None, Query(description="dept:<slug>")] = None,
    town: Annotated[OrgCode | None, Query(description="reaching this town")] = None,
    kind: GuidanceKind | None = None,
    held_from: Annotated[DayBound | None, Query(description="held on or after")] = None,
    held_to: Annotated[DayBound | None, Query(description="held on or before")] = None,
) -> Page[GuidanceOut]:
    """A department's own, those reaching a town, all for oversight; newest first."""
    filters = _filters(department, town, kind, held_from, held_to)
    async with ctx.db.session() as session:
        rows, total = await guidance_service.list_guidance(
            session, principal=principal, filters=filters, paging=paging
        )
        items = [guidance_out(ctx, a) for a in rows]
    return Page[GuidanceOut].of(items, total=total, paging=paging)


@router.get(
    "/counts",
    response_model=GuidanceCountsOut,
    summary="SEC-05: activities and attendance per department, town, kind or period",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def counts(
    ctx: Context,
    principal: CurrentPrincipal,
    by: CountBy = CountBy.DEPARTMENT,
    department: Annotated[OrgCode | None, Query(description="dept:<slug>")] = None,
    town: Annotated[OrgCode | None, Query(description="reaching this town")] = None,
    kind: GuidanceKind | None = None,
    held_from: Annotated[DayBound | None, Query(description="held on or after")] = None,
    held_to: Annotated[DayBound | None, Query(description="held on or before")] = None,
) -> GuidanceCountsOut:
    """What oversight reads: how much guidance each department gave, each town received,
    of each kind, per month, quarter or year (within what the caller may see)."""
    filters = _filters(department, town, kind, held_from, held_to)
    async with ctx.db.session() as session:
        rows, total = await guidance_service.guidance_counts(
            session, principal=principal, by=by, filters=filters
        )
    return counts_out(ctx, by, rows, total=total, held_from=held_from, held_to=held_to)


@router.get(
    "/{activity_id:uuid}",
    response_model=GuidanceOut,
    summary="One guidance activity",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_activity(
    activity_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> GuidanceOut:
    """For its department, the towns it reached, and oversight."""
    async with ctx.db.session() as session:
        activity = await GUIDANCE.load_for(session, activity_id, principal, lock=False)
        return guidance_out(ctx, activity)


@router.post(
    "/{activity_id:uuid}/confirmation",
    response_model=GuidanceOut,
    summary="SEC-05: a town confirms it received the guidance activity",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=GUIDANCE_ROLES, orgs=TOWN, rule="SEC-05")],
)
async def confirm(
    activity_id: uuid.UUID, data: GuidanceConfirmIn, ctx: Context, principal: CurrentPrincipal
) -> GuidanceOut:
    """Once per town the activity reached; the department and oversight see who confirmed
    (`confirmations`) and who has not (`unconfirmed_towns`)."""
    async with ctx.db.uow(actor=principal) as uow:
        activity = await guidance_service.confirm_activity(
            uow, actor=principal, activity_id=activity_id, note=data.note
        )
        return guidance_out(ctx, activity)


@router.post(
    "/{activity_id:uuid}/materials",
    response_model=MaterialOut,
    status_code=status.HTTP_201_CREATED,
    summary="SEC-05: attach a material (multipart)",
    responses=problem_responses(401, 403, 404, 413, 415, 422),
    dependencies=[Allowed(roles=GUIDANCE_ROLES, orgs=DEPARTMENT, rule="SEC-05")],
)
async def upload_material(
    activity_id: uuid.UUID,
    ctx: Context,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="the document (PDF, OFD, image, Office…)")],
    title: Annotated[Line | None, Form()] = None,
) -> MaterialOut:
    """The guidance document, slides, attendance sheet or photos of the activity."""
    async with ctx.db.uow(actor=principal) as uow:
        material = await secondment_service.add_material(
            uow,
            ctx=ctx,
            activity_id=activity_id,
            actor=principal,
            title=title,
            upload=file,
        )
        return MaterialOut.of(material)


@router.get(
    "/{activity_id:uuid}/materials/{material_id:uuid}/content",
    response_class=StreamingResponse,
    summary="Download a material",
    responses={**DOWNLOAD_RESPONSES, **problem_responses(401, 404)},
    dependencies=[Allowed(roles=ANY)],
)
async def download_material(
    activity_id: uuid.UUID, material_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> StreamingResponse:
    """The stored file, for whoever may see the activity."""
    async with ctx.db.session() as session:
        activity = await GUIDANCE.load_for(session, activity_id, principal, lock=False)
        material = next((m for m in activity.materials if m.id == material_id), None)
    if material is None:
        raise NotFound("no such material", zh="未找到该材料")
    return await stream_material(ctx, material)
