"""Responses of the enforcement assistance API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistance.domain import AssistanceState, ExtensionDecision, MaterialKind
from xietong_common import materials
from xietong_common.contracts.assistance import (
    AssistanceGround,
    CaseKind,
    ObstructionKind,
    RefusalGround,
    ResultKind,
    RulingDecision,
)
from xietong_common.documents.schemas import DocumentOut
from xietong_common.schemas import Label
from xietong_common.timeline import DeadlineOut as DeadlineOut
from xietong_common.timeline import TimelineEntry as TimelineEntry


class StateOut(Label):
    """The state with its Chinese and English names."""

    value: AssistanceState


class GroundOut(Label):
    value: AssistanceGround


class WarningOut(BaseModel):
    """ASSIST-01: something the town should know; the request is not refused for it."""

    code: str = Field(examples=["department-not-competent"])
    rule: str = Field(examples=["ASSIST-01"])
    zh: str
    en: str


class ProposalOut(BaseModel):
    """ASSIST-01: the department whose powers cover a matter, and whether the chosen one's do."""

    matter_code: str = Field(examples=["ENV-002"])
    matter_name_zh: str
    town_level: bool = Field(description="the matter is delegated to towns (赋权事项)")
    proposed_department: str = Field(examples=["dept:ecology-environment"])
    department: str = Field(description="the chosen department (the proposed one if none)")
    within_powers: bool
    warnings: list[WarningOut]


class CaseRefOut(BaseModel):
    kind: CaseKind
    id: str


class OfficerOut(BaseModel):
    name: str
    certificate_number: str
    seconded: bool
    officer_id: str | None
    team_id: str | None
    eligibility: dict[str, Any] | None = Field(
        default=None, description="SEC-04: the roster check of a seconded officer, as made"
    )


class MaterialOut(materials.MaterialOut):
    """ASSIST-01/02: a file the town attached to its request, or the department's result."""

    kind: MaterialKind
    kind_zh: str
    title: str
    uploaded_org: str


class ExtensionOut(BaseModel):
    """ASSIST-04: a request to move the completion date and the town's answer."""

    id: uuid.UUID
    requested_at: datetime
    previous_date: date
    proposed_date: date
    reason: str
    decision: ExtensionDecision | None
    decided_at: datetime | None
    decision_note: str | None


class FlagOut(BaseModel):
    """ASSIST-02: a flag of shirking or obstruction (推诿、刁难)."""

    id: uuid.UUID
    kind: ObstructionKind
    kind_zh: str
    reason: str
    state: AssistanceState
    flagged_at: datetime
    flagged_by: str


class RulingOut(BaseModel):
    """ASSIST-03: the justice bureau's ruling on a refusal."""

    decision: RulingDecision
    decision_zh: str
    reason: str
    ruled_at: datetime
    ruled_by: str | None


class ContestOut(BaseModel):
    """ASSIST-03: the requesting town contests the refusal."""

    reason: str
    contested_at: datetime
    contested_by: str | None


class RefusalOut(BaseModel):
    """ASSIST-03: the legal ground and the written reason; whether the catalogue assigns the
    matter to the department (for the justice bureau's ruling), the town's contest and the
    ruling."""

    ground: RefusalGround
    ground_zh: str
    law: str | None
    article: str | None
    reason: str
    after_acceptance: bool
    refused_at: datetime
    refused_by: str | None
    owned_matter: bool = Field(
        description="ASSIST-03: the catalogue assigns the matter to the refusing department "
        "(a refusal of an owned matter, ruled on by the justice bureau)"
    )
    contest: ContestOut | None = None
    ruling: RulingOut | None = None


class RefusalQueueItem(BaseModel):
    """ASSIST-03: a refusal for the justice bureau's ruling — of an owned matter, or contested
    by the town."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6a1f0e1c-5b7d-4a8e-8c55-3f8f2f8b4d22",
                    "town": "town:lizhi",
                    "department": "dept:ecology-environment",
                    "matter_code": "ENV-002",
                    "ground": "forbidden-by-law",
                    "ground_zh": "法律、法规、规章等明确禁止",
                    "law": "《中华人民共和国保守国家秘密法》",
                    "article": "第二十八条",
                    "reason": "所需监测数据已定密为秘密级，依法不得提供",
                    "owned_matter": True,
                    "refused_at": "2024-03-04T02:00:00Z",
                    "contest": None,
                    "ruling": None,
                }
            ]
        }
    )

    id: uuid.UUID
    town: str
    department: str
    matter_code: str
    ground: RefusalGround
    ground_zh: str
    law: str | None
    article: str | None
    reason: str
    owned_matter: bool
    refused_at: datetime
    contest: ContestOut | None
    ruling: RulingOut | None
    version: int = Field(
        description='the request\'s version as read: its ETag (`"<version>"`), which the '
        "ruling names in If-Match"
    )


class ResultOut(BaseModel):
    """ASSIST-02: what the department delivered, and the town's confirmation."""

    kind: ResultKind
    kind_zh: str
    summary: str
    delivered_at: datetime
    confirmed_at: datetime | None
    confirmation_note: str | None


