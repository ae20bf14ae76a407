"""Events of the case-referral mechanism 案件移送 (二(三), REF-01..REF-10).

A referral is one case moving from the party that found a violation outside its
jurisdiction (the sender) to the party that has jurisdiction (the receiver). Every
event is keyed by the referral id, so one case's events arrive in order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Self

from pydantic import Field

from xietong_common.contracts.base import ContractModel, IntegrationEvent, event
from xietong_common.contracts.review import CaseParty
from xietong_common.labels import LabelledEnum

OVERSIGHT = "oversight (SUP, planned)"
NOTIFIER = "notifier"  # issue 24: to the parties' webhooks, when they subscribe
OVERSIGHT_LEDGER = "oversight (SUP-01/02)"  # read into its ledger


class AnswerDecision(LabelledEnum):
    """REF-07/REF-08: the receiver's written answer."""

    ACCEPT = "accept", "受理"
    REPORT_TO_DISTRICT_GOV = (
        "report-to-district-gov",
        "报请区政府决定",
        "report to the district government for a decision",
    )


class CaseProcedure(LabelledEnum):
    """REF-09: the procedure a filed case follows (行政处罚法)."""

    ORDINARY = "ordinary", "普通程序", "ordinary procedure"
    SUMMARY = "summary", "简易程序", "summary procedure"
    OTHER = "other", "其他程序", "other procedure"


class ConclusionOutcome(LabelledEnum):
    """REF-09: how a referred case ended (办结), so that outcomes can be counted."""

    PENALTY = "penalty", "给予行政处罚", "administrative penalty imposed"
    NO_PENALTY = "no-penalty", "不予行政处罚", "no penalty (违法事实不成立、轻微不罚等)"
    TRANSFERRED = (
        "transferred",
        "移送司法机关或其他机关",
        "transferred to the judiciary or another body",
    )
    CASE_WITHDRAWN = "case-withdrawn", "撤销立案", "the filing withdrawn"
    OTHER = "other", "其他处理", "another outcome"


class OnwardDecision(LabelledEnum):
    """REF-08: the district government's decision on a referral held as a suspected onward
    referral."""

    RELEASED = "released", "不属再行移送，予以放行", "a different case: released and delivered"
    BARRED = "barred", "属再行移送，不予放行", "an onward referral: barred"


class SourceKind(LabelledEnum):
    """Where a referral came from."""

    MANUAL = "manual", "人工起草", "drafted by hand"
    REVIEW_OPINION = "review-opinion", "法制审核意见(四)", "review opinion (4) (REV-07)"
    INSPECTION_FINDING = "inspection-finding", "检查发现", "inspection finding (INSP-08)"


class ReferralSource(ContractModel):
    """Where a referral came from, when another mechanism started it."""

    kind: SourceKind = Field(examples=["review-opinion"])
    id: str | None = Field(
        default=None,
        description="the review round (`<review id>:<round>`) or the inspection finding",
        examples=["0b9c6f4e-2d7a-4b8e-9a55-2b8f2f8b4d11:1"],
    )

    @classmethod
    def review_opinion(cls, review_id: uuid.UUID, round_: int) -> Self:
        """REV-07 opinion (4) of one round of a review."""
        return cls(kind=SourceKind.REVIEW_OPINION, id=f"{review_id}:{round_}")

    @classmethod
    def inspection_finding(cls, finding_id: str) -> Self:
        """INSP-08: a finding outside the inspecting party's jurisdiction."""
        return cls(kind=SourceKind.INSPECTION_FINDING, id=finding_id)


@event(
    "case.referred",
    producers=("referral",),
    consumers=(OVERSIGHT, NOTIFIER, "joint-inspection"),
    summary="REF-01/03: a case was referred to the party with jurisdiction",
)
class CaseReferred(IntegrationEvent):
    """REF-01/REF-03: the sender referred a case to the party with jurisdiction (已移送)."""

    referral_id: uuid.UUID = Field(
        description="id of the referral", examples=["0b9c6f4e-2d7a-4b8e-9a55-2b8f2f8b4d11"]
    )
    sender: str = Field(
        description="organisation that found the violation", examples=["town:lizhi"]
    )
    receiver: str = Field(
        description="organisation with jurisdiction", examples=["dept:ecology-environment"]
    )
    matter_code: str = Field(
        description="code of the matter in the catalogue", examples=["ENV-001"]
    )
    place_town: str = Field(
        description="town where the violation happened", examples=["town:lizhi"]
    )
    found_at: datetime = Field(description="when the violation was found (starts REF-03)")
    sent_at: datetime
    urgent: bool = Field(description="REF-03: urgent case, to be referred within 24 hours")
    ongoing: bool = Field(description="REF-04: the violation was still going on when found")
    stop_measure: str | None = Field(
        default=None,
        description="REF-04: the stop order or measure taken",
        examples=["责令停止排放"],
    )
    facts: str = Field(description="summary of the facts", examples=["河道旁违规倾倒建筑垃圾"])
    party: CaseParty | None = Field(default=None, description="the party (当事人), if known")
    jurisdiction_override_reason: str | None = Field(
        default=None,
        description="REF-02: the sender's written reason for a receiver other than the proposed one",
    )
    proceeds_transferred: Decimal = Field(
        default=Decimal("0"),
        ge=0,
        description="REF-05: proceeds of items disposed of in advance, transferred with the case (CNY)",
        examples=["1200.00"],
    )
    materials: int = Field(ge=0, description="number of materials sent (letter, item list, …)")
    send_due_at: datetime = Field(description="REF-03 deadline the sender had to meet")
    late: bool = Field(description="sent after the REF-03 deadline (a breach is recorded)")
    source: ReferralSource


