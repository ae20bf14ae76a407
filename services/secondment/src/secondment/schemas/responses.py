"""Response models of the secondment and guidance API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from secondment.domain.guidance import CountBy
from secondment.domain.personnel import AssessmentGrade, Establishment, Identity, WorkKind
from secondment.domain.roster import ChangeKind, ImportOutcome, RowWarning, TeamChangeKind
from secondment.domain.teams import TeamSnapshot, TeamStatus, VersionKind
from secondment.models import Assessment, Officer, RosterVersion, TeamMember
from xietong_common import materials
from xietong_common.contracts.secondment import GuidanceKind
from xietong_common.labels import LabelledEnum
from xietong_common.reference import SecondmentMode
from xietong_common.schemas import Label, Page
from xietong_common.timeline import TimelineEntry as TimelineEntry


class ModeOut(Label):
    """SEC-02: 派驻 stationed or 划片 zone."""

    value: SecondmentMode


class StatusOut(Label):
    value: TeamStatus


class VersionKindOut(Label):
    value: VersionKind


class ChangeKindOut(Label):
    value: ChangeKind


class TeamChangeKindOut(Label):
    value: TeamChangeKind


class GuidanceKindOut(Label):
    value: GuidanceKind


class EstablishmentOut(Label):
    value: Establishment


class IdentityOut(Label):
    value: Identity


class GradeOut(Label):
    value: AssessmentGrade


class WorkKindOut(Label):
    value: WorkKind


def labelled(member: LabelledEnum | None, out: type[Label]) -> Label | None:
    return out.of(member) if member is not None else None


class MatterOut(BaseModel):
    """An empowered matter (赋权事项) of the officer's department, delegated to towns."""

    code: str
    name_zh: str
    name_en: str


# ---- teams and their rosters ---------------------------------------------------------------------


class MemberOut(BaseModel):
    """A seconded officer on one version of a team's roster."""

    officer_id: uuid.UUID
    name: str
    certificate_number: str
    certificate_valid_from: date | None
    certificate_valid_until: date
    towns: list[str]
    all_team_towns: bool = Field(description="serves every town of the team")
    position: str | None
    staff_number: str | None


class TeamSummary(BaseModel):
    """One version of a team (指导队伍) as lists show it."""

    id: uuid.UUID
    version: int
    department: str
    department_name: str
    mode: ModeOut
    status: StatusOut
    name: str
    zone_name: str | None
    towns: list[str]
    valid_from: date
    valid_until: date | None
    leader: str | None
    contact: str | None
    effective_from: date = Field(description="this version of the team applies from this day")
    roster_version: int = Field(description="the department's roster version that made it")
    officer_count: int
    changed_at: datetime


class TeamOut(TeamSummary):
    """One version of a team with its whole roster."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3f1d2c4b-1111-4a2b-9c3d-5e6f7a8b9c0d",
                    "version": 2,
                    "department": "dept:water",
                    "department_name": "区水利局",
                    "mode": {"value": "zone", "label_zh": "划片", "label_en": "covering a zone"},
                    "status": {"value": "active", "label_zh": "在册", "label_en": "in force"},
                    "name": "区水利局第一片区指导队",
                    "towns": ["town:lizhi", "town:jiangbei"],
                    "valid_from": "2024-01-05",
                    "effective_from": "2024-03-01",
                    "roster_version": 3,
                    "officer_count": 1,
                    "officers": [
                        {
                            "officer_id": "9a8b7c6d-2222-4e5f-8a9b-0c1d2e3f4a5b",
                            "name": "张三",
                            "certificate_number": "50010220240001",
                            "certificate_valid_until": "2026-12-31",
                            "towns": ["town:lizhi", "town:jiangbei"],
                            "all_team_towns": True,
                        }
                    ],
                }
            ]
        }
    )

    reason: str | None
    changed_by: str
    officers: list[MemberOut]


# ---- roster versions, imports, differences -------------------------------------------------------


class RosterVersionOut(BaseModel):
    """名单版本: one numbered version of a department's roster."""

    id: uuid.UUID
    department: str
    number: int
    kind: VersionKindOut
    effective_from: date
    filename: str | None = Field(description="the imported sheet's name (the file is not kept)")
    file_sha256: str | None = Field(description="SHA-256 of the imported sheet, as proof")
    file_size: int | None
    rows: int | None
    teams_changed: int
    counts: dict[str, int] = Field(
        description="officers per kind of change against the last version"
    )
    note: str | None
    created_at: datetime
    created_by: str


