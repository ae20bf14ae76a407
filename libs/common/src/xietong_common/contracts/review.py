"""Events of the legal-review mechanism 法制审核 (二(四), REV-01..REV-09)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import Field, ValidationInfo, field_validator

from xietong_common.contracts.base import ContractModel, IntegrationEvent, event
from xietong_common.labels import LabelledEnum
from xietong_common.parties import PartyKind, mask_identity


class ReviewOpinionKind(LabelledEnum):
    """REV-07: the five written opinions."""

    AGREE = "agree", "拟同意作出行政执法决定", "agree to the proposed decision"
    CORRECT_AND_RESUBMIT = (
        "correct-and-resubmit",
        "予以纠正完善后再送法制审核",
        "correct the flaws, then resubmit",
    )
    DO_NOT_DECIDE = "do-not-decide", "建议不予作出行政执法决定", "recommend not making the decision"
    TRANSFER_TO_COMPETENT_AGENCY = (
        "transfer-to-competent-agency",
        "建议移送有管辖权的行政执法机关处理",
        "recommend transfer to the agency with jurisdiction",
    )
    TRANSFER_TO_JUDICIAL_ORGANS = (
        "transfer-to-judicial-organs",
        "建议移送司法机关处理",
        "recommend transfer to the judicial organs",
    )


class DecisionOutcome(LabelledEnum):
    """REV-08: what the agency head decided after the opinion."""

    DECIDED_AS_PROPOSED = "decided-as-proposed", "作出行政执法决定"
    NOT_DECIDED = "not-decided", "不予作出决定"
    TRANSFERRED_TO_AGENCY = (
        "transferred-to-agency",
        "移送有管辖权的行政执法机关",
        "transferred to the agency with jurisdiction",
    )
    TRANSFERRED_TO_JUDICIAL_ORGANS = "transferred-to-judicial-organs", "移送司法机关"


class CaseParty(ContractModel):
    """The party (当事人) of a case, as far as another mechanism needs it."""

    name: str = Field(description="name of the person or organisation", examples=["某建材公司"])
    kind: str = Field(
        description="citizen | legal-person | other-organisation (REV-01 (6) thresholds differ)",
        examples=["legal-person"],
    )
    id_number: str | None = Field(
        default=None,
        description="an organisation's unified social credit code, whole (it is no personal "
        "data); a citizen's identity number masked — the first 6 and the last 4 characters, "
        "the rest `*` (`500102********1234`) — in every event, since integrators read them "
        "(issue 25). A consumer matching parties compares the characters both show (the "
        "referral service's REF-08 does); the full number stays with the record's parties",
        examples=["91500102MA5U7YBX2G", "500102********1234"],
    )

    @field_validator("id_number")
    @classmethod
    def _citizens_number_masked(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A citizen's number never leaves the producer whole, whichever service builds the
        # party; masking a masked number changes nothing, so a consumer may validate it again.
        if value is None or info.data.get("kind") != PartyKind.CITIZEN.value:
            return value
        return mask_identity(value)


class CaseSummary(ContractModel):
    """What a referral needs to be drafted without retyping the case."""

    matter_code: str = Field(
        description="code of the matter in the catalogue of empowered matters",
        examples=["URB-001"],
    )
    place_town: str = Field(
        description="town where the violation happened", examples=["town:lizhi"]
    )
    found_at: datetime = Field(description="when the violation was found")
    facts: str = Field(
        description="the facts as the brigade established them",
        examples=["当事人在江边随意倾倒建筑垃圾约20立方米"],
    )
    party: CaseParty | None = Field(default=None, description="the party, where there is one")
    case_number: str | None = Field(
        default=None, description="the brigade's case number", examples=["涪荔综执立〔2024〕31号"]
    )


@event("review.opinion", producers=("legal-review",), consumers=("referral",))
class ReviewOpinionGiven(IntegrationEvent):
    """REV-07: the review body gave its written opinion on a round of a review.

    Opinion (4) names the agency with jurisdiction in `transfer_to`; the referral service
    drafts the referral from it (REF-01) so nobody retypes the case.
    """

    review_id: uuid.UUID = Field(description="the review (one per case)")
    round: int = Field(ge=1, description="the submission round the opinion answers")
    submitting_org: str = Field(
        description="the town whose brigade submitted", examples=["town:lizhi"]
    )
    reviewing_org: str = Field(
        description="the town whose review body reviewed", examples=["town:lizhi"]
    )
    opinion: ReviewOpinionKind = Field(description="one of the five written opinions (REV-07)")
    reasons: str = Field(description="the written reasons", examples=["不属于本机关执法权限"])
    transfer_to: str | None = Field(
        default=None,
        description="opinion 4: the agency with jurisdiction (org code)",
        examples=["dept:ecology-environment"],
    )
    judicial_organ: str | None = Field(
        default=None,
        description="opinion 5: the judicial organ the case goes to",
        examples=["涪陵区公安分局"],
    )
    flaws: list[str] = Field(
        default_factory=list, description="opinion 2: the flaws to correct before resubmitting"
    )
    case: CaseSummary = Field(
        description="the case, so the opinion can be acted on without retyping"
    )
    reviewer: str = Field(description="the person who answers for the opinion (REV-08)")
    issued_at: datetime = Field(description="when the opinion was given")


@event("review.requested", producers=("legal-review",), consumers=("oversight (SUP, planned)",))
class ReviewRequested(IntegrationEvent):
    """REV-01/04: a brigade submitted a proposed major decision for legal review (a new round)."""

    review_id: uuid.UUID = Field(description="the review (one per case)")
    round: int = Field(ge=1, description="1 for the first submission, more after opinion (2)")
    submitting_org: str = Field(
        description="the town whose brigade submitted", examples=["town:lizhi"]
    )
    reviewing_org: str = Field(description="the town's review body", examples=["town:lizhi"])
    handler: str = Field(description="the person who handled the case (answers for the materials)")
    triggers: list[str] = Field(
        description="REV-01 triggers that apply (empty for a voluntary review)",
        examples=[["hearing", "amount"]],
    )
    voluntary: bool = Field(description="submitted although no REV-01 trigger applies")
    case: CaseSummary = Field(description="the case under review")
    submitted_at: datetime = Field(description="when the round was submitted")


@event(
    "review.materials-missing",
    producers=("legal-review",),
    consumers=("oversight (SUP, planned)",),
)
class ReviewMaterialsMissing(IntegrationEvent):
    """REV-05: the review body told the brigade, once, everything that is missing and by when."""

    review_id: uuid.UUID = Field(description="the review (one per case)")
    round: int = Field(ge=1, description="the submission the notice is about (one notice each)")
    submitting_org: str = Field(
        description="the town that owes the materials", examples=["town:lizhi"]
    )
    missing: list[str] = Field(
        description="REV-04 kinds missing", examples=[["evidence", "hearing-record"]]
    )
    items: list[str] = Field(
        default_factory=list,
        description="other missing items, in words",
        examples=[["现场照片原件"]],
    )
    due_at: datetime = Field(
        description="deadline to supply them (end of the last working day, UTC)"
    )
    due_provisional: bool = Field(
        default=False,
        description="the deadline lies in a year whose holiday schedule is not loaded",
    )
    notified_at: datetime = Field(description="when the brigade was told")


@event(
    "review.decided",
    producers=("legal-review",),
    consumers=("referral", "info-sharing", "joint-inspection", "oversight (SUP, planned)"),
)
class ReviewDecided(IntegrationEvent):
    """REV-08: the agency head decided; carries the penalty decision for information sharing
    (INFO-01 category 4: a town's penalty decision and its execution).

    INFO-04: with outcome `decided-as-proposed` this is the category-4 item (decision
    number, amounts, execution); the other outcomes record that no penalty was decided here.
    Referral withdraws the draft it made from opinion (4) when the outcome is not a transfer
    to the agency (REV-08 lets the head decide against the opinion with a reason).
    """

    review_id: uuid.UUID = Field(description="the review (one per case)")
    round: int = Field(ge=1, description="the round whose opinion the decision follows")
    town: str = Field(description="the town that decided", examples=["town:lizhi"])
    outcome: DecisionOutcome = Field(description="what the head decided (REV-08)")
    opinion: ReviewOpinionKind = Field(description="the review opinion the decision answers")
    against_opinion: bool = Field(description="the decision departs from the review opinion")
    reason: str | None = Field(
        default=None, description="the written reason (required when against)"
    )
    decider: str = Field(description="the agency head who answers for the decision")
    case: CaseSummary = Field(description="the case decided")
    fine: Decimal = Field(
        default=Decimal("0"), ge=0, description="fine, CNY (exact)", examples=["5000.00"]
    )
    confiscated_gains: Decimal = Field(
        default=Decimal("0"), ge=0, description="confiscated illegal gains, CNY"
    )
    confiscated_property_value: Decimal = Field(
        default=Decimal("0"), ge=0, description="value of confiscated illegal property, CNY"
    )
    decision_number: str | None = Field(
        default=None,
        description="the decision document's number",
        examples=["涪荔综执罚决〔2024〕12号"],
    )
    execution: str | None = Field(default=None, description="how the decision is being executed")
    decided_at: datetime = Field(description="when the head decided")
    finding_id: str | None = Field(
        default=None,
        description="INSP-08: the joint inspection's finding whose review request the review "
        "fulfilled (`inspection.review-requested`); its loop closes on this decision",
    )


@event(
    "review.request-withdrawn",
    producers=("legal-review",),
    consumers=("joint-inspection", "oversight (SUP-01/02)"),
    summary="INSP-08/REV-01: the town withdrew a joint inspection's review request, with its "
    "reason",
    accountability=True,
)
class ReviewRequestWithdrawn(IntegrationEvent):
    """INSP-08/REV-01: after the finding the town lawfully decided not to pursue a penalty
    decision at all (the facts do not hold up, the case went elsewhere): the review request
    (`inspection.review-requested`) is withdrawn before any review fulfilled it, with the
    town's reason. The inspection's loop at the target, which waited for `review.decided`
    naming `finding_id`, takes this as its return (INSP-07). Oversight records each under the
    town (SUP-02), so a town withdrawing every request is visible to the justice bureau."""

    request_id: uuid.UUID = Field(description="the review request in legal review")
    finding_id: str = Field(description="the joint inspection's finding it was requested for")
    inspection_id: str = Field(description="the inspection work order")
    town: str = Field(description="the town that withdrew it", examples=["town:lizhi"])
    reason: str = Field(
        description="the town's reason (at least 8 letters or characters)",
        examples=["经复核违法事实不成立，不予处罚"],
    )
    withdrawn_by: str = Field(description="the town's leader who withdrew it")
    withdrawn_at: datetime
