"""Request and response models of the referral API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from referral.domain import MaterialKind, ReferralState
from xietong_common.contracts.referral import AnswerDecision, CaseProcedure
from xietong_common.timeline import DeadlineOut as DeadlineOut
from xietong_common.timeline import TimelineEntry as TimelineEntry

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Org = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyIn(Strict):
    """The party (当事人) of the case."""

    name: Text
    kind: Literal["citizen", "legal-person", "other-organisation"]
    id_number: str | None = Field(default=None, max_length=64)


class ItemIn(Strict):
    """REF-05: an item involved in the case; items disposed of in advance carry their proceeds."""

    name: Text
    quantity: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=3)]
    unit: str | None = Field(default=None, max_length=32, examples=["件"])
    description: str | None = None
    disposed_in_advance: bool = Field(default=False, description="先行处置")
    disposal_method: str | None = Field(default=None, examples=["依法拍卖"])
    proceeds: Amount | None = Field(
        default=None, description="proceeds of the disposal, transferred with the case (CNY)"
    )


class DraftFields(Strict):
    """Fields shared by creating and editing a draft."""

    receiver: Org | None = Field(
        default=None,
        description="REF-02: leave empty to take the proposed receiver",
        examples=["dept:ecology-environment"],
    )
    jurisdiction_override_reason: str | None = Field(
        default=None, description="REF-02: written reason when the receiver is not the proposed one"
    )
    urgent: bool = Field(
        default=False, description="REF-03: urgent, to be referred within 24 hours"
    )
    ongoing: bool = Field(default=False, description="REF-04: the violation was still going on")
    stop_measure: str | None = Field(default=None, examples=["当场责令停止违法行为"])
    stop_measure_at: AwareDatetime | None = None
    items: list[ItemIn] = Field(default_factory=list, max_length=500)


class ReferralCreate(DraftFields):
    """A new draft referral (草稿)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "matter_code": "ENV-001",
                    "place_town": "town:lizhi",
                    "found_at": "2024-09-27T02:00:00Z",
                    "facts": "巡查发现某企业向河道直排污水",
                    "party": {"name": "某某化工有限公司", "kind": "legal-person"},
                    "ongoing": True,
                    "stop_measure": "当场责令停止排放",
                    "stop_measure_at": "2024-09-27T02:30:00Z",
                    "items": [{"name": "排污软管", "quantity": "2", "unit": "根"}],
                }
            ]
        },
    )

    matter_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
    ]
    place_town: Org = Field(
        description="town where the violation happened", examples=["town:lizhi"]
    )
    found_at: AwareDatetime = Field(description="when the violation was found (REF-03 starts)")
    facts: Text
    party: PartyIn | None = None
    onward_of: uuid.UUID | None = Field(
        default=None,
        description="REF-08: a referral this party received; referring it on is refused",
    )


class ReferralUpdate(Strict):
    """Changes to a draft; only the fields given are changed."""

    matter_code: str | None = Field(default=None, min_length=1, max_length=64)
    place_town: Org | None = None
    found_at: AwareDatetime | None = None
    facts: Text | None = None
    party: PartyIn | None = None
    receiver: Org | None = None
    jurisdiction_override_reason: str | None = None
    urgent: bool | None = None
    ongoing: bool | None = None
    stop_measure: str | None = None
    stop_measure_at: AwareDatetime | None = None
    items: list[ItemIn] | None = Field(default=None, max_length=500)


class ReceiveIn(Strict):
    signer_name: str | None = Field(default=None, description="the clerk's name on the 送达回证")


class AnswerIn(Strict):
    """REF-07/REF-08: the written answer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"decision": "accept", "reasons": "属本局管辖,决定受理"}]},
    )

    decision: AnswerDecision
    reasons: Text


class AssignIn(Strict):
    """REF-08: the district government's decision on jurisdiction."""

    assignee: Org = Field(examples=["town:baitao"])
    reasons: Text


class FileIn(Strict):
    """REF-09: filing (立案)."""

    case_number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)
    ]
    procedure: CaseProcedure = CaseProcedure.ORDINARY
    time_limit_days: int | None = Field(
        default=None, ge=1, le=3650, description="statutory limit in days; default by procedure"
    )


class ConcludeIn(Strict):
    outcome: Text
    decision_number: str | None = Field(default=None, max_length=128)


class ForwardIn(Strict):
    """REF-08: an attempt to refer a received case on (always refused)."""

    receiver: Org
    reason: str | None = None


class CooperationIn(Strict):
    """REF-10: what the handling party needs from the sender."""

    request: Text


class CooperationAnswerIn(Strict):
    answer: Text


# ---- responses ------------------------------------------------------------------------------


class StateOut(BaseModel):
    value: ReferralState
    label_zh: str
    label_en: str

    @classmethod
    def of(cls, state: ReferralState) -> StateOut:
        return cls(value=state, label_zh=state.label_zh, label_en=state.label_en)


class ItemOut(BaseModel):
    name: str
    quantity: Decimal
    unit: str | None
    description: str | None
    disposed_in_advance: bool
    disposal_method: str | None
    proceeds: Decimal | None


class MaterialOut(BaseModel):
    id: uuid.UUID
    kind: MaterialKind
    kind_zh: str
    title: str
    filename: str | None
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str


class CooperationOut(BaseModel):
    id: uuid.UUID
    requesting_org: str
    requested_org: str
    request: str
    requested_at: datetime
    answer: str | None
    answered_at: datetime | None


class ReferralSummary(BaseModel):
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
    decision_number: str | None
    items: list[ItemOut]
    materials: list[MaterialOut]
    cooperation_requests: list[CooperationOut]
    deadlines: list[DeadlineOut]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int
