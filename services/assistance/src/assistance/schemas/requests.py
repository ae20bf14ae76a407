"""Request bodies of the enforcement assistance API: bounded, refusing NUL and unknown fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from xietong_common.contracts.assistance import (
    AssistanceGround,
    CaseKind,
    ObstructionKind,
    RefusalGround,
    ResultKind,
    RulingDecision,
)
from xietong_common.schemas import (
    CLEAN_TEXT,
    LINE_SCHEMA,
    ONE_LINE,
    Code,
    Day,
    Line,
    Name,
    OrgCode,
    ShortText,
    Strict,
    Text,
)

CaseId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    CLEAN_TEXT,
    ONE_LINE,
    LINE_SCHEMA,
]
CertificateNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=4, max_length=40, pattern=r"^[0-9A-Za-z-]+$"
    ),
]
OfficerId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
    ),
]


class CaseRefIn(Strict):
    """The case the assistance is for: a referral, a legal review or a joint inspection."""

    kind: CaseKind
    id: CaseId = Field(examples=["0b9c6f4e-2d7a-4b8e-9a55-2b8f2f8b4d11"])


class RequestFields(Strict):
    """Fields shared by creating and editing a draft request."""

    department: OrgCode | None = Field(
        default=None,
        description="ASSIST-01: the department asked; leave empty to take the one whose powers "
        "cover the matter (a warning is given when the chosen one's do not)",
        examples=["dept:ecology-environment"],
    )
    ground: AssistanceGround
    ground_description: ShortText | None = Field(
        default=None, description="ASSIST-01: what the situation is (required for `other`)"
    )
    needed: Text = Field(
        description="what the town needs from the department",
        examples=["请协助对焚烧残留物取样检测"],
    )
    materials_holder: OrgCode | None = Field(
        default=None,
        description="ASSIST-02, ground 2 only: the agency that holds the materials (an "
        "organisation of the directory); asked of it, the request is within its powers",
        examples=["dept:public-security"],
    )
    case: CaseRefIn | None = Field(default=None, description="the case it belongs to, if any")
    urgent: bool = Field(default=False, description="ASSIST-04: answered within hours, not days")
    needed_by: Day | None = Field(default=None, description="when the town needs the result")


class RequestCreate(RequestFields):
    """A new draft request (草稿)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "matter_code": "ENV-002",
                    "ground": "technical-support",
                    "needed": "请协助对现场焚烧残留物取样检测，出具检测报告",
                    "case": {"kind": "inspection", "id": "insp-2024-031"},
                    "urgent": False,
                    "needed_by": "2024-03-20",
                }
            ]
        },
    )

    matter_code: Code = Field(description="the matter of the town's case", examples=["ENV-002"])


REQUIRED_ON_A_DRAFT = frozenset({"matter_code", "ground", "needed", "urgent"})


class RequestUpdate(Strict):
    """Changes to a draft; only the fields given change. `null` clears an optional field
    (department, ground description, materials holder, case, needed by); the others cannot be
    cleared."""

    matter_code: Code | None = None
    department: OrgCode | None = None
    ground: AssistanceGround | None = None
    ground_description: ShortText | None = None
    needed: Text | None = None
    materials_holder: OrgCode | None = None
    case: CaseRefIn | None = None
    urgent: bool | None = None
    needed_by: Day | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> RequestUpdate:
        cleared = sorted(
            name
            for name in self.model_fields_set & REQUIRED_ON_A_DRAFT
            if getattr(self, name) is None
        )
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be null (leave out what stays)")
        return self


class OfficerIn(Strict):
    """ASSIST-02: an officer the department names. A seconded officer (下沉人员) is named by
    his roster id and must be SEC-04-eligible; the department's own staff by name and
    certificate. A certificate found on a roster makes the officer seconded, whatever is said."""

    name: Name = Field(examples=["张三"])
    certificate_number: CertificateNumber = Field(
        description="执法证号, the enforcement certificate number", examples=["50010220240001"]
    )
    seconded: bool = Field(default=False, description="a seconded officer on a roster")
    officer_id: OfficerId | None = Field(
        default=None, description="the roster id (required for a seconded officer)"
    )


class AcceptIn(Strict):
    """ASSIST-02: accept, naming the officer(s) and the agreed completion date."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "officers": [
                        {"name": "张三", "certificate_number": "50010220240001"},
                        {
                            "name": "李四",
                            "certificate_number": "50010220240002",
                            "seconded": True,
                            "officer_id": "off-0042",
                        },
                    ],
                    "agreed_completion_date": "2024-03-15",
                    "note": "3月8日上午到现场取样",
                }
            ]
        },
    )

    officers: list[OfficerIn] = Field(min_length=1, max_length=20)
    agreed_completion_date: Day = Field(
        description="the result is delivered by 24:00 China time on this day"
    )
    note: ShortText | None = None


class RefuseIn(Strict):
    """ASSIST-03: a refusal states its legal ground and a written reason; forbidden-by-law
    names the law and the article."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "ground": "forbidden-by-law",
                    "law": "《中华人民共和国保守国家秘密法》",
                    "article": "第二十八条",
                    "reason": "所需材料已定密为秘密级，依法不得向无关单位提供",
                },
                {
                    "ground": "outside-powers",
                    "reason": "水质检测不属于本局职权，请向区生态环境局提出",
                },
            ]
        },
    )

    ground: RefusalGround
    law: Line | None = Field(default=None, description="the law, regulation or rule (禁止性规定)")
    article: Line | None = Field(default=None, description="its article, e.g. 第二十八条")
    reason: Text = Field(description="the written reason (说明理由)")


class RulingIn(Strict):
    """ASSIST-03: the justice bureau rules on a refusal: upheld or not upheld, with a reason."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "decision": "not-upheld",
                    "reason": "所引条款规定的是定密程序，并不禁止向执法机关提供监测数据",
                }
            ]
        },
    )

    decision: RulingDecision
    reason: Text = Field(description="why (at least the setting's number of characters)")


class ContestIn(Strict):
    """ASSIST-03: the requesting town contests the refusal, with its reason."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "所引条款不禁止提供监测数据，该局拒绝协助没有法律依据"}]
        },
    )

    reason: Text = Field(description="why the refusal is wrong")


class ExtensionIn(Strict):
    """ASSIST-04: ask the town to move the completion date (before it passes)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"proposed_date": "2024-03-22", "reason": "检测机构排期，需顺延一周"}]
        },
    )

    proposed_date: Day
    reason: Text


class ExtensionDecisionIn(Strict):
    """ASSIST-04: the town agrees to or declines an extension."""

    agree: bool
    note: ShortText | None = None


class DeliverIn(Strict):
    """ASSIST-02: deliver the result (its files uploaded before)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"result_kind": "testing", "summary": "取样3份，检测报告见附件"}]
        },
    )

    result_kind: ResultKind
    summary: Text


class ConfirmIn(Strict):
    """ASSIST-02: the town confirms it received the result."""

    note: ShortText | None = None


class ReturnIn(Strict):
    """ASSIST-02: the town returns a result that does not answer its request."""

    reason: Text


class FlagIn(Strict):
    """ASSIST-02: the town flags shirking or obstruction (推诿、刁难) for oversight."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "shirking", "reason": "三次电话催办均称无人手，拖延不予答复"}]
        },
    )

    kind: ObstructionKind
    reason: Text


class WithdrawIn(Strict):
    """ASSIST-01: the town withdraws its request."""

    reason: Text
