"""Response views of the secondment and guidance service, built from its tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from secondment.domain.guidance import CountBy
from secondment.domain.personnel import AssessmentGrade, Establishment, Identity, WorkKind
from secondment.domain.roster import OfficerChange, Placement, RosterDiff, TeamChange
from secondment.domain.teams import TeamStatus, VersionKind
from secondment.models import (
    Assessment,
    GuidanceActivity,
    RosterVersion,
    TeamMember,
    TeamVersion,
    WorkNote,
)
from secondment.schemas import (
    AssessmentOut,
    ChangedTeamOut,
    ChangeKindOut,
    CountByOut,
    CountOut,
    EligibilityOut,
    EstablishmentOut,
    GradeOut,
    GuidanceConfirmationOut,
    GuidanceCountsOut,
    GuidanceKindOut,
    GuidanceOut,
    IdentityOut,
    ImportOut,
    ImportResult,
    MaterialOut,
    MatterOut,
    MemberOut,
    ModeOut,
    OfficerChangeOut,
    OfficerOut,
    OfficerView,
    OutcomeOut,
    PersonnelOut,
    PlacementOut,
    RosterDiffOut,
    RosterEntryOut,
    RosterVersionOut,
    ServingOfficerOut,
    StatusOut,
    TeamChangeKindOut,
    TeamChangeOut,
    TeamOut,
    TeamSummary,
    VersionKindOut,
    WarningOut,
    WorkKindOut,
    WorkNoteOut,
)
from xietong_common.context import ServiceContext
from xietong_common.contracts.secondment import GuidanceKind
from xietong_common.mechanisms.roster import Eligibility
from xietong_common.reference import SecondmentMode
from xietong_common.schemas import Page


def _name(ctx: ServiceContext, code: str) -> str:
    org = ctx.directory.get(code)
    return org.name_zh if org else code


def matters_of(ctx: ServiceContext, department: str) -> list[MatterOut]:
    """SEC-04: the department's empowered matters delegated to towns (the matter catalogue)."""
    return [
        MatterOut(code=m.code, name_zh=m.name_zh, name_en=m.name_en)
        for m in ctx.catalogue.of_department(department)
        if m.town_level
    ]


# ---- teams ---------------------------------------------------------------------------------------


def team_summary(
    ctx: ServiceContext, v: TeamVersion, *, roster_number: int, officer_count: int
) -> TeamSummary:
    return TeamSummary(
        id=v.team_id,
        version=v.version,
        department=v.team.department,
        department_name=_name(ctx, v.team.department),
        mode=ModeOut.of(SecondmentMode(v.team.mode)),
        status=StatusOut.of(TeamStatus.DISSOLVED if v.dissolved else TeamStatus.ACTIVE),
        name=v.name,
        zone_name=v.zone_name,
        towns=list(v.towns),
        valid_from=v.valid_from,
        valid_until=v.valid_until,
        leader=v.leader,
        contact=v.contact,
        effective_from=v.effective_from,
        roster_version=roster_number,
        officer_count=officer_count,
        changed_at=v.changed_at,
    )


def member_out(m: TeamMember) -> MemberOut:
    return MemberOut(
        officer_id=m.officer_id,
        name=m.name,
        certificate_number=m.certificate_number,
        certificate_valid_from=m.certificate_valid_from,
        certificate_valid_until=m.certificate_valid_until,
        towns=list(m.towns),
        all_team_towns=m.all_team_towns,
        position=m.position,
        staff_number=m.staff_number,
    )


def team_out(
    ctx: ServiceContext, v: TeamVersion, members: list[TeamMember], *, roster_number: int
) -> TeamOut:
    summary = team_summary(ctx, v, roster_number=roster_number, officer_count=len(members))
    return TeamOut(
        **summary.model_dump(),
        reason=v.reason,
        changed_by=v.changed_by,
        officers=[member_out(m) for m in members],
    )


# ---- roster versions -----------------------------------------------------------------------------


