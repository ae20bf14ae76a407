"""Seconded officers: who serves a town on a day (SEC-01), SEC-03's records that stay with
the department (establishment, identity, assessment), a town's notes on his daily work under
its command (SEC-01), and SEC-04 eligibility from the service's own roster."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from secondment.domain.personnel import check_note_author, check_personnel_editor
from secondment.domain.teams import sees_all
from secondment.errors import AssessmentExists, NotServingOnDay
from secondment.models import Assessment, Officer, Team, TeamMember, TeamVersion, WorkNote
from secondment.schemas import AssessmentIn, OfficerView, PersonnelUpdate, WorkNoteIn
from secondment.service.common import (
    NOTE_ROLES,
    OFFICER,
    PERSONNEL_ROLES,
    today,
    visible_officer,
)
from secondment.service.queries import in_effect_on, member_query, sees_roster, serving_on
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.errors import InvalidInput
from xietong_common.mechanisms.roster import Eligibility, china_day, decide
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.reference import MatterCatalogue, SecondmentMode, is_department, is_town
from xietong_common.uow import UnitOfWork

ASSESSMENT_SCOPE = "secondment.assessment.create"
NOTE_SCOPE = "secondment.work-note.create"


async def update_personnel(
    uow: UnitOfWork, *, officer_id: uuid.UUID, actor: Principal, data: PersonnelUpdate
) -> Officer:
    """SEC-03: the department records the officer's establishment and identity, which
    secondment does not change; a town he serves (or oversight) is refused, nothing changed."""
    officer = await visible_officer(uow, officer_id, actor)
    check_personnel_editor(actor.org, department=officer.department)
    actor.require_role(*PERSONNEL_ROLES)
    before = {"establishment": officer.establishment, "identity": officer.identity}
    for name in data.model_fields_set:
        value = getattr(data, name)
        setattr(officer, name, value.value if value is not None else None)
    officer.updated_at = uow.now
    OFFICER.audit(
        uow,
        officer,
        "officer.personnel-updated",
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
    officer = await visible_officer(uow, officer_id, actor)
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
    OFFICER.audit(
        uow,
        officer,
        "officer.assessed",
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
    officer = await visible_officer(uow, officer_id, actor, lock=False)
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
    OFFICER.audit(
        uow,
        officer,
        "officer.work-noted",
        rule="SEC-01",
        town=actor.org,
        day=data.day.isoformat(),
        kind=data.kind.value,
    )
    return note


# ---- officers: who serves a town on a day (SEC-01) ------------------------------------------------


@dataclass(frozen=True)
class OfficerFilters:
    day: date
    town: str | None = None
    department: str | None = None
    team_id: uuid.UUID | None = None
    mode: SecondmentMode | None = None
    certificate_number: str | None = None
    name: str | None = None


def _members_visible(org: str) -> sa.ColumnElement[bool]:
    if sees_all(org):
        return sa.true()
    if is_department(org):
        return Team.department == org
    if is_town(org):
        return TeamMember.towns.contains([org])
    return sa.false()


async def list_serving(
    session: AsyncSession, *, principal: Principal, filters: OfficerFilters, paging: PageParams
) -> tuple[Sequence[TeamMember], int]:
    """SEC-01 共用共管: the seconded officers serving on a day — a town's from every
    department, a department's own across towns, everyone for oversight."""
    query = (
        member_query(in_effect_on(filters.day))
        .where(_members_visible(principal.org), *serving_on(filters.day))
        .order_by(Team.department, TeamVersion.name, TeamMember.name, TeamMember.officer_id)
    )
    if filters.town:
        query = query.where(TeamMember.towns.contains([filters.town]))
    if filters.department:
        query = query.where(Team.department == filters.department)
    if filters.team_id:
        query = query.where(Team.id == filters.team_id)
    if filters.mode:
        query = query.where(Team.mode == filters.mode.value)
    if filters.certificate_number:
        query = query.where(TeamMember.certificate_number == filters.certificate_number)
    if filters.name:
        query = query.where(TeamMember.name == filters.name)
    # An officer's place changes with the team version that put him there.
    return await fetch_page(session, query, paging, changed=TeamVersion.changed_at)