class OutcomeOut(Label):
    value: ImportOutcome


class ChangedTeamOut(BaseModel):
    team_id: uuid.UUID
    name: str
    version: int
    officer_count: int


class WarningOut(BaseModel):
    """Something to check that did not stop the import (a certificate about to expire)."""

    row: int
    name: str
    certificate_number: str
    message_zh: str
    message_en: str


class ImportOut(BaseModel):
    """The result of importing a roster sheet."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "outcome": {
                        "value": "created",
                        "label_zh": "已生成新版本",
                        "label_en": "a new roster version",
                    },
                    "version": {"number": 3, "effective_from": "2024-03-01", "teams_changed": 2},
                    "counts": {"joined": 12, "left": 1, "moved-team": 2},
                    "rows": 40,
                    "ignored_columns": ["序号", "备注"],
                }
            ]
        }
    )

    outcome: OutcomeOut
    version: RosterVersionOut | None = Field(
        description="the new version; for `unchanged`, the latest one; none for a preview"
    )
    rows: int
    teams_changed: list[ChangedTeamOut]
    counts: dict[str, int]
    warnings: list[WarningOut]
    ignored_columns: list[str] = Field(
        description="columns of the sheet that are not read and not stored"
    )


class PlacementOut(BaseModel):
    team_id: uuid.UUID
    team_name: str
    towns: list[str]
    certificate_number: str
    certificate_valid_from: date | None
    certificate_valid_until: date
    position: str | None
    staff_number: str | None


class OfficerChangeOut(BaseModel):
    officer_id: uuid.UUID
    name: str
    changes: list[ChangeKindOut]
    before: PlacementOut | None
    after: PlacementOut | None


class TeamChangeOut(BaseModel):
    team_id: uuid.UUID
    name: str
    changes: list[TeamChangeKindOut]
    towns_before: list[str] | None
    towns_after: list[str] | None


class RosterDiffOut(BaseModel):
    """Two versions of a department's roster compared: who joined, left, moved."""

    department: str
    base: int
    target: int
    counts: dict[str, int]
    teams: list[TeamChangeOut]
    officers: Page[OfficerChangeOut]


class RosterEntryOut(MemberOut):
    """An officer on a version of the department's roster, with his team."""

    team_id: uuid.UUID
    team_name: str


class RepublishOut(BaseModel):
    teams: int
    events: int


# ---- officers (SEC-01, SEC-03) -----------------------------------------------------------------


class ServingOfficerOut(BaseModel):
    """SEC-01: a seconded officer serving on a day, with his team, its mode and his
    department's empowered matters."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "officer_id": "9a8b7c6d-2222-4e5f-8a9b-0c1d2e3f4a5b",
                    "name": "张三",
                    "certificate_number": "50010220240001",
                    "certificate_valid_until": "2026-12-31",
                    "certificate_valid": True,
                    "department": "dept:water",
                    "department_name": "区水利局",
                    "team_id": "3f1d2c4b-1111-4a2b-9c3d-5e6f7a8b9c0d",
                    "team_name": "区水利局第一片区指导队",
                    "mode": {"value": "zone", "label_zh": "划片", "label_en": "covering a zone"},
                    "towns": ["town:lizhi", "town:jiangbei"],
                    "matters": [
                        {
                            "code": "WAT-001",
                            "name_zh": "对在河道管理范围内弃置、堆放阻碍行洪物体的处罚",
                            "name_en": "",
                        }
                    ],
                    "day": "2024-03-01",
                }
            ]
        }
    )

    officer_id: uuid.UUID
    name: str
    certificate_number: str
    certificate_valid_from: date | None
    certificate_valid_until: date
    certificate_valid: bool = Field(description="the certificate is valid on `day`")
    department: str
    department_name: str
    team_id: uuid.UUID
    team_name: str
    team_version: int
    mode: ModeOut
    towns: list[str]
    position: str | None
    matters: list[MatterOut] = Field(
        description="SEC-04: his department's empowered matters delegated to towns"
    )
    day: date


class AssessmentOut(BaseModel):
    id: uuid.UUID
    year: int
    grade: GradeOut
    note: str | None
    recorded_at: datetime
    recorded_by: str


class PersonnelOut(BaseModel):
    """SEC-03: what stays with the department. Pay is the department's and not kept here."""

    establishment: EstablishmentOut | None
    identity: IdentityOut | None
    establishment_unit: str = Field(description="编制 stays with the department")
    assessed_by: str
    paid_by: str
    assessments: list[AssessmentOut]


