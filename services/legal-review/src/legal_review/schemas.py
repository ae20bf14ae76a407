"""Request and response models of the legal-review API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from legal_review.domain import (
    DecisionOutcome,
    JointMode,
    MaterialKind,
    PartyKind,
    PenaltyAdjustment,
    ReviewPoint,
    Trigger,
)
from xietong_common.contracts.review import ReviewOpinionKind
from xietong_common.timeline import DeadlineOut

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, examples=["2000.00"])]
JudgementTrigger = Literal[
    "public-interest", "social-impact", "major-rights", "complex-facts", "law-requires"
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyIn(Strict):
    """当事人."""

    name: Text = Field(examples=["张三"])
    kind: PartyKind
    id_number: str | None = Field(default=None, description="ID card or unified social credit code")


class ProposedDecisionIn(Strict):
    """The proposed decision (重大行政执法决定建议) as REV-01 looks at it. Money in CNY, exact."""

    fine: Amount = Decimal("0")
    confiscated_gains: Amount = Decimal("0")
    confiscated_property_value: Amount = Decimal("0")
    adjustment: PenaltyAdjustment = PenaltyAdjustment.NONE
    hearing: bool = Field(default=False, description="REV-01 (4): made after a hearing (听证)")
    assessed: bool = Field(
        default=False, description="an assessment (评估) took place (REV-04 (4))"
    )
    judgements: dict[JudgementTrigger, Text] = Field(
        default_factory=dict,
        description="REV-01 (1)(2)(3)(5)(8): the brigade's judgement, each with its reason",
        examples=[{"social-impact": "涉及沿江多家餐馆，舆情关注度高"}],
    )


class TriggerCheckIn(Strict):
    party_kind: PartyKind
    decision: ProposedDecisionIn

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"party_kind": "citizen", "decision": {"fine": "2000.00", "hearing": False}}
            ]
        },
    )


class TriggerOut(BaseModel):
    trigger: Trigger
    number: int
    label_zh: str
    reason: str


class TriggerCheckOut(BaseModel):
    review_required: bool
    triggers: list[TriggerOut]
    amount_threshold: Decimal = Field(
        description="REV-01 (6) threshold for this kind of party, CNY"
    )


class SubmitIn(Strict):
    """REV-01/04: submit a proposed major decision for legal review."""

    case_number: str | None = Field(default=None, examples=["涪荔综执立〔2024〕31号"])
    matter_code: Text = Field(examples=["URB-002"])
    place_town: Text = Field(examples=["town:lizhi"])
    found_at: datetime
    facts: Text = Field(examples=["当事人在江边随意倾倒建筑垃圾约20立方米"])
    party: PartyIn
    decision: ProposedDecisionIn
    proposal: Text = Field(
        description="the proposed decision and its explanation", examples=["拟罚款5000元"]
    )
    voluntary: bool = Field(default=False, description="submit although no REV-01 trigger applies")


class ResubmitIn(Strict):
    """REV-07 (2): the corrected proposal, as a new round."""

    decision: ProposedDecisionIn
    proposal: Text
    correction_note: Text = Field(description="what was corrected")


class MaterialsNoticeIn(Strict):
    """REV-05: one notice listing everything missing."""

    missing: list[MaterialKind] = Field(default_factory=list, examples=[["evidence"]])
    items: list[Text] = Field(default_factory=list, examples=[["现场照片原件"]])
    working_days: int | None = Field(
        default=None, ge=1, le=60, description="the deadline set; default from the service settings"
    )


class PointIn(Strict):
    passed: bool
    note: str = Field(default="", max_length=5000)


class OpinionIn(Strict):
    """REV-07: one of the five written opinions."""

    opinion: ReviewOpinionKind
    reasons: Text
    flaws: list[Text] = Field(default_factory=list, description="opinion (2): the flaws to correct")
    transfer_to: str | None = Field(
        default=None,
        description="opinion (4): the agency with jurisdiction",
        examples=["dept:water"],
    )
    judicial_organ: str | None = Field(
        default=None, description="opinion (5): the judicial organ", examples=["涪陵区公安分局"]
    )


class DecisionIn(Strict):
    """REV-08: the agency head's decision."""

    outcome: DecisionOutcome
    reason: str | None = Field(
        default=None, description="required when deciding against the opinion"
    )
    decision_number: str | None = Field(default=None, examples=["涪荔综执罚决〔2024〕12号"])
    execution: str | None = Field(
        default=None, description="how it is executed (INFO-01 category 4)"
    )


class JointIn(Strict):
    """REV-03: review together with district departments."""

    mode: Literal["dual-review", "joint-meeting"]
    departments: list[Text] = Field(min_length=1, examples=[["dept:urban-management"]])


class JointOpinionIn(Strict):
    opinion: ReviewOpinionKind
    reasons: Text
    participants: list[Text] = Field(default_factory=list, description="联合会审: who took part")
    minutes: str | None = Field(default=None, description="联合会审: the minutes")


class JusticeOfficeAdviceIn(Strict):
    """REV-09: the 司法所 coordinates the town's legal advisers."""

    note: Text
    advisers: list[Text] = Field(default_factory=list, examples=[["王律师"]])


class Label(BaseModel):
    value: str
    label_zh: str
    label_en: str | None = None


class FindingOut(BaseModel):
    point: ReviewPoint
    number: int
    label_zh: str
    passed: bool | None
    note: str | None
    by: str | None


class MaterialOut(BaseModel):
    id: uuid.UUID
    round: int
    kind: MaterialKind
    filename: str
    sha256: str
    size: int
    content_type: str
    uploaded_by: str
    uploaded_at: datetime


class RoundOut(BaseModel):
    number: int
    party_kind: PartyKind
    fine: Decimal
    confiscated_gains: Decimal
    confiscated_property_value: Decimal
    adjustment: PenaltyAdjustment
    hearing: bool
    assessed: bool
    triggers: list[dict[str, Any]]
    voluntary: bool
    proposal: str
    correction_note: str | None
    submitted_by: str
    submitted_at: datetime
    materials_notice: dict[str, Any] | None
    findings: list[FindingOut]
    opinion: Label | None
    opinion_reasons: str | None
    flaws: list[str]
    transfer_to: str | None
    judicial_organ: str | None
    opinion_by: str | None
    opinion_at: datetime | None


class ResponsibilityOut(BaseModel):
    """REV-08: who answers for what."""

    materials: str = Field(
        description="the handler (承办机构): truth and completeness of the materials"
    )
    opinion: str | None = Field(description="the reviewer (法制审核机构): the opinion")
    decision: str | None = Field(description="the agency head (主要负责人): the decision")


class ReviewOut(BaseModel):
    id: uuid.UUID
    town: str
    state: Label
    round: int
    case_number: str | None
    matter_code: str
    place_town: str
    found_at: datetime
    facts: str
    party: dict[str, Any]
    handler: str
    reviewer: str | None
    decider: str | None
    joint_mode: JointMode
    joint_departments: list[str]
    justice_office: str | None
    current: RoundOut
    due: list[DeadlineOut]
    decision: dict[str, Any] | None
    responsibility: ResponsibilityOut
    created_at: datetime
    updated_at: datetime


class ReviewPage(BaseModel):
    items: list[ReviewOut]
    total: int
    page: int
    page_size: int


class ReviewDetail(ReviewOut):
    rounds: list[RoundOut]
    materials: list[MaterialOut]
    joint_opinions: list[dict[str, Any]]
    advice: list[dict[str, Any]]
