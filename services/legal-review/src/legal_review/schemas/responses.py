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
    current: RoundOut
    due: list[DeadlineOut]
    decision: DecisionOut | None
    responsibility: ResponsibilityOut
    created_at: datetime
    updated_at: datetime


ReviewPage = Page[ReviewOut]


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
