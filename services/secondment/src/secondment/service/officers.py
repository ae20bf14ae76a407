"""Seconded officers: SEC-03's records that stay with the department (establishment,
identity, assessment), and a town's notes on his daily work under its command (SEC-01)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from secondment.domain.personnel import check_note_author, check_personnel_editor
from secondment.errors import AssessmentExists, NotServingOnDay
from secondment.models import Assessment, Officer, WorkNote
from secondment.schemas import AssessmentIn, PersonnelUpdate, WorkNoteIn
from secondment.service.common import (
    NOTE_ROLES,
    PERSONNEL_ROLES,
    audit,
    officer_for,
    subject_of_officer,
    today,
)
from secondment.service.queries import serving_entry
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.errors import InvalidInput
from xietong_common.uow import UnitOfWork

ASSESSMENT_SCOPE = "secondment.assessment.create"
NOTE_SCOPE = "secondment.work-note.create"


async def _officer_locked(uow: UnitOfWork, officer_id: uuid.UUID, actor: Principal) -> Officer:
    officer = await officer_for(uow.session, officer_id, actor)
    await uow.session.execute(
        sa.select(Officer.id).where(Officer.id == officer.id).with_for_update()
    )
    return officer


async def update_personnel(
    uow: UnitOfWork, *, officer_id: uuid.UUID, actor: Principal, data: PersonnelUpdate
) -> Officer:
    """SEC-03: the department records the officer's establishment and identity, which
    secondment does not change; a town he serves (or oversight) is refused, nothing changed."""
    officer = await _officer_locked(uow, officer_id, actor)
    check_personnel_editor(actor.org, department=officer.department)
    actor.require_role(*PERSONNEL_ROLES)
    before = {"establishment": officer.establishment, "identity": officer.identity}
    for name in data.model_fields_set:
        value = getattr(data, name)
        setattr(officer, name, value.value if value is not None else None)
    officer.updated_at = uow.now
    audit(
        uow,
        action="officer.personnel-updated",
        subject=subject_of_officer(officer.id),
        rule="SEC-03",
        before=before,
        after={"establishment": officer.establishment, "identity": officer.identity},
    )
    return officer


async def add_assessment(
    uow: UnitOfWork,
    *,
    officer_id: uuid.UUID,
    actor: Principal,
    data: AssessmentIn,
    idempotency_key: str | None = None,
) -> Assessment:
    """SEC-03: the department assesses its seconded officer, once a year."""
    officer = await _officer_locked(uow, officer_id, actor)
    check_personnel_editor(actor.org, department=officer.department)
    actor.require_role(*PERSONNEL_ROLES)
    replay = await idempotency.claim(
        uow,
        scope=ASSESSMENT_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"officer_id": str(officer.id), **data.model_dump(mode="json")},
    )
    if replay is not None:
        found = await uow.session.get(Assessment, uuid.UUID(replay))
        assert found is not None
        return found
    exists = (
        await uow.session.execute(
            sa.select(Assessment.id).where(
                Assessment.officer_id == officer.id, Assessment.year == data.year
            )
        )
    ).first()
    if exists is not None:
        raise AssessmentExists(
            f"the {data.year} assessment of this officer is already recorded",
            zh=f"该下沉人员 {data.year} 年度的考核结果已记录",
            year=data.year,
            rule="SEC-03",
        )
    assessment = Assessment(
        id=uuid.uuid4(),
        officer_id=officer.id,
        year=data.year,
        grade=data.grade.value,
        note=data.note,
        recorded_at=uow.now,
        recorded_by=actor.user,
    )
    uow.session.add(assessment)
    await uow.session.flush()
    await idempotency.remember(
        uow,
        scope=ASSESSMENT_SCOPE,
        org=actor.org,
        key=idempotency_key,
        resource_id=str(assessment.id),
    )
    audit(
        uow,
        action="officer.assessed",
        subject=subject_of_officer(officer.id),
        rule="SEC-03",
        year=data.year,
        grade=data.grade.value,
    )
    return assessment


async def add_work_note(
    uow: UnitOfWork,
    *,
    officer_id: uuid.UUID,
    actor: Principal,
    data: WorkNoteIn,
    idempotency_key: str | None = None,
) -> WorkNote:
    """SEC-01 共用共管: a town the officer serves notes his daily work under its command, on a
    day he served it (his department reads the notes for its assessment, SEC-03)."""
    officer = await officer_for(uow.session, officer_id, actor)
    check_note_author(actor.org, department=officer.department)
    actor.require_role(*NOTE_ROLES)
    if data.day > today(uow):
        raise InvalidInput(
            "a note records work done: no day after today",
            zh="工作记录只记已开展的工作，日期不得晚于今日",
        )
    serving = await serving_entry(uow.session, officer.id, data.day)
    if serving is None or actor.org not in serving.towns:
        raise NotServingOnDay(
            f"the officer did not serve {actor.org} on {data.day}",
            zh=f"该下沉人员 {data.day} 不服务于本乡镇（街道）",
            day=data.day.isoformat(),
            rule="SEC-01",
        )
    replay = await idempotency.claim(
        uow,
        scope=NOTE_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"officer_id": str(officer.id), **data.model_dump(mode="json")},
    )
    if replay is not None:
        found = await uow.session.get(WorkNote, uuid.UUID(replay))
        assert found is not None
        return found
    note = WorkNote(
        id=uuid.uuid4(),
        officer_id=officer.id,
        town=actor.org,
        day=data.day,
        kind=data.kind.value,
        text=data.text,
        recorded_at=uow.now,
        recorded_by=actor.user,
    )
    uow.session.add(note)
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=NOTE_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(note.id)
    )
    audit(
        uow,
        action="officer.work-noted",
        subject=subject_of_officer(officer.id),
        rule="SEC-01",
        town=actor.org,
        day=data.day.isoformat(),
        kind=data.kind.value,
    )
    return note