@event(
    "case.received",
    producers=("referral",),
    consumers=(OVERSIGHT, NOTIFIER),
    summary="REF-06: the receiver signed the service receipt 送达回证",
)
class CaseReceived(IntegrationEvent):
    """REF-06: the receiver took the materials and issued the numbered service receipt 送达回证."""

    referral_id: uuid.UUID
    sender: str = Field(examples=["town:lizhi"])
    receiver: str = Field(examples=["dept:ecology-environment"])
    receipt_number: str = Field(
        description="number of the 行政案件移送书送达回证",
        examples=["dept:ecology-environment-2024-00012"],
    )
    received_at: datetime
    signed_by: str = Field(description="the clerk who signed the receipt", examples=["王芳"])
    answer_due_at: datetime = Field(description="REF-07: the written answer is due by then")
    answer_due_provisional: bool = Field(
        description="the due date lies in a year whose holiday schedule is not yet known"
    )


@event(
    "case.answered",
    producers=("referral",),
    consumers=(OVERSIGHT, NOTIFIER),
    summary="REF-07: the receiver answered in writing whether it accepts the case",
)
class CaseAnswered(IntegrationEvent):
    """REF-07: the receiver told the sender in writing whether it accepts the case."""

    referral_id: uuid.UUID
    sender: str = Field(examples=["town:lizhi"])
    receiver: str = Field(examples=["dept:ecology-environment"])
    decision: AnswerDecision
    reasons: str = Field(description="the written reasons", examples=["属本局管辖,决定受理"])
    answered_at: datetime
    late: bool = Field(description="answered after the REF-07 deadline (a breach is recorded)")


@event(
    "case.escalated",
    producers=("referral",),
    consumers=(OVERSIGHT_LEDGER, NOTIFIER),
    summary="REF-08: the receiver disputes jurisdiction and reports to the district government",
    accountability=True,
)
class CaseEscalated(IntegrationEvent):
    """REF-08: the receiver considers the case outside its jurisdiction and reported it in
    writing to the district government (报请区政府决定) instead of referring it on."""

    referral_id: uuid.UUID
    sender: str = Field(examples=["town:lizhi"])
    receiver: str = Field(examples=["dept:ecology-environment"])
    reported_to: str = Field(default="district-gov", examples=["district-gov"])
    reasons: str = Field(examples=["该事项已赋权乡镇,不属本局管辖"])
    reported_at: datetime


@event(
    "case.assigned",
    producers=("referral",),
    consumers=(OVERSIGHT_LEDGER, NOTIFIER),
    summary="REF-08: the district government decided who handles a disputed case",
    accountability=True,
)
class CaseAssigned(IntegrationEvent):
    """REF-08: the district government decided jurisdiction (指定管辖) over a disputed case."""

    referral_id: uuid.UUID
    sender: str = Field(examples=["town:lizhi"])
    receiver: str = Field(description="the receiver that reported the dispute")
    assignee: str = Field(
        description="the organisation that now handles the case", examples=["town:baitao"]
    )
    reasons: str
    assigned_at: datetime
    decided_by: str = Field(description="the person who signed for the district government")


@event(
    "case.filed",
    producers=("referral",),
    consumers=(OVERSIGHT, NOTIFIER, "joint-inspection"),
    summary="REF-09: the handling party filed (立案) the referred case",
)
class CaseFiled(IntegrationEvent):
    """REF-09: the party handling a referred case filed it (立案)."""

    referral_id: uuid.UUID
    handler: str = Field(
        description="the organisation handling the case", examples=["dept:ecology-environment"]
    )
    sender: str = Field(examples=["town:lizhi"])
    case_number: str = Field(examples=["涪环罚立〔2024〕15号"])
    procedure: CaseProcedure
    filed_at: datetime
    conclude_due_at: datetime | None = Field(
        default=None, description="statutory time limit of the procedure, where one is tracked"
    )
    late: bool = Field(
        description="filed after the REF-09 'promptly' deadline (a breach is recorded)"
    )