class AssistanceSummary(BaseModel):
    """A request as lists show it."""

    id: uuid.UUID
    state: StateOut
    town: str
    department: str
    matter_code: str
    ground: GroundOut
    urgent: bool
    within_powers: bool = Field(
        description="ASSIST-02: the catalogue assigns the matter to the department, or (ground "
        "2) the department is the named holder of the materials"
    )
    materials_holder: str | None = Field(
        default=None, description="ASSIST-02, ground 2: the agency that holds the materials"
    )
    submitted_at: datetime | None
    agreed_completion_date: date | None
    next_due: DeadlineOut | None = Field(default=None, description="the earliest open deadline")
    overdue: bool = False
    created_at: datetime


class AssistanceOut(AssistanceSummary):
    """One request with everything its parties may see."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6a1f0e1c-5b7d-4a8e-8c55-3f8f2f8b4d22",
                    "state": {
                        "value": "accepted",
                        "label_zh": "已接受协助",
                        "label_en": "accepted",
                    },
                    "town": "town:lizhi",
                    "department": "dept:ecology-environment",
                    "matter_code": "ENV-002",
                    "agreed_completion_date": "2024-03-15",
                }
            ]
        }
    )

    version: int = Field(
        description="raised by every change of the request; the ETag of GET "
        '/assistance-requests/{id} (`"<version>"`), named in If-Match by the justice '
        "bureau's ruling (ASSIST-03)"
    )
    proposed_department: str
    warnings: list[WarningOut]
    ground_description: str | None
    needed: str
    case: CaseRefOut | None
    needed_by: date | None
    accepted_at: datetime | None
    acceptance_note: str | None
    officers: list[OfficerOut]
    extensions_agreed: int
    extensions: list[ExtensionOut]
    refusal: RefusalOut | None
    result: ResultOut | None
    returns: int
    last_return_reason: str | None
    withdrawn_at: datetime | None
    withdrawal_reason: str | None
    materials: list[MaterialOut]
    flags: list[FlagOut]
    deadlines: list[DeadlineOut]
    documents: list[DocumentOut] = Field(
        description="official documents issued on the request (ASSIST-01/03), superseded ones too"
    )


class OversightRow(BaseModel):
    """三(四)/SUP-02: how one organisation performed in one period. A department's figures
    count what was asked of it; a town's what it asked and flagged."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "organisation": "dept:water",
                    "organisation_name": "区水利局",
                    "period": "2024-03",
                    "period_start": "2024-03-01",
                    "period_end": "2024-03-31",
                    "received": 4,
                    "accepted": 2,
                    "refused_forbidden_by_law": 1,
                    "refused_outside_powers": 0,
                    "refused_owned_matter": 1,
                    "responses_missed": 1,
                    "completions_missed": 0,
                    "obstruction_flags_received": 1,
                }
            ]
        }
    )

    organisation: str
    organisation_name: str
    period: str = Field(description="2024-03 (month), 2024-Q1 (quarter) or 2024 (year)")
    period_start: date
    period_end: date
    requested: int = Field(0, description="a town: requests it submitted")
    withdrawn: int = Field(0, description="a town: requests it withdrew")
    obstruction_flags_raised: int = Field(0, description="a town: 推诿、刁难 it flagged")
    received: int = Field(0, description="a department: requests submitted to it")
    accepted: int = 0
    refused_forbidden_by_law: int = 0
    refused_outside_powers: int = 0
    refused_owned_matter: int = Field(
        0,
        description="ASSIST-03: refusals of a matter the catalogue assigns to the department "
        "(also counted by ground), each for the justice bureau's ruling",
    )
    delivered: int = 0
    completed: int = Field(0, description="results the town confirmed")
    results_returned: int = Field(0, description="deliveries the town returned as not answering")
    extensions_agreed: int = 0
    responses_missed: int = Field(
        0, description="ASSIST-04 response deadlines missed (late or never), by due date"
    )
    completions_missed: int = Field(
        0, description="agreed completion dates missed (late or never), by due date"
    )
    obstruction_flags_received: int = Field(0, description="a department: 推诿、刁难 flagged")
