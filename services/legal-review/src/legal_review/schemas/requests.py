"""Request models of the legal-review API: exact money, closed vocabularies, no extra fields."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from legal_review.domain import DecisionOutcome, MaterialKind
from xietong_common.contracts.review import ReviewOpinionKind
from xietong_common.mechanisms.review_triggers import ProposedDecisionIn as ProposedDecisionIn
from xietong_common.parties import PartyKind
from xietong_common.schemas import (
    CLEAN_TEXT,
    Code,
    Line,
    Name,
    OrgCode,
    PartyIn,
    ShortText,
    Strict,
    Text,
    Timestamp,
)


class TriggerCheckIn(Strict):
    """REV-01: a proposed decision to check; nothing is stored."""

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


class SubmitIn(Strict):
    """REV-01/04: submit a proposed major decision for legal review."""

    case_number: Line | None = Field(default=None, examples=["涪荔综执立〔2024〕31号"])
    matter_code: Code = Field(examples=["URB-002"])
    place_town: OrgCode = Field(examples=["town:lizhi"])
    found_at: Timestamp = Field(
        description="when the violation was found, with its offset",
        examples=["2024-02-26T10:00:00+08:00"],
    )
    facts: Text = Field(examples=["当事人在江边随意倾倒建筑垃圾约20立方米"])
    party: PartyIn
    decision: ProposedDecisionIn
    proposal: Text = Field(
        description="the proposed decision and its explanation", examples=["拟罚款5000元"]
    )
    voluntary: bool = Field(default=False, description="submit although no REV-01 trigger applies")
    request_id: uuid.UUID | None = Field(
        default=None,
        description="INSP-08: the review request of joint inspection this submission fulfils "
        "(`GET /review-requests`): the town's own, not yet submitted, of the same matter",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "case_number": "涪荔综执立〔2024〕31号",
                    "matter_code": "URB-002",
                    "place_town": "town:lizhi",
                    "found_at": "2024-02-26T10:00:00+08:00",
                    "facts": "当事人在江边随意倾倒建筑垃圾约20立方米",
                    "party": {"name": "某建材公司", "kind": "legal-person"},
                    "decision": {"fine": "50000.00", "hearing": True},
                    "proposal": "拟对当事人罚款50000元",
                }
            ]
        },
    )


class ResubmitIn(Strict):
    """REV-07 (2): the corrected proposal, as a new round."""

    decision: ProposedDecisionIn
    proposal: Text
    correction_note: Text = Field(description="what was corrected")


class MaterialsNoticeIn(Strict):
    """REV-05: one notice listing everything missing. The REV-04 kinds not yet uploaded are
    always listed; name further kinds or items the review needs."""

    missing: list[MaterialKind] = Field(default_factory=list, max_length=20, examples=[["other"]])
    items: list[Line] = Field(default_factory=list, max_length=100, examples=[["现场照片原件"]])
    working_days: int | None = Field(
        default=None, ge=1, le=60, description="the deadline set; default from the service settings"
    )


class PointIn(Strict):
    """REV-06: the finding on one of the nine points."""

    passed: bool
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), CLEAN_TEXT] = (
        Field(default="", description="what was found")
    )


class OpinionIn(Strict):
    """REV-07: one of the five written opinions."""

    opinion: ReviewOpinionKind
    reasons: Text
    flaws: list[ShortText] = Field(
        default_factory=list, max_length=50, description="opinion (2): the flaws to correct"
    )
    transfer_to: OrgCode | None = Field(
        default=None,
        description="opinion (4): the agency with jurisdiction",
        examples=["dept:water"],
    )
    judicial_organ: Line | None = Field(
        default=None, description="opinion (5): the judicial organ", examples=["涪陵区公安分局"]
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "opinion": "transfer-to-competent-agency",
                    "reasons": "水污染物排放不属乡镇赋权事项",
                    "transfer_to": "dept:ecology-environment",
                }
            ]
        },
    )


class DecisionIn(Strict):
    """REV-08: the agency head's decision."""

    outcome: DecisionOutcome
    reason: Text | None = Field(
        default=None, description="required when deciding against the opinion"
    )
    decision_number: Line | None = Field(default=None, examples=["涪荔综执罚决〔2024〕12号"])
    execution: ShortText | None = Field(
        default=None, description="how it is executed (INFO-01 category 4)"
    )


class JointIn(Strict):
    """REV-03: review together with district departments."""

    mode: Literal["dual-review", "joint-meeting"]
    departments: list[OrgCode] = Field(
        min_length=1, max_length=11, examples=[["dept:urban-management"]]
    )


class JointOpinionIn(Strict):
    """REV-03: a department's parallel opinion, or the joint meeting's with minutes."""

    opinion: ReviewOpinionKind
    reasons: Text
    participants: list[Name] = Field(
        default_factory=list, max_length=100, description="联合会审: who took part"
    )
    minutes: Text | None = Field(default=None, description="联合会审: the minutes")


class JusticeOfficeAdviceIn(Strict):
    """REV-09: the 司法所 coordinates the town's legal advisers."""

    note: Text
    advisers: list[Name] = Field(default_factory=list, max_length=50, examples=[["王律师"]])


class RequestWithdrawIn(Strict):
    """INSP-08/REV-01: the town withdraws the review request, with its reason (no penalty
    decision will be pursued: the facts do not hold up, the case went elsewhere)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "经复核违法事实不成立，不予处罚"}]},
    )

    reason: Text = Field(description="at least 8 letters or characters")


class RequestLinkIn(Strict):
    """INSP-08/REV-01: the town's review (not yet decided) that fulfils the review request."""

    review_id: uuid.UUID