def roster_version_out(v: RosterVersion) -> RosterVersionOut:
    return RosterVersionOut(
        id=v.id,
        department=v.department,
        number=v.number,
        kind=VersionKindOut.of(VersionKind(v.kind)),
        effective_from=v.effective_from,
        filename=v.filename,
        file_sha256=v.file_sha256,
        file_size=v.file_size,
        rows=v.rows,
        teams_changed=v.teams_changed,
        counts={str(k): int(n) for k, n in (v.counts or {}).items()},
        note=v.note,
        created_at=v.created_at,
        created_by=v.created_by,
    )


def import_out(result: ImportResult) -> ImportOut:
    return ImportOut(
        outcome=OutcomeOut.of(result.outcome),
        version=roster_version_out(result.version) if result.version else None,
        rows=result.rows,
        teams_changed=[
            ChangedTeamOut(
                team_id=uuid.UUID(c.team_id),
                name=c.name,
                version=c.version,
                officer_count=len(c.members),
            )
            for c in sorted(result.changed, key=lambda c: c.name)
        ],
        counts=result.counts,
        warnings=[
            WarningOut(
                row=w.row,
                name=w.name,
                certificate_number=w.certificate_number,
                message_zh=w.zh,
                message_en=w.en,
            )
            for w in result.warnings
        ],
        ignored_columns=result.ignored_columns,
    )


def roster_entry_out(m: TeamMember) -> RosterEntryOut:
    return RosterEntryOut(
        **member_out(m).model_dump(), team_id=m.team_id, team_name=m.team_version.name
    )


def _placement(p: Placement | None) -> PlacementOut | None:
    if p is None:
        return None
    m = p.member
    return PlacementOut(
        team_id=uuid.UUID(p.team_id),
        team_name=p.team_name,
        towns=list(m.towns),
        certificate_number=m.certificate_number,
        certificate_valid_from=m.certificate_valid_from,
        certificate_valid_until=m.certificate_valid_until,
        position=m.position,
        staff_number=m.staff_number,
    )


def _officer_change(c: OfficerChange) -> OfficerChangeOut:
    return OfficerChangeOut(
        officer_id=uuid.UUID(c.officer_id),
        name=c.name,
        changes=[ChangeKindOut.of(k) for k in c.kinds],
        before=_placement(c.before),
        after=_placement(c.after),
    )


def _team_change(c: TeamChange) -> TeamChangeOut:
    return TeamChangeOut(
        team_id=uuid.UUID(c.team_id),
        name=c.name,
        changes=[TeamChangeKindOut.of(k) for k in c.kinds],
        towns_before=list(c.before.towns) if c.before else None,
        towns_after=list(c.after.towns) if c.after else None,
    )


def diff_out(d: RosterDiff, *, page: int, page_size: int) -> RosterDiffOut:
    return RosterDiffOut(
        department=d.department,
        base=d.base,
        target=d.target,
        counts=d.counts,
        teams=[_team_change(c) for c in d.teams],
        officers=Page[OfficerChangeOut](
            items=[_officer_change(c) for c in d.officers],
            total=d.total,
            page=page,
            page_size=page_size,
        ),
    )


# ---- officers ------------------------------------------------------------------------------------


def serving_out(ctx: ServiceContext, m: TeamMember, *, day: date) -> ServingOfficerOut:
    v = m.team_version
    department = v.team.department
    valid = (m.certificate_valid_from is None or m.certificate_valid_from <= day) and (
        day <= m.certificate_valid_until
    )
    return ServingOfficerOut(
        officer_id=m.officer_id,
        name=m.name,
        certificate_number=m.certificate_number,
        certificate_valid_from=m.certificate_valid_from,
        certificate_valid_until=m.certificate_valid_until,
        certificate_valid=valid,
        department=department,
        department_name=_name(ctx, department),
        team_id=m.team_id,
        team_name=v.name,
        team_version=v.version,
        mode=ModeOut.of(SecondmentMode(v.team.mode)),
        towns=list(m.towns),
        position=m.position,
        matters=matters_of(ctx, department),
        day=day,
    )


