"""Seconded officers: who serves a town on a day (SEC-01), one officer, SEC-03's records,
a town's notes on daily work, and SEC-04 eligibility."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from secondment import service as secondment_service
from secondment.api.common import DEPARTMENT, TOWN, OnDay, day_or_today
from secondment.schemas import (
    AssessmentIn,
    AssessmentOut,
    EligibilityOut,
    OfficerOut,
    PersonnelUpdate,
    ServingOfficerOut,
    WorkNoteIn,
    WorkNoteOut,
)
from secondment.schemas.requests import CertificateNumber
from secondment.service import officers as officer_service
from secondment.service.common import NOTE_ROLES, PERSONNEL_ROLES
from secondment.service.officers import OfficerFilters
from secondment.views import (
    assessment_out,
    eligibility_out,
    officer_out,
    serving_out,
    work_note_out,
)
from xietong_common.mechanisms.roster import china_day
from xietong_common.reference import SecondmentMode
from xietong_common.schemas import Code, Name, OrgCode, Page, Timestamp
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey, Paging
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS

router = APIRouter(tags=["officers"])

OfficerRef = Annotated[
    str,
    Query(
        min_length=1,
        max_length=64,
        pattern=r"^[0-9A-Za-z-]+$",
        description="the officer's id (from GET /officers or the roster event)",
    ),
]


@router.get(
    "/officers",
    response_model=Page[ServingOfficerOut],
    summary="SEC-01: the seconded officers serving on a day, with team, mode and matters",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_officers(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    on: OnDay = None,
    town: Annotated[OrgCode | None, Query(description="serving this town")] = None,
    department: Annotated[OrgCode | None, Query(description="of this department")] = None,
    team_id: uuid.UUID | None = None,
    mode: SecondmentMode | None = None,
    certificate_number: Annotated[CertificateNumber | None, Query()] = None,
    name: Annotated[Name | None, Query(description="exactly this name")] = None,
) -> Page[ServingOfficerOut]:
    """共用共管: a town sees every officer serving it, from all departments; a department its
    own across towns; the justice bureau and the district government everyone."""
    day = day_or_today(ctx, on)
    filters = OfficerFilters(
        day=day,
        town=town,
        department=department,
        team_id=team_id,
        mode=mode,
        certificate_number=certificate_number,
        name=name,
    )
    async with ctx.db.session() as session:
        rows, total = await officer_service.list_serving(
            session, principal=principal, filters=filters, paging=paging
        )
        items = [serving_out(ctx, m, day=day) for m in rows]
    return Page[ServingOfficerOut].of(items, total=total, paging=paging)


@router.get(
    "/officers/{officer_id:uuid}",
    response_model=OfficerOut,
    summary="One seconded officer, where he serves on a day",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_officer(
    officer_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, on: OnDay = None
) -> OfficerOut:
    """His place on `on` (default today); SEC-03's records for his department and oversight."""
    day = day_or_today(ctx, on)
    async with ctx.db.session() as session:
        view = await officer_service.get_officer(
            session, principal=principal, officer_id=officer_id, day=day
        )
        return officer_out(ctx, view, day=day)


@router.patch(
    "/officers/{officer_id:uuid}/personnel",
    response_model=OfficerOut,
    summary="SEC-03: the department records establishment and identity",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=PERSONNEL_ROLES, orgs=DEPARTMENT, rule="SEC-03")],
)
async def update_personnel(
    officer_id: uuid.UUID, data: PersonnelUpdate, ctx: Context, principal: CurrentPrincipal
) -> OfficerOut:
    """编制、身份不变: the officer's department alone records them; a town he serves, or
    oversight, gets 403 and nothing changes."""
    async with ctx.db.uow(actor=principal) as uow:
        await secondment_service.update_personnel(
            uow, officer_id=officer_id, actor=principal, data=data
        )
    return await get_officer(officer_id, ctx, principal)


@router.post(
    "/officers/{officer_id:uuid}/assessments",
    response_model=AssessmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="SEC-03: the department records the officer's annual assessment",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=PERSONNEL_ROLES, orgs=DEPARTMENT, rule="SEC-03")],
)
async def add_assessment(
    officer_id: uuid.UUID,
    data: AssessmentIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> AssessmentOut:
    """考核、待遇由区级行政执法部门负责: one assessment per year, by his department only."""
    async with ctx.db.uow(actor=principal) as uow:
        assessment = await secondment_service.add_assessment(
            uow,
            officer_id=officer_id,
            actor=principal,
            data=data,
            idempotency_key=idempotency_key,
        )
        return assessment_out(assessment)


@router.post(
    "/officers/{officer_id:uuid}/work-notes",
    response_model=WorkNoteOut,
    status_code=status.HTTP_201_CREATED,
    summary="SEC-01: a town notes the officer's daily work under its command",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=NOTE_ROLES, orgs=TOWN, rule="SEC-01")],
)
async def add_work_note(
    officer_id: uuid.UUID,
    data: WorkNoteIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> WorkNoteOut:
    """共用共管: the town he served that day records his work; his department reads it."""
    async with ctx.db.uow(actor=principal) as uow:
        note = await secondment_service.add_work_note(
            uow,
            officer_id=officer_id,
            actor=principal,
            data=data,
            idempotency_key=idempotency_key,
        )
        return work_note_out(note)


@router.get(
    "/officers/{officer_id:uuid}/work-notes",
    response_model=Page[WorkNoteOut],
    summary="The towns' notes on the officer's daily work",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_work_notes(
    officer_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, paging: Paging
) -> Page[WorkNoteOut]:
    """A town reads its own notes; his department and oversight read all of them."""
    async with ctx.db.session() as session:
        rows, total = await officer_service.list_work_notes(
            session, principal=principal, officer_id=officer_id, paging=paging
        )
    return Page[WorkNoteOut].of(
        [work_note_out(n) for n in rows],
        total=total,
        paging=paging,
    )


@router.get(
    "/eligibility",
    response_model=EligibilityOut,
    tags=["eligibility"],
    summary="SEC-04: may this officer act on this matter in this town at this time?",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def eligibility(
    ctx: Context,
    principal: CurrentPrincipal,
    officer: OfficerRef,
    matter: Annotated[Code, Query(description="a matter code of the catalogue")],
    town: Annotated[OrgCode, Query(description="town:<slug>")],
    at: Annotated[Timestamp | None, Query(description="default: now")] = None,
) -> EligibilityOut:
    """Yes only if his team in effect that day serves the town and is valid, his certificate
    is valid that day (to 24:00 China time), and the matter is his own department's and
    delegated to towns. The same decision (`xietong_common.mechanisms.roster.judge`) every
    consumer's projection makes from `secondment.roster-changed`."""
    when = at or ctx.clock.now()
    async with ctx.db.session() as session:
        answer = await officer_service.eligibility(
            session,
            catalogue=ctx.catalogue,
            officer_id=officer,
            matter_code=matter,
            town=town,
            at=when,
        )
    return eligibility_out(answer, matter_code=matter, town=town, at=when, day=china_day(when))
