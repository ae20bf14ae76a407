"""Response models of the legal-review API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from legal_review.domain import (
    DecisionOutcome,
    JointMode,
    MaterialKind,
    PenaltyAdjustment,
    ReviewPoint,
    Trigger,
)
from xietong_common import materials
from xietong_common.contracts.review import ReviewOpinionKind
from xietong_common.documents.schemas import DocumentOut
from xietong_common.parties import PartyKind
from xietong_common.schemas import Label, Page, View
from xietong_common.timeline import DeadlineOut


class TriggerOut(BaseModel):
    """One REV-01 trigger that applies, with its number in the notice and why."""

    trigger: Trigger
    number: int
    label_zh: str
    reason: str


class TriggerCheckOut(BaseModel):
    """REV-01: whether legal review is required, and every trigger that makes it so."""

    review_required: bool
    triggers: list[TriggerOut]
    amount_threshold: Decimal = Field(
        description="REV-01 (6) threshold for this kind of party, CNY"
    )


class FindingOut(BaseModel):
    """REV-06: one of the nine points; `passed` is null while unanswered."""

    point: ReviewPoint
    number: int
    label_zh: str
    passed: bool | None
    note: str | None
    by: str | None


class MaterialOut(materials.MaterialOut):
    """REV-04: a submitted file, stored by SHA-256, to a round of the review."""

    round: int
    kind: MaterialKind


class RecordedTrigger(BaseModel):
    """A REV-01 trigger recorded with a round."""

    trigger: Trigger
    reason: str


class MaterialsNoticeOut(BaseModel):
    """REV-05: the one notice of missing materials on a round."""

    missing: list[MaterialKind]
    items: list[str]
    by: str = Field(description="the reviewer who sent it")
    at: datetime
    supplied_at: datetime | None = Field(description="when the brigade said all was supplied")


class PartyOut(BaseModel):
    """当事人."""

    name: str
    kind: PartyKind
    id_number: str | None = None


class DecisionOut(BaseModel):
    """REV-08: the agency head's decision."""

    outcome: DecisionOutcome
    reason: str | None
    against_opinion: bool
    decision_number: str | None
    execution: str | None
    decided_by: str
    decided_at: datetime


class RoundOut(View):
    """One submission of the proposed decision and what the review made of it."""

    number: int
    party_kind: PartyKind
    fine: Decimal
    confiscated_gains: Decimal
    confiscated_property_value: Decimal
    adjustment: PenaltyAdjustment
    hearing: bool
    assessed: bool
    triggers: list[RecordedTrigger]
    voluntary: bool
    proposal: str
    correction_note: str | None
    submitted_by: str
    submitted_at: datetime
    materials_notice: MaterialsNoticeOut | None
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


class ReviewOut(View):
    """A review (one per case): its state, current round, due dates and who answers for what."""

    id: uuid.UUID
    town: str
    state: Label
    round: int
    case_number: str | None
    matter_code: str
    place_town: str
    found_at: datetime
    facts: str
    party: PartyOut
    handler: str
    reviewer: str | None
    decider: str | None
    joint_mode: JointMode
    joint_departments: list[str]
    town_justice_office: str | None = Field(
        description="REV-09: the 司法所 serving the town (from the directory); it sees the review",
        examples=["justice-office:lizhi"],
    )
    justice_office: str | None = Field(
        description="REV-09: set once the town adds its 司法所 to coordinate legal advisers"
    )
    finding_id: str | None = Field(
        default=None,
        description="INSP-08: the joint inspection's finding whose review request the review "
        "fulfils; `review.decided` names it",
    )
    current: RoundOut
    due: list[DeadlineOut]
    decision: DecisionOut | None
    responsibility: ResponsibilityOut
    created_at: datetime
    updated_at: datetime


ReviewPage = Page[ReviewOut]


class RequestTriggerOut(BaseModel):
    """REV-01: a trigger the finding's proposed decision hits, as joint inspection found it."""

    trigger: str = Field(examples=["amount"])
    label_zh: str = Field(examples=["罚款或没收数额达到法定标准"])
    reason: str


class ReviewRequestOut(View):
    """INSP-08/REV-01: a joint inspection's finding that needs legal review before the town
    decides: pending until the town's brigade submits the review naming it (`request_id`)."""

    id: uuid.UUID
    state: Label
    finding_id: str = Field(description="the finding in joint inspection")
    inspection_id: str = Field(description="the inspection work order")
    order_number: str | None = Field(examples=["荔枝街道综查〔2024〕7号"])
    visit_id: str
    target_id: str
    town: str = Field(description="the town that submits the review", examples=["town:lizhi"])
    town_justice_office: str | None = Field(
        description="REV-09: the 司法所 serving the town; it sees the request",
        examples=["justice-office:lizhi"],
    )
    place_town: str
    matter_code: str = Field(examples=["FIR-001"])
    matters_checked: list[str]
    found_at: datetime
    facts: str
    handling: str | None
    party: PartyOut = Field(description="the party; a citizen's identity number masked")
    triggers: list[RequestTriggerOut]
    requested_at: datetime
    review_id: uuid.UUID | None = Field(description="the review that fulfils it, once submitted")
    submitted_by: str | None
    submitted_at: datetime | None
    decided_at: datetime | None
    withdrawn_at: datetime | None = Field(
        description="when the town withdrew it (no penalty decision pursued)"
    )
    withdrawn_by: str | None = Field(description="the town's leader who withdrew it")
    withdrawal_reason: str | None = Field(description="the town's reason for withdrawing it")
    created_at: datetime
    updated_at: datetime


ReviewRequestPage = Page[ReviewRequestOut]


class JointOpinionOut(View):
    """REV-03: a department's parallel opinion (一案双审) or a joint meeting's (联合会审)."""

    id: uuid.UUID
    round: int
    mode: JointMode
    org: str = Field(examples=["dept:urban-management"])
    person: str
    opinion: ReviewOpinionKind
    reasons: str
    participants: list[str] = Field(description="联合会审: who took part")
    minutes: str | None = Field(description="联合会审: the minutes")
    given_at: datetime


class AdviceOut(View):
    """REV-09: advice of the town's legal advisers, coordinated by its 司法所."""

    id: uuid.UUID
    org: str = Field(examples=["justice-office:lizhi"])
    person: str
    advisers: list[str]
    note: str
    given_at: datetime


class ReviewDetail(ReviewOut):
    """A review with all its rounds (a case's history), materials, joint opinions, advice."""

    rounds: list[RoundOut]
    materials: list[MaterialOut]
    joint_opinions: list[JointOpinionOut]
    advice: list[AdviceOut]
    documents: list[DocumentOut] = Field(
        description="official documents issued on the review (REV-05/07), superseded ones too"
    )