def assessment_out(a: Assessment) -> AssessmentOut:
    return AssessmentOut(
        id=a.id,
        year=a.year,
        grade=GradeOut.of(AssessmentGrade(a.grade)),
        note=a.note,
        recorded_at=a.recorded_at,
        recorded_by=a.recorded_by,
    )


def officer_out(ctx: ServiceContext, view: OfficerView, *, day: date) -> OfficerOut:
    o = view.officer
    personnel = None
    if view.assessments is not None:
        personnel = PersonnelOut(
            establishment=EstablishmentOut.of(Establishment(o.establishment))
            if o.establishment
            else None,
            identity=IdentityOut.of(Identity(o.identity)) if o.identity else None,
            establishment_unit=o.department,
            assessed_by=o.department,
            paid_by=o.department,
            assessments=[assessment_out(a) for a in view.assessments],
        )
    return OfficerOut(
        id=o.id,
        department=o.department,
        department_name=_name(ctx, o.department),
        name=o.name,
        certificate_number=o.certificate_number,
        staff_number=o.staff_number,
        day=day,
        serving=serving_out(ctx, view.serving, day=day) if view.serving else None,
        personnel=personnel,
    )


def work_note_out(n: WorkNote) -> WorkNoteOut:
    return WorkNoteOut(
        id=n.id,
        officer_id=n.officer_id,
        town=n.town,
        day=n.day,
        kind=WorkKindOut.of(WorkKind(n.kind)),
        text=n.text,
        recorded_at=n.recorded_at,
        recorded_by=n.recorded_by,
    )


def eligibility_out(
    e: Eligibility, *, matter_code: str, town: str, at: datetime, day: date
) -> EligibilityOut:
    return EligibilityOut(
        eligible=e.eligible,
        officer_id=e.officer_id,
        matter_code=matter_code,
        town=town,
        at=at,
        day=day,
        team_id=e.team_id,
        department=e.department,
        name=e.name,
        certificate_number=e.certificate_number,
        reasons_zh=e.reasons_zh,
        reasons_en=e.reasons_en,
    )


# ---- guidance ------------------------------------------------------------------------------------


def guidance_out(ctx: ServiceContext, a: GuidanceActivity) -> GuidanceOut:
    return GuidanceOut(
        id=a.id,
        department=a.department,
        department_name=_name(ctx, a.department),
        kind=GuidanceKindOut.of(GuidanceKind(a.kind)),
        title=a.title,
        held_on=a.held_on,
        ended_on=a.ended_on,
        towns=list(a.towns),
        attendance=a.attendance,
        third_party=a.third_party,
        document_number=a.document_number,
        description=a.description,
        recorded_at=a.recorded_at,
        recorded_by=a.recorded_by,
        materials=[MaterialOut.of(m) for m in a.materials],
        shared_as=a.shared_as,
        confirmations=[
            GuidanceConfirmationOut(town=c.town, confirmed_at=c.confirmed_at, note=c.note)
            for c in a.confirmations
        ],
        unconfirmed_towns=sorted(set(a.towns) - {c.town for c in a.confirmations}),
    )


def counts_out(
    ctx: ServiceContext,
    by: CountBy,
    rows: list[tuple[str, int, int]],
    *,
    total: int,
    held_from: date | None,
    held_to: date | None,
) -> GuidanceCountsOut:
    def labels(key: str) -> tuple[str, str]:
        if by in (CountBy.DEPARTMENT, CountBy.TOWN):
            org = ctx.directory.get(key)
            return (org.name_zh, org.name_en) if org else (key, key)
        if by is CountBy.KIND:
            kind = GuidanceKind(key)
            return kind.label_zh, kind.label_en
        return key, key

    return GuidanceCountsOut(
        by=CountByOut.of(by),
        held_from=held_from,
        held_to=held_to,
        total_activities=total,
        items=[
            CountOut(
                key=k, label_zh=labels(k)[0], label_en=labels(k)[1], activities=n, attendance=a
            )
            for k, n, a in rows
        ],
    )
