"""Request models of the secondment and guidance API, and the row of a roster sheet."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from secondment.domain.personnel import AssessmentGrade, Establishment, Identity, WorkKind
from xietong_common.contracts.secondment import GuidanceKind, GuidanceSharedAs
from xietong_common.reference import SecondmentMode
from xietong_common.schemas import (
    MAX_YEAR,
    MIN_YEAR,
    Day,
    Line,
    Name,
    OrgCode,
    ShortText,
    Strict,
    Text,
)
from xietong_common.spreadsheets import plain_date

MAX_TOWNS = 60  # Fuling has 27 townships and streets; room to spare, still bounded

Towns = Annotated[list[OrgCode], Field(min_length=1, max_length=MAX_TOWNS)]
CertificateNumber = Annotated[
    str,
    StringConstraints(min_length=4, max_length=32, pattern=r"^[0-9A-Z][0-9A-Z-]*$"),
    Field(description="执法证号: letters, digits and '-'", examples=["50010220240001"]),
]
StaffNumber = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]*$"),
    Field(description="人员编号: the department's own number for the officer (not an ID number)"),
]


def _validity(valid_from: date | None, valid_until: date | None) -> None:
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        raise ValueError("valid_until is before valid_from")


# ---- teams (SEC-01, SEC-02) --------------------------------------------------------------------


class TeamCreate(Strict):
    """A new team (指导队伍) of the caller's department; its mode is the department's (SEC-02)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "区水利局第一片区指导队",
                    "zone_name": "第一片区",
                    "towns": ["town:lizhi", "town:jiangbei", "town:chongyi"],
                    "valid_from": "2024-01-05",
                    "leader": "王建国",
                    "contact": "023-72220000",
                }
            ]
        },
    )

    name: Name = Field(description="the team's name as the roster sheet writes it (所属队伍)")
    zone_name: Name | None = Field(default=None, description="片区 name of a zone team")
    towns: Towns = Field(description="stationed: exactly one town; zone: the zone's towns")
    valid_from: Day = Field(description="the team's period of validity starts")
    valid_until: Day | None = Field(default=None, description="…and ends (inclusive)")
    leader: Name | None = Field(default=None, description="队长")
    contact: Name | None = Field(default=None, description="the team's work telephone or office")
    mode: SecondmentMode | None = Field(
        default=None, description="SEC-02: optional; when given it must be the department's"
    )
    effective_from: Day | None = Field(
        default=None, description="the roster version takes effect (default: today, China time)"
    )

    @model_validator(mode="after")
    def _period(self) -> TeamCreate:
        _validity(self.valid_from, self.valid_until)
        return self


CLEARABLE = frozenset({"zone_name", "valid_until", "leader", "contact"})


class TeamUpdate(Strict):
    """Changes to a team; only the fields given change (`null` clears zone_name, valid_until,
    leader or contact). A new roster version of the department, effective from the day given."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"towns": ["town:lizhi", "town:jiangbei"], "reason": "片区调整"}]
        },
    )

    name: Name | None = None
    zone_name: Name | None = None
    towns: Towns | None = None
    valid_from: Day | None = None
    valid_until: Day | None = None
    leader: Name | None = None
    contact: Name | None = None
    effective_from: Day | None = None
    reason: ShortText | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> TeamUpdate:
        cleared = sorted(
            n
            for n in self.model_fields_set - CLEARABLE - {"effective_from", "reason"}
            if getattr(self, n) is None
        )
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be null (leave out what stays)")
        return self


class TeamDissolve(Strict):
    """The team ends (撤销); its roster is kept on record."""

    reason: ShortText
    effective_from: Day | None = Field(default=None, description="default: today, China time")


class RepublishIn(Strict):
    """Publish the present of every team again (for a consumer brought up from scratch)."""

    department: OrgCode | None = Field(
        default=None,
        description="only this department's teams (oversight only; a department "
        "always republishes its own)",
    )


# ---- a row of a roster sheet (SEC-02) ----------------------------------------------------------

ROSTER_COLUMNS: dict[str, str] = {
    "姓名": "name",
    "name": "name",
    "执法证号": "certificate_number",
    "执法证编号": "certificate_number",
    "执法证件号": "certificate_number",
    "执法证件号码": "certificate_number",
    "certificate number": "certificate_number",
    "certificate_number": "certificate_number",
    "执法证有效期": "certificate_valid_until",
    "执法证有效期至": "certificate_valid_until",
    "有效期至": "certificate_valid_until",
    "有效期": "certificate_valid_until",
    "certificate valid until": "certificate_valid_until",
    "certificate_valid_until": "certificate_valid_until",
    "执法证有效期起": "certificate_valid_from",
    "发证日期": "certificate_valid_from",
    "certificate valid from": "certificate_valid_from",
    "certificate_valid_from": "certificate_valid_from",
    "所属队伍": "team",
    "指导队伍": "team",
    "队伍名称": "team",
    "team": "team",
    "服务乡镇": "towns",
    "服务乡镇（街道）": "towns",
    "服务乡镇(街道)": "towns",
    "派驻乡镇": "towns",
    "派驻乡镇（街道）": "towns",
    "联系乡镇": "towns",
    "towns": "towns",
    "人员编号": "staff_number",
    "工号": "staff_number",
    "staff number": "staff_number",
    "staff_number": "staff_number",
    "职务": "position",
    "position": "position",
    "所属部门": "department",
    "派出单位": "department",
    "department": "department",
}
"""The columns a roster sheet may have, in Chinese as the attachments write them or in
English; other columns (序号, 备注, 联系电话, 身份证号 …) are ignored and never stored."""

_RANGE_MARKS = ("至", "~", "～", "—", "－－", "--")


def _certificate(value: Any) -> Any:
    """Excel keeps a long number as a number: give the digits back, upper-cased, no spaces."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "".join(value.split()).upper()
    return value


