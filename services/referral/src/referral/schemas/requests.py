"""Request bodies of the referral API (and the draft a consumed event makes, with the same
bounds)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator
from pydantic.json_schema import SkipJsonSchema

from xietong_common.contracts.referral import AnswerDecision, CaseProcedure, ConclusionOutcome
from xietong_common.reasons import MIN_REASON, is_stated
from xietong_common.schemas import (
    CLEAN_TEXT,
    LINE_SCHEMA,
    ONE_LINE,
    Amount,
    Code,
    Line,
    Name,
    OrgCode,
    PartyIn,
    Quantity,
    ShortText,
    Strict,
    Text,
    Timestamp,
)

Unit = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32),
    CLEAN_TEXT,
    ONE_LINE,
    LINE_SCHEMA,
]


class ItemIn(Strict):
    """REF-05: an item involved in the case; items disposed of in advance carry their proceeds."""

    name: Line
    quantity: Quantity
    unit: Unit | None = Field(default=None, examples=["件"])
    description: ShortText | None = None
    disposed_in_advance: bool = Field(default=False, description="先行处置")
    disposal_method: ShortText | None = Field(default=None, examples=["依法拍卖"])
    proceeds: Amount | None = Field(
        default=None, description="proceeds of the disposal, transferred with the case (CNY)"
    )


class DraftFields(Strict):
    """Fields shared by creating and editing a draft."""

    receiver: OrgCode | None = Field(
        default=None,
        description="REF-02: leave empty to take the proposed receiver",
        examples=["dept:ecology-environment"],
    )
    jurisdiction_override_reason: ShortText | None = Field(
        default=None, description="REF-02: written reason when the receiver is not the proposed one"
    )
    urgent: bool = Field(
        default=False, description="REF-03: urgent, to be referred within 24 hours"
    )
    ongoing: bool = Field(default=False, description="REF-04: the violation was still going on")
    stop_measure: ShortText | None = Field(default=None, examples=["当场责令停止违法行为"])
    stop_measure_at: Timestamp | None = None
    items: list[ItemIn] = Field(default_factory=list, max_length=500)
    distinct_case_reason: ShortText | None = Field(
        default=None,
        description="REF-08: needed when the referral resembles a case referred to the sender "
        "that it has not finished: why this is a different case (recorded, shown to oversight)",
    )


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

    matter_code: Code
    place_town: OrgCode = Field(
        description="town where the violation happened", examples=["town:lizhi"]
    )
    found_at: Timestamp = Field(description="when the violation was found (REF-03 starts)")
    facts: Text
    party: PartyIn | None = None
    onward_of: uuid.UUID | None = Field(
        default=None,
        description="REF-08: a referral this party received; referring it on is refused",
    )


class ReferralUpdate(Strict):
    """Changes to a draft; only the fields given are changed. `null` clears an optional
    field (party, receiver, override reason, stop measure, REF-08 reason); the others cannot
    be cleared (their schema has no null, and an explicit null is a 422)."""

    # SkipJsonSchema: the field may be left out, never sent as null.
    matter_code: Code | SkipJsonSchema[None] = None
    place_town: OrgCode | SkipJsonSchema[None] = None
    found_at: Timestamp | SkipJsonSchema[None] = None
    facts: Text | SkipJsonSchema[None] = None
    party: PartyIn | None = None
    receiver: OrgCode | None = None
    jurisdiction_override_reason: ShortText | None = None
    urgent: bool | SkipJsonSchema[None] = None
    ongoing: bool | SkipJsonSchema[None] = None
    stop_measure: ShortText | None = None
    stop_measure_at: Timestamp | None = None
    items: Annotated[list[ItemIn], Field(max_length=500)] | SkipJsonSchema[None] = None
    distinct_case_reason: ShortText | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> ReferralUpdate:
        cleared = sorted(
            name
            for name in self.model_fields_set & REQUIRED_ON_A_DRAFT
            if getattr(self, name) is None
        )
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be null (leave out what stays)")
        return self


REQUIRED_ON_A_DRAFT = frozenset(
    {"matter_code", "place_town", "found_at", "facts", "urgent", "ongoing", "items"}
)


class ReceiveIn(Strict):
    signer_name: Name | None = Field(default=None, description="the clerk's name on the 送达回证")


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

    assignee: OrgCode = Field(examples=["town:baitao"])
    reasons: Text


class OnwardDecisionIn(Strict):
    """REF-08: the district government's ruling on a held referral: `release` (a different
    case: delivered now) or `bar` (an onward referral: the case stays with its receiver)."""

    decision: Literal["release", "bar"]
    reason: Text = Field(
        description="why, in at least 8 characters (a ruling others can read)",
        examples=["经核查，系该公司另一厂区的不同违法行为，准予移送"],
    )

    @model_validator(mode="after")
    def _reason_stated(self) -> OnwardDecisionIn:
        if not is_stated(self.reason):
            raise ValueError(f"reason: state it in at least {MIN_REASON} characters")
        return self


class FileIn(Strict):
    """REF-09: filing (立案)."""

    case_number: Line = Field(examples=["涪生环罚〔2024〕12号"])
    procedure: CaseProcedure = CaseProcedure.ORDINARY
    time_limit_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="the procedure's statutory limit in calendar days (日), counted from the day "
        "after filing to 24:00 China time on the last day; ordinary procedure: default 90",
    )
    no_time_limit_reason: ShortText | None = Field(
        default=None,
        description="procedure `other` without a time limit: why the law sets none, in at "
        "least 8 characters (required then; refused with a limit or another procedure); the "
        "filing is flagged for oversight to rule on",
    )


class SuspendIn(Strict):
    """REF-09: suspend (中止) the conclusion period: why, and the law and article that allow
    it (judged like every reason: 8+ characters, a law by its title, an article)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reason": "案件需等待司法鉴定结论，暂无法继续调查",
                    "law": "《生态环境行政处罚办法》",
                    "article": "第五十八条",
                }
            ]
        },
    )

    reason: ShortText | None = Field(default=None, description="why, in at least 8 characters")
    law: Line | None = Field(
        default=None, description="the law, regulation or rule that allows it, by its title"
    )
    article: Line | None = Field(default=None, description="its article, e.g. 第五十八条")


