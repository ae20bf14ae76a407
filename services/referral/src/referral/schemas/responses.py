"""Response bodies of the referral API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from referral.domain import MaterialKind, ReferralState
from xietong_common import materials
from xietong_common.contracts.referral import (
    AnswerDecision,
    CaseProcedure,
    ConclusionOutcome,
    PeriodChange,
)
from xietong_common.documents.schemas import DocumentOut
from xietong_common.schemas import Label, View
from xietong_common.timeline import DeadlineOut as DeadlineOut
from xietong_common.timeline import TimelineEntry as TimelineEntry


class StateOut(Label):
    """The state with its Chinese and English names."""

    value: ReferralState


class ItemOut(View):
    name: str
    quantity: Decimal
    unit: str | None
    description: str | None
    disposed_in_advance: bool
    disposal_method: str | None
    proceeds: Decimal | None


class MaterialOut(materials.MaterialOut):
    """REF-05: a material of the referral, with its kind."""

    kind: MaterialKind
    kind_zh: str
    title: str


class CooperationOut(View):
    id: uuid.UUID
    requesting_org: str
    requested_org: str
    request: str
    requested_at: datetime
    answer: str | None
    answered_at: datetime | None
    not_given_at: datetime | None = Field(
        default=None, description="REF-10: when the handling party recorded it was not given"
    )
    not_given_reason: str | None = None


class ReferralSummary(View):
    """A referral as lists show it."""

    id: uuid.UUID
    state: StateOut
    sender: str
    receiver: str | None
    assignee: str | None
    matter_code: str | None
    place_town: str | None
    found_at: datetime
    urgent: bool
    sent_at: datetime | None
    next_due: DeadlineOut | None = Field(default=None, description="the earliest open deadline")
    overdue: bool = False
    created_at: datetime
    possible_onward: bool = Field(
        default=False,
        description="REF-08: resembles a case referred to the sender that it has not finished",
    )


class OnwardDecisionOut(BaseModel):
    """REF-08: the district government's ruling on a held referral."""

    decision: str = Field(examples=["release"], description="release | bar")
    reason: str
    by: str
    at: datetime


class OnwardSuspicionOut(BaseModel):
    """REF-08: the receiver of this case sent, or tried to send, something like it."""

    referral_id: str | None = Field(
        description="the resembling referral (none: refused before it was drafted)"
    )
    at: datetime
    grounds: list[str] = Field(examples=[["similar-facts"]])
    held: bool = Field(description="sent with a reason and held (true) or refused (false)")


class PeriodChangeOut(BaseModel):
    """REF-09: a suspension, resumption or extension of the conclusion period, as both
    parties see it."""

    kind: PeriodChange
    at: datetime
    by: str = Field(description="who changed it")
    org: str = Field(description="the organisation handling the case")
    reason: str
    law: str | None = None
    article: str | None = None
    days: int | None = Field(
        default=None,
        description="extended: calendar days added; resumed: working days the case stood suspended",
    )
    due_before: datetime = Field(description="the conclusion deadline before the change")
    due_at: datetime = Field(
        description="the deadline after it (suspended: the latest, if never resumed)"
    )


class ReferralOut(ReferralSummary):
    """One referral with everything the parties may see."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b9c6f4e-2d7a-4b8e-9a55-2b8f2f8b4d11",
                    "state": {"value": "received", "label_zh": "已签收", "label_en": "received"},
                    "sender": "town:lizhi",
                    "receiver": "dept:ecology-environment",
                    "matter_code": "ENV-001",
                    "receipt_number": "dept:ecology-environment-2024-00012",
                }
            ]
        }
    )

    proposed_receiver: str | None
    jurisdiction_override_reason: str | None
    facts: str
    party: dict[str, Any] | None
    ongoing: bool
    stop_measure: str | None
    stop_measure_at: datetime | None
    proceeds_transferred: Decimal
    source_kind: str
    source_id: str | None
    approved_at: datetime | None
    approved_by: str | None
    receipt_number: str | None
    received_at: datetime | None
    receipt_signed_by: str | None
    answered_at: datetime | None
    answer_decision: AnswerDecision | None
    answer_reasons: str | None
    assigned_at: datetime | None
    assignment_reasons: str | None
    filed_at: datetime | None
    case_number: str | None
    procedure: CaseProcedure | None
    concluded_at: datetime | None
    outcome: str | None
    outcome_kind: ConclusionOutcome | None = None
    procedure_flag: str | None = Field(
        default=None,
        description="REF-09: summary-procedure | no-time-limit — a filing that stops the "
        "conclusion clock, flagged for oversight",
    )
    decision_number: str | None
    no_time_limit_reason: str | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None
    distinct_case_reason: str | None = Field(
        default=None, description="REF-08: the sender's statement of why it is a different case"
    )
    ongoing_notified_at: datetime | None = Field(
        default=None, description="REF-04: when the party with jurisdiction was informed"
    )
    held_at: datetime | None = Field(
        default=None,
        description="REF-08: sent while resembling a case its sender received, so held for "
        "the district government's decision before delivery",
    )
    onward_decision: OnwardDecisionOut | None = Field(
        default=None, description="REF-08: the district government's ruling on the held referral"
    )
    onward_suspicions: list[OnwardSuspicionOut] = Field(
        default_factory=list,
        description="REF-08, on a received case: its receiver's referrals that resemble it "
        "(held for the district government) or attempts refused — so that this case's sender "
        "knows",
    )
    suspended_at: datetime | None = Field(
        default=None, description="REF-09: the conclusion period is suspended (中止) since"
    )
    conclusion_period_changes: list[PeriodChangeOut] = Field(
        default_factory=list,
        description="REF-09: every suspension, resumption and extension of the conclusion "
        "period, with its reason and legal basis",
    )
    items: list[ItemOut]
    materials: list[MaterialOut]
    cooperation_requests: list[CooperationOut]
    deadlines: list[DeadlineOut]
    documents: list[DocumentOut] = Field(
        description="official documents issued on the referral (REF-05..08), superseded ones too"
    )


class OngoingNoticeOut(View):
    """REF-04 (及时告知): the notice of an ongoing violation, as the party with jurisdiction
    reads it while the referral itself is still its sender's draft."""

    id: uuid.UUID = Field(description="the referral the notice comes from")
    sender: str
    ongoing_notified_to: str = Field(description="the party with jurisdiction informed")
    matter_code: str | None
    place_town: str | None
    found_at: datetime
    facts: str | None
    party: dict[str, Any] | None
    stop_measure: str | None = Field(description="the stop order or measure already taken")
    stop_measure_at: datetime | None
    ongoing_notified_at: datetime
    ongoing_acknowledged_at: datetime | None = Field(description="when the addressee read it")
    ongoing_acknowledged_by: str | None


class RoutingOut(BaseModel):
    """REF-02: who has jurisdiction over a matter at a place."""

    matter_code: str
    place_town: str
    town_level: bool = Field(description="the matter is delegated to towns (赋权事项)")
    proposed_receiver: str = Field(examples=["dept:ecology-environment"])