def _staff(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class RosterRow(BaseModel):
    """One officer of a department's roster sheet (下沉人员名单)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    certificate_number: CertificateNumber
    certificate_valid_until: Day = Field(
        description="the last valid day; a range '2024-01-01至2026-12-31' gives both ends"
    )
    certificate_valid_from: Day | None = None
    team: Name
    towns: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        default=None,
        description="towns he serves, by code or name, separated by 、，,；; or spaces "
        "(empty: every town of his team)",
    )
    staff_number: StaffNumber | None = None
    position: Name | None = None
    department: Annotated[str, StringConstraints(max_length=200)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _range(cls, data: Any) -> Any:
        """'2024-01-01至2026-12-31' in the validity column gives both ends."""
        if not isinstance(data, dict):
            return data
        value = data.get("certificate_valid_until")
        if isinstance(value, str):
            for mark in _RANGE_MARKS:
                if mark in value:
                    start, _, end = value.partition(mark)
                    data = {**data, "certificate_valid_until": end.strip()}
                    if start.strip() and data.get("certificate_valid_from") is None:
                        data["certificate_valid_from"] = start.strip()
                    break
        return data

    _dates = field_validator("certificate_valid_until", "certificate_valid_from", mode="before")(
        plain_date
    )
    _cert = field_validator("certificate_number", mode="before")(_certificate)
    _staff_number = field_validator("staff_number", mode="before")(_staff)

    @field_validator("towns", "department", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )


# ---- officers (SEC-01, SEC-03) -----------------------------------------------------------------


class PersonnelUpdate(Strict):
    """SEC-03: the department's records of the officer's establishment and identity."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"establishment": "administrative", "identity": "civil-servant"}]
        },
    )

    establishment: Establishment | None = None
    identity: Identity | None = None

    @model_validator(mode="after")
    def _something(self) -> PersonnelUpdate:
        if not self.model_fields_set:
            raise ValueError("give establishment, identity or both")
        return self


class AssessmentIn(Strict):
    """SEC-03: the department's annual assessment (年度考核) of the officer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"year": 2024, "grade": "competent", "note": "下沉期间表现良好"}]
        },
    )

    year: int = Field(ge=MIN_YEAR, le=MAX_YEAR)
    grade: AssessmentGrade
    note: ShortText | None = None


class WorkNoteIn(Strict):
    """SEC-01 共用共管: the town's note on the officer's daily work under its command."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "day": "2024-03-01",
                    "kind": "inspection",
                    "text": "参加镇综合执法大队河道联合巡查",
                }
            ]
        },
    )

    day: Day
    kind: WorkKind
    text: ShortText


# ---- guidance (SEC-05) -------------------------------------------------------------------------


class GuidanceConfirmIn(Strict):
    """SEC-05: a town confirms it received the guidance, with a note if it wishes."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "已组织大队12人参加培训"}]}
    )

    note: Text | None = None


class GuidanceCreate(Strict):
    """SEC-05: one guidance activity the department gave the towns."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "training",
                    "title": "河道管理执法业务培训",
                    "held_on": "2024-02-28",
                    "towns": ["town:lizhi", "town:baitao"],
                    "attendance": 46,
                    "description": "讲解河道管理范围内违法行为的认定和查处程序",
                }
            ]
        },
    )

    kind: GuidanceKind
    title: Line
    held_on: Day = Field(description="the day it was held or issued (China time)")
    ended_on: Day | None = Field(default=None, description="the last day, if it ran longer")
    towns: Towns = Field(description="the towns reached")
    attendance: int | None = Field(
        default=None, ge=0, le=100_000, description="people who took part"
    )
    third_party: Name | None = Field(default=None, description="the third party engaged")
    document_number: Line | None = Field(default=None, description="文号 of a guidance document")
    description: Text | None = None
    shared_as: GuidanceSharedAs | None = Field(
        default=None,
        description="a guidance document shared as an information item without retyping "
        "(INFO-04): category 1 (normative document) or 6 (benchmark, workflow)",
    )