class ResumeIn(Strict):
    """REF-09: resume the suspended conclusion period: why its cause is gone."""

    reason: ShortText | None = Field(
        default=None,
        description="why the cause of the suspension is gone, in at least 8 characters",
        examples=["司法鉴定结论已经送达，恢复调查"],
    )


class ExtendIn(SuspendIn):
    """REF-09: extend (延长) the conclusion period by `days` calendar days, before it runs
    out, with the reason and the law and article that allow it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "days": 30,
                    "reason": "案情复杂，经负责人批准延长办案期限",
                    "law": "《生态环境行政处罚办法》",
                    "article": "第五十八条",
                }
            ]
        },
    )

    days: int = Field(
        ge=1,
        le=365,
        description="calendar days added to the period's last day (at most the setting "
        "XIETONG_REFERRAL_EXTENSION_MAX_DAYS)",
    )


class ConcludeIn(Strict):
    """REF-09: how the case ended: its kind (counted) and the outcome in words."""

    outcome_kind: ConclusionOutcome = Field(examples=["penalty"])
    outcome: Text = Field(examples=["罚款人民币五千元"])
    decision_number: Line | None = None


class WithdrawIn(Strict):
    """A draft is withdrawn with a reason: its REF-03 clock stops and no breach is recorded."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "经核实不属违法行为，不再移送"}]},
    )

    reason: Text


class ForwardIn(Strict):
    """REF-08: an attempt to refer a received case on (always refused)."""

    receiver: OrgCode
    reason: ShortText | None = None


class CooperationIn(Strict):
    """REF-10: what the handling party needs from the sender."""

    request: Text


class CooperationAnswerIn(Strict):
    answer: Text


class CooperationNotGivenIn(Strict):
    """REF-10: the handling party records that the sender did not cooperate, and why."""

    reason: Text = Field(
        description="what was not given, in at least 8 characters",
        examples=["多次电话催要现场照片原件，至今未提供"],
    )

    @model_validator(mode="after")
    def _reason_stated(self) -> CooperationNotGivenIn:
        if not is_stated(self.reason):
            raise ValueError(f"reason: state it in at least {MIN_REASON} characters")
        return self


class SourcedDraft(Strict):
    """A draft another mechanism's finding starts (REV-07 opinion 4, INSP-08): what its event
    says, held to the bounds a request's fields have (REF-01)."""

    sender: OrgCode
    matter_code: Code | None = None
    place_town: OrgCode
    found_at: Timestamp
    facts: Text
    party: PartyIn | None = None
    receiver: OrgCode | None = None
    jurisdiction_override_reason: ShortText | None = None