class OfficerOut(BaseModel):
    """A seconded officer: where he serves on `day`, and (for his department and oversight)
    the personnel records that stay with the department."""

    id: uuid.UUID
    department: str
    department_name: str
    name: str
    certificate_number: str
    staff_number: str | None
    day: date
    serving: ServingOfficerOut | None = Field(
        description="his place on `day`; none when no team in force lists him"
    )
    personnel: PersonnelOut | None = Field(
        description="his department's records (SEC-03); shown to it and to oversight only"
    )


class WorkNoteOut(BaseModel):
    id: uuid.UUID
    officer_id: uuid.UUID
    town: str
    day: date
    kind: WorkKindOut
    text: str
    recorded_at: datetime
    recorded_by: str


class EligibilityOut(BaseModel):
    """SEC-04: may this officer act on this matter in this town at this time, and why."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "eligible": False,
                    "officer_id": "9a8b7c6d-2222-4e5f-8a9b-0c1d2e3f4a5b",
                    "matter_code": "URB-001",
                    "town": "town:lizhi",
                    "at": "2024-03-01T10:00:00+08:00",
                    "day": "2024-03-01",
                    "team_id": "3f1d2c4b-1111-4a2b-9c3d-5e6f7a8b9c0d",
                    "department": "dept:water",
                    "reasons_zh": ["事项 URB-001 不属于本部门（dept:water）"],
                    "reasons_en": ["the matter URB-001 is not his department's (dept:water)"],
                    "rule": "SEC-04",
                }
            ]
        }
    )

    eligible: bool
    officer_id: str
    matter_code: str
    town: str
    at: datetime
    day: date = Field(description="the day in China time the answer is for")
    team_id: str | None
    department: str | None
    name: str | None
    certificate_number: str | None
    reasons_zh: list[str]
    reasons_en: list[str]
    rule: str = "SEC-04"


# ---- guidance (SEC-05) -------------------------------------------------------------------------


class MaterialOut(materials.MaterialOut):
    """SEC-05: a material of a guidance activity, with its title."""

    title: str


class GuidanceOut(BaseModel):
    """SEC-05: a guidance activity."""

    id: uuid.UUID
    department: str
    department_name: str
    kind: GuidanceKindOut
    title: str
    held_on: date
    ended_on: date | None
    towns: list[str]
    attendance: int | None
    third_party: str | None
    document_number: str | None
    description: str | None
    recorded_at: datetime
    recorded_by: str
    materials: list[MaterialOut]
    shared_as: str | None = Field(
        default=None,
        description="SEC-05 → INFO-04: shared as an information item (normative-document: "
        "category 1; benchmark, workflow: category 6)",
    )
    confirmations: list[GuidanceConfirmationOut] = Field(
        default_factory=list, description="SEC-05: the towns that confirmed they received it"
    )
    unconfirmed_towns: list[str] = Field(
        default_factory=list, description="towns reached that have not confirmed it yet"
    )


class GuidanceConfirmationOut(BaseModel):
    """SEC-05: a town confirmed it received the guidance."""

    town: str
    confirmed_at: datetime
    note: str | None


class CountByOut(Label):
    value: CountBy


class CountOut(BaseModel):
    key: str = Field(examples=["dept:water", "training", "2024-03"])
    label_zh: str
    label_en: str
    activities: int
    attendance: int = Field(
        description="people who took part (an activity reaching several "
        "towns counts its attendance for each of them when counted by town)"
    )


class GuidanceCountsOut(BaseModel):
    """SEC-05: guidance activities counted for oversight."""

    by: CountByOut
    held_from: date | None
    held_to: date | None
    total_activities: int
    items: list[CountOut]


# ---- what a use case returns for a view to show (rows and domain values, not yet a response) --


@dataclass(frozen=True)
class ImportResult:
    """SEC-02: what an import of a roster sheet did."""

    outcome: ImportOutcome
    version: RosterVersion | None
    rows: int
    changed: list[TeamSnapshot]
    counts: dict[str, int]
    warnings: list[RowWarning] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OfficerView:
    """An officer, his place on a team in force on a day, and SEC-03's records if shown."""

    officer: Officer
    serving: TeamMember | None
    assessments: list[Assessment] | None  # None: the caller may not see SEC-03's records