async def serving_entry(
    session: AsyncSession, officer_id: uuid.UUID, day: date
) -> TeamMember | None:
    """The officer's place on a team in force on `day`, if any."""
    query = (
        member_query(in_effect_on(day))
        .where(TeamMember.officer_id == officer_id, *serving_on(day))
        .order_by(TeamVersion.effective_from.desc())
        .limit(1)
    )
    found: TeamMember | None = (await session.execute(query)).scalars().first()
    return found


async def get_officer(
    session: AsyncSession, *, principal: Principal, officer_id: uuid.UUID, day: date
) -> OfficerView:
    """One officer, where he serves on `day`; SEC-03's records for his department and
    oversight only."""
    officer = await visible_officer(session, officer_id, principal, lock=False)
    serving = await serving_entry(session, officer.id, day)
    assessments = None
    if sees_roster(principal.org, officer.department):
        assessments = list(
            (
                await session.execute(
                    sa.select(Assessment)
                    .where(Assessment.officer_id == officer.id)
                    .order_by(Assessment.year.desc())
                )
            ).scalars()
        )
    return OfficerView(officer, serving, assessments)


async def list_work_notes(
    session: AsyncSession, *, principal: Principal, officer_id: uuid.UUID, paging: PageParams
) -> tuple[Sequence[WorkNote], int]:
    """A town's notes on the officer (its own); his department and oversight read them all."""
    officer = await visible_officer(session, officer_id, principal, lock=False)
    query = (
        sa.select(WorkNote)
        .where(WorkNote.officer_id == officer.id)
        .order_by(WorkNote.day.desc(), WorkNote.recorded_at.desc(), WorkNote.id)
    )
    if not sees_roster(principal.org, officer.department):
        query = query.where(WorkNote.town == principal.org)
    # A note never changes once recorded.
    return await fetch_page(session, query, paging, changed=WorkNote.recorded_at)


# ---- SEC-04 --------------------------------------------------------------------------------------


async def eligibility_entries(
    session: AsyncSession, officer_id: str, day: date
) -> list[dict[str, Any]]:
    """The officer's entries in the team versions in effect on `day`, shaped as
    `xietong_common.mechanisms.roster.judge` reads them (the projection's rows)."""
    try:
        oid = uuid.UUID(officer_id)
    except ValueError:
        return []
    chosen = in_effect_on(day)
    rows = await session.execute(
        sa.select(
            TeamMember.team_id,
            TeamMember.name,
            TeamMember.certificate_number,
            TeamMember.certificate_valid_from,
            TeamMember.certificate_valid_until,
            TeamMember.towns,
            Team.department,
            TeamVersion.valid_from,
            TeamVersion.valid_until,
            TeamVersion.dissolved,
            TeamVersion.towns.label("team_towns"),
        )
        .join(
            chosen,
            sa.and_(TeamMember.team_id == chosen.c.team_id, TeamMember.version == chosen.c.version),
        )
        .join(
            TeamVersion,
            sa.and_(
                TeamVersion.team_id == TeamMember.team_id, TeamVersion.version == TeamMember.version
            ),
        )
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.officer_id == oid)
    )
    return [{**dict(r), "team_id": str(r.team_id)} for r in rows.mappings()]


async def eligibility(
    session: AsyncSession,
    *,
    catalogue: MatterCatalogue,
    officer_id: str,
    matter_code: str,
    town: str,
    at: datetime,
) -> Eligibility:
    """SEC-04 from the service's own roster, decided by the same code every projection uses
    (`xietong_common.mechanisms.roster.decide`/`judge`)."""
    day = china_day(at)
    entries = await eligibility_entries(session, officer_id, day)
    return decide(
        entries,
        officer_id=officer_id,
        matter_code=matter_code,
        town=town,
        day=day,
        catalogue=catalogue,
    )
