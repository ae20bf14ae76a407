"""Events of the legal-review mechanism 法制审核 (二(四), REV-01..REV-09)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from xietong_common.contracts.base import ContractModel, IntegrationEvent, event


class ReviewOpinionKind(StrEnum):
    """REV-07: the five written opinions."""

    AGREE = "agree"
    CORRECT_AND_RESUBMIT = "correct-and-resubmit"
    DO_NOT_DECIDE = "do-not-decide"
    TRANSFER_TO_COMPETENT_AGENCY = "transfer-to-competent-agency"
    TRANSFER_TO_JUDICIAL_ORGANS = "transfer-to-judicial-organs"

    @property
    def label_zh(self) -> str:
        return {
            "agree": "拟同意作出行政执法决定",
            "correct-and-resubmit": "予以纠正完善后再送法制审核",
            "do-not-decide": "建议不予作出行政执法决定",
            "transfer-to-competent-agency": "建议移送有管辖权的行政执法机关处理",
            "transfer-to-judicial-organs": "建议移送司法机关处理",
        }[self.value]

    @property
    def number(self) -> int:
        return list(ReviewOpinionKind).index(self) + 1


class CaseParty(ContractModel):
    """The party (当事人) of a case, as far as another mechanism needs it."""

    name: str
    kind: str = Field(description="citizen | legal-person | other-organisation")
    id_number: str | None = Field(default=None, description="ID card or unified social credit code")


class CaseSummary(ContractModel):
    """What a referral needs to be drafted without retyping the case."""

    matter_code: str = Field(examples=["URB-001"])
    place_town: str = Field(
        description="town where the violation happened", examples=["town:lizhi"]
    )
    found_at: datetime = Field(description="when the violation was found")
    facts: str
    party: CaseParty | None = None
    case_number: str | None = None


@event("review.opinion", producers=("legal-review",), consumers=("referral",))
class ReviewOpinionGiven(IntegrationEvent):
    """REV-07: the review body gave its written opinion on a round of a review."""

    review_id: str
    round: int = Field(ge=1)
    submitting_org: str = Field(examples=["town:lizhi"])
    reviewing_org: str = Field(examples=["town:lizhi"])
    opinion: ReviewOpinionKind
    reasons: str
    transfer_to: str | None = Field(
        default=None,
        description="opinion 4: the agency with jurisdiction (org code)",
        examples=["dept:ecology-environment"],
    )
    case: CaseSummary
    reviewer: str
    issued_at: datetime


@event("review.requested", producers=("legal-review",), consumers=("oversight (SUP, planned)",))
class ReviewRequested(IntegrationEvent):
    """REV-01/04: a brigade submitted a proposed major decision for legal review (a new round)."""

    review_id: str
    round: int = Field(ge=1)
    submitting_org: str = Field(examples=["town:lizhi"])
    reviewing_org: str = Field(examples=["town:lizhi"])
    handler: str = Field(description="the person who handled the case (answers for the materials)")
    triggers: list[str] = Field(
        description="REV-01 triggers that apply (empty for a voluntary review)",
        examples=[["amount", "hearing"]],
    )
    voluntary: bool = Field(description="submitted although no REV-01 trigger applies")
    case: CaseSummary
    submitted_at: datetime


@event(
    "review.materials-missing",
    producers=("legal-review",),
    consumers=("oversight (SUP, planned)",),
)
class ReviewMaterialsMissing(IntegrationEvent):
    """REV-05: the review body told the brigade, once, everything that is missing and by when."""

    review_id: str
    round: int = Field(ge=1)
    submitting_org: str = Field(examples=["town:lizhi"])
    missing: list[str] = Field(
        description="REV-04 kinds missing", examples=[["evidence", "hearing-record"]]
    )
    items: list[str] = Field(default_factory=list, description="other missing items, in words")
    due_at: datetime = Field(description="deadline to supply them")
    due_provisional: bool = Field(
        default=False,
        description="the deadline lies in a year whose holiday schedule is not loaded",
    )
    notified_at: datetime


@event(
    "review.decided",
    producers=("legal-review",),
    consumers=("info-sharing (INFO-04, planned)", "oversight (SUP, planned)"),
)
class ReviewDecided(IntegrationEvent):
    """REV-08: the agency head decided; carries the penalty decision for information sharing
    (INFO-01 category 4: a town's penalty decision and its execution)."""

    review_id: str
    round: int = Field(ge=1)
    town: str = Field(examples=["town:lizhi"])
    outcome: str = Field(
        description="decided-as-proposed | not-decided | transferred-to-agency | "
        "transferred-to-judicial-organs",
        examples=["decided-as-proposed"],
    )
    opinion: ReviewOpinionKind
    against_opinion: bool = Field(description="the decision departs from the review opinion")
    reason: str | None = Field(
        default=None, description="the written reason (required when against)"
    )
    decider: str = Field(description="the agency head who answers for the decision")
    case: CaseSummary
    fine: Decimal = Field(default=Decimal("0"), ge=0, examples=["5000.00"])
    confiscated_gains: Decimal = Field(default=Decimal("0"), ge=0)
    confiscated_property_value: Decimal = Field(default=Decimal("0"), ge=0)
    decision_number: str | None = Field(default=None, examples=["涪荔综执罚决〔2024〕12号"])
    execution: str | None = Field(default=None, description="how the decision is being executed")
    decided_at: datetime