@event(
    "case.concluded",
    producers=("referral",),
    consumers=(OVERSIGHT, NOTIFIER, "joint-inspection"),
    summary="REF-09: the handling party concluded (办结) the referred case",
)
class CaseConcluded(IntegrationEvent):
    """REF-09: the party handling a referred case concluded it (办结)."""

    referral_id: uuid.UUID
    handler: str = Field(examples=["dept:ecology-environment"])
    sender: str = Field(examples=["town:lizhi"])
    case_number: str = Field(examples=["涪环罚立〔2024〕15号"])
    outcome: str = Field(description="how the case ended", examples=["罚款人民币五千元"])
    outcome_kind: ConclusionOutcome | None = Field(
        default=None, description="the outcome's kind (absent in events before 2026-12)"
    )
    decision_number: str | None = Field(default=None, examples=["涪环罚〔2024〕15号"])
    concluded_at: datetime


@event(
    "case.cooperation-requested",
    producers=("referral",),
    consumers=(OVERSIGHT,),
    summary="REF-10: the handling party asked the sender to cooperate",
)
class CaseCooperationRequested(IntegrationEvent):
    """REF-10: while handling a referred case, the handling party asked the sender to cooperate."""

    referral_id: uuid.UUID
    request_id: uuid.UUID
    requesting_org: str = Field(
        description="the party handling the case", examples=["dept:ecology-environment"]
    )
    requested_org: str = Field(description="the sender, who must assist", examples=["town:lizhi"])
    request: str = Field(examples=["请协助提供现场照片原件"])
    requested_at: datetime


@event(
    "case.cooperation-not-given",
    producers=("referral",),
    consumers=(OVERSIGHT_LEDGER,),
    summary="REF-10: the handling party recorded that the sender did not cooperate",
    accountability=True,
)
class CaseCooperationNotGiven(IntegrationEvent):
    """REF-10: the party handling a referred case recorded, with its reason, that the sender
    did not give the cooperation it asked for (the sender must assist). Oversight counts it
    as a refusal against the sender."""

    referral_id: uuid.UUID
    request_id: uuid.UUID
    requesting_org: str = Field(
        description="the party handling the case", examples=["dept:ecology-environment"]
    )
    requested_org: str = Field(
        description="the sender, who did not assist", examples=["town:lizhi"]
    )
    request: str = Field(examples=["请协助提供现场照片原件"])
    reason: str = Field(examples=["多次电话催要现场照片原件，至今未提供"])
    requested_at: datetime
    recorded_at: datetime
    recorded_by: str = Field(description="the person who recorded it")


@event(
    "case.ongoing-violation-notified",
    producers=("referral",),
    consumers=(OVERSIGHT,),
    summary="REF-04: the party with jurisdiction was told of an ongoing violation at once",
)
class CaseOngoingViolationNotified(IntegrationEvent):
    """REF-04: a violation still going on when found was stopped (or measures taken) and the
    party with jurisdiction is informed promptly (及时告知), as soon as the draft names it,
    not only when the referral is sent up to 5 working days later."""

    referral_id: uuid.UUID
    sender: str = Field(
        description="the finder, who stopped the violation", examples=["town:lizhi"]
    )
    receiver: str = Field(
        description="the party with jurisdiction being informed",
        examples=["dept:ecology-environment"],
    )
    matter_code: str | None = Field(default=None, examples=["ENV-001"])
    place_town: str | None = Field(default=None, examples=["town:lizhi"])
    found_at: datetime = Field(description="when the violation was found")
    facts: str = Field(examples=["巡查发现某企业向河道直排污水"])
    party: CaseParty | None = None
    stop_measure: str = Field(
        description="the stop order given or measure taken", examples=["当场责令停止排放"]
    )
    stop_measure_at: datetime
    notified_at: datetime
    inform_due_at: datetime = Field(
        description="REF-04 'promptly': the setting XIETONG_REFERRAL_ONGOING_INFORM_HOURS after "
        "the finding"
    )
    late: bool = Field(description="informed after that deadline (a breach is recorded)")


@event(
    "case.draft-withdrawn",
    producers=("referral",),
    consumers=(OVERSIGHT, "joint-inspection"),
    summary="A draft referral was withdrawn with a reason; its REF-03 deadline is stopped",
)
class CaseDraftWithdrawn(IntegrationEvent):
    """A draft referral was withdrawn, with a reason, before it was sent: its REF-03 clock is
    stopped and no breach is recorded (e.g. the head decided against the review opinion (4)
    it was drafted from, REV-08)."""

    referral_id: uuid.UUID
    sender: str = Field(examples=["town:lizhi"])
    proposed_receiver: str | None = Field(default=None, examples=["dept:ecology-environment"])
    reason: str = Field(examples=["负责人决定不予移送(审核意见(4)未被采纳)"])
    withdrawn_at: datetime
    withdrawn_by: str
    source: ReferralSource


@event(
    "case.onward-referral-suspected",
    producers=("referral",),
    consumers=(OVERSIGHT_LEDGER,),
    summary="REF-08: a referral resembling a received, unfinished case was sent with a reason",
    accountability=True,
)
class CaseOnwardReferralSuspected(IntegrationEvent):
    """REF-08: a referral was sent although it resembles a case its sender received and has
    not finished (不得再行移送); the sender stated why it is a different case. Oversight
    decides whether it was an onward referral in disguise."""

    referral_id: uuid.UUID
    sender: str = Field(description="the organisation holding the received cases")
    receiver: str
    resembles: list[str] = Field(description="ids of the received, unfinished cases")
    grounds: list[str] = Field(
        description="same-party | similar-facts | same-place-and-time",
        examples=[["same-party", "similar-facts"]],
    )
    distinct_case_reason: str = Field(description="the sender's statement of why it differs")
    sent_at: datetime


class PeriodChange(LabelledEnum):
    """REF-09: how the handling party changed a referred case's conclusion period."""

    SUSPENDED = "suspended", "中止办案期限", "the conclusion period suspended (中止)"
    RESUMED = "resumed", "恢复计算办案期限", "the conclusion period resumed"
    EXTENDED = "extended", "延长办案期限", "the conclusion period extended (延长)"


@event(
    "case.conclusion-period-changed",
    producers=("referral",),
    consumers=(OVERSIGHT_LEDGER,),
    summary="REF-09: the handling party suspended, resumed or extended the conclusion period",
    accountability=True,
)
class CaseConclusionPeriodChanged(IntegrationEvent):
    """REF-09: the party handling a referred case suspended (中止) its conclusion period, resumed
    it, or extended (延长) it — each with a reason, and a suspension or an extension with the
    law and article that allow it. While suspended the clock stands still (up to the longest
    suspension the settings allow); resuming restarts it with the days that were left; an
    extension moves the deadline by at most the days the settings allow. Oversight counts
    them per organisation."""

    referral_id: uuid.UUID
    handler: str = Field(
        description="the organisation handling the case", examples=["dept:ecology-environment"]
    )
    sender: str = Field(description="the party that referred the case", examples=["town:lizhi"])
    case_number: str = Field(examples=["涪环罚立〔2024〕15号"])
    change: PeriodChange
    reason: str = Field(examples=["案件需等待司法鉴定结论，暂无法继续调查"])
    law: str | None = Field(
        default=None,
        description="the law allowing the suspension or extension, by its title (none on resuming)",
        examples=["《生态环境行政处罚办法》"],
    )
    article: str | None = Field(default=None, examples=["第五十八条"])
    days: int | None = Field(
        default=None,
        description="extended: the calendar days added; resumed: the working days the case "
        "stood suspended",
    )
    changed_at: datetime
    changed_by: str
    due_before: datetime = Field(description="the conclusion deadline before the change")
    due_at: datetime = Field(
        description="the conclusion deadline now (while suspended: the latest it can be, should "
        "the case stay suspended as long as the settings allow)"
    )
    suspensions: int = Field(ge=0, description="suspensions of this case so far")
    extensions: int = Field(ge=0, description="extensions of this case so far")


@event(
    "case.onward-referral-decided",
    producers=("referral",),
    consumers=(OVERSIGHT_LEDGER,),
    summary="REF-08: the district government released or barred a held referral",
    accountability=True,
)
class CaseOnwardReferralDecided(IntegrationEvent):
    """REF-08: the district government ruled on a referral held because it resembles a case
    its sender received and has not finished: a different case is released (and delivered:
    `case.referred` follows), an onward referral in disguise is barred and the case stays
    with the party that received it. Oversight counts it against the sender."""

    referral_id: uuid.UUID
    sender: str = Field(description="the organisation that sent it", examples=["town:lizhi"])
    receiver: str = Field(description="the receiver it was addressed to")
    decision: OnwardDecision
    reason: str = Field(examples=["与所收案件当事人、事实均不同，系另案"])
    decided_by: str = Field(description="the person who signed for the district government")
    held_at: datetime = Field(description="when it was held for the district government")
    decided_at: datetime
