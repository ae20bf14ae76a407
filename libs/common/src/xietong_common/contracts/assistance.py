"""Events of the enforcement-assistance mechanism 执法协助 (二(二), ASSIST-01..ASSIST-04).

A town (乡镇/街道) that cannot achieve its administrative purpose alone asks a district
enforcement department for assistance; within its powers the department must assist and may
not shirk or obstruct (不得推诿、刁难); where assisting is forbidden by law or outside its
powers it says so promptly, with its reasons. Every event is keyed by the request id, so one
request's events arrive in order; refusals, missed deadlines and obstruction flags are what
oversight (三(四)) reads.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from xietong_common.contracts.base import ContractModel, IntegrationEvent, event
from xietong_common.labels import LabelledEnum

OVERSIGHT = "oversight (SUP, planned)"
OVERSIGHT_LEDGER = "oversight (SUP-01/02)"  # read into its ledger


class AssistanceGround(LabelledEnum):
    """ASSIST-01: the four grounds on which a town may ask for assistance (二(二) 1.–4.)."""

    OWN_INVESTIGATION_INSUFFICIENT = (
        "own-investigation-insufficient",
        "通过自行调查不能取得所需案件材料",
        "the materials cannot be obtained by the town's own investigation",
    )
    HELD_BY_ANOTHER_AGENCY = (
        "held-by-another-agency",
        "所需案件材料为其他行政执法机关所掌握，难以自行收集",
        "the materials are held by another enforcement agency and are hard to collect",
    )
    TECHNICAL_SUPPORT = (
        "technical-support",
        "认定违法行为需要鉴定、检验、检测等技术支持",
        "establishing the violation needs appraisal, inspection or testing support",
    )
    OTHER = "other", "其他需要行政执法协助的情形", "other (described in the request)"


class RefusalGround(LabelledEnum):
    """ASSIST-03: the only two grounds on which a department may decline to assist."""

    FORBIDDEN_BY_LAW = (
        "forbidden-by-law",
        "法律、法规、规章等明确禁止",
        "expressly forbidden by law, regulation or rule",
    )
    OUTSIDE_POWERS = "outside-powers", "不属于本机关职权范围", "outside the department's powers"


class RulingDecision(LabelledEnum):
    """ASSIST-03: the justice bureau's ruling on a refusal of an owned matter, or a contested
    refusal."""

    UPHELD = "upheld", "拒绝理由成立", "the refusal is upheld"
    NOT_UPHELD = "not-upheld", "拒绝理由不成立", "the refusal is not upheld"


class ResultKind(LabelledEnum):
    """ASSIST-02: what the department delivers to the town."""

    MATERIALS = "materials", "案件材料", "case materials"
    APPRAISAL = "appraisal", "鉴定意见", "appraisal opinion"
    INSPECTION = "inspection", "检验报告", "inspection report"
    TESTING = "testing", "检测报告", "test report"
    OTHER = "other", "其他协助结果", "other result"


class ObstructionKind(LabelledEnum):
    """ASSIST-02: what a department may not do (不得推诿、刁难)."""

    SHIRKING = "shirking", "推诿", "shirking (passing the request off)"
    OBSTRUCTION = "obstruction", "刁难", "obstruction (making difficulties)"


class CaseKind(LabelledEnum):
    """ASSIST-01: the mechanism whose case the request belongs to."""

    REFERRAL = "referral", "案件移送", "case referral"
    REVIEW = "review", "法制审核", "legal review"
    INSPECTION = "inspection", "综合查一次", "joint inspection"


class CaseRef(ContractModel):
    """The case (in another mechanism) the assistance is for."""

    kind: CaseKind
    id: str = Field(description="the id in that mechanism", examples=["0b9c6f4e-…"])


class AssignedOfficer(ContractModel):
    """ASSIST-02: an officer the department named; a seconded one was SEC-04-eligible."""

    name: str = Field(examples=["张三"])
    certificate_number: str = Field(description="执法证号", examples=["50010220240001"])
    seconded: bool = Field(description="a seconded officer (下沉人员) on a secondment roster")
    officer_id: str | None = Field(default=None, description="roster id of a seconded officer")
    team_id: str | None = Field(default=None, description="his secondment team")


@event(
    "assistance.requested",
    producers=("assistance",),
    consumers=(OVERSIGHT,),
    summary="ASSIST-01: a town asked a district department for assistance",
)
class AssistanceRequested(IntegrationEvent):
    """ASSIST-01: a town asked a district department for enforcement assistance; the
    department owes its answer by `respond_due_at` (ASSIST-04)."""

    request_id: str = Field(description="id of the assistance request")
    town: str = Field(description="the town that asked", examples=["town:lizhi"])
    department: str = Field(
        description="the department asked", examples=["dept:ecology-environment"]
    )
    proposed_department: str = Field(
        description="the department whose powers cover the matter (matter catalogue)",
        examples=["dept:ecology-environment"],
    )
    within_powers: bool = Field(
        description="the catalogue puts the matter within the department's powers"
    )
    matter_code: str = Field(description="the matter of the town's case", examples=["ENV-002"])
    ground: AssistanceGround = Field(description="ASSIST-01: one of the four grounds")
    ground_description: str | None = Field(default=None, description="required for `other`")
    needed: str = Field(description="what the town needs", examples=["请协助对焚烧残留物取样检测"])
    materials_holder: str | None = Field(
        default=None,
        description="ASSIST-02, ground 2 (materials held by another agency): the agency named "
        "as holding them, whose powers the request is judged by (none on the other grounds, "
        "and in events before 2026-12: still version 1, the field is optional)",
        examples=["dept:traffic-police"],
    )
    case: CaseRef | None = Field(default=None, description="the case it belongs to, if any")
    urgent: bool = Field(description="ASSIST-04: answered within hours")
    needed_by: date | None = Field(default=None, description="when the town needs it by")
    attachments: int = Field(ge=0, description="files the town attached")
    submitted_at: datetime = Field(description="ASSIST-04 counts from here")
    respond_due_at: datetime = Field(description="ASSIST-04: the department answers by then")
    respond_due_provisional: bool = Field(
        description="the due date lies in a year whose holiday schedule is not yet known"
    )


@event(
    "assistance.accepted",
    producers=("assistance",),
    consumers=(OVERSIGHT,),
    summary="ASSIST-02: the department accepted, named its officers and the completion date",
)
class AssistanceAccepted(IntegrationEvent):
    """ASSIST-02: the department accepted the request, named the officer(s) and agreed a
    completion date (tracked: a completion after it is a breach)."""

    request_id: str = Field(description="id of the assistance request")
    town: str = Field(description="the town that asked", examples=["town:lizhi"])
    department: str = Field(
        description="the department asked", examples=["dept:ecology-environment"]
    )
    officers: list[AssignedOfficer] = Field(description="the officers named (at least one)")
    agreed_completion_date: date = Field(description="the result is due by 24:00 China time")
    complete_due_at: datetime = Field(description="24:00 China time of the agreed date")
    later_than_needed: bool = Field(description="the agreed date is after the town's `needed_by`")
    accepted_at: datetime
    late: bool = Field(description="answered after the ASSIST-04 response deadline")


@event(
    "assistance.refused",
    producers=("assistance",),
    consumers=(OVERSIGHT_LEDGER,),
    summary="ASSIST-03: the department refused, with its legal ground and written reasons",
    accountability=True,
)
class AssistanceRefused(IntegrationEvent):
    """ASSIST-03: the department declined: forbidden by law (law and article named) or outside
    its powers (never for a matter the catalogue puts within them). For oversight (三(四))."""

    request_id: str = Field(description="id of the assistance request")
    town: str = Field(description="the town that asked", examples=["town:lizhi"])
    department: str = Field(description="the department asked", examples=["dept:water"])
    matter_code: str = Field(description="the matter of the town's case", examples=["ENV-002"])
    proposed_department: str = Field(description="the department the catalogue names")
    ground: RefusalGround = Field(description="ASSIST-03: the legal ground")
    law: str | None = Field(default=None, examples=["《中华人民共和国保守国家秘密法》"])
    article: str | None = Field(default=None, examples=["第二十八条"])
    reason: str = Field(examples=["所需材料属于国家秘密，依法不得提供"])
    after_acceptance: bool = Field(description="refused after having accepted")
    refused_at: datetime
    late: bool = Field(description="told after the ASSIST-04 response deadline")
    owned_matter: bool | None = Field(
        default=None,
        description="ASSIST-03: the catalogue assigns the matter to the refusing department "
        "(counted apart, and ruled on by the justice bureau); absent from earlier events",
    )


@event(
    "assistance.delivered",
    producers=("assistance",),
    consumers=(OVERSIGHT,),
    summary="ASSIST-02: the department delivered its result; the town is to confirm it",
)
class AssistanceDelivered(IntegrationEvent):
    """ASSIST-02: the department delivered the result (materials, appraisal, test report)
    through the service; the town downloads it and confirms or returns it."""

    request_id: str = Field(description="id of the assistance request")
    town: str = Field(description="the town that asked", examples=["town:lizhi"])
    department: str = Field(
        description="the department asked", examples=["dept:ecology-environment"]
    )
    result_kind: ResultKind = Field(description="materials, appraisal, inspection or test report")
    summary: str = Field(description="what the department did and found")
    results: int = Field(ge=0, description="result files delivered")
    delivered_at: datetime
    late: bool = Field(description="delivered after the agreed completion date")


@event(
    "assistance.completed",
    producers=("assistance",),
    consumers=(OVERSIGHT,),
    summary="ASSIST-02: the town confirmed the result; the assistance is complete",
)
class AssistanceCompleted(IntegrationEvent):
    """ASSIST-02: the town confirmed it received the result; the assistance is complete."""

    request_id: str = Field(description="id of the assistance request")
    town: str = Field(description="the town that asked", examples=["town:lizhi"])
    department: str = Field(
        description="the department asked", examples=["dept:ecology-environment"]
    )
    result_kind: ResultKind = Field(description="materials, appraisal, inspection or test report")
    accepted_at: datetime
    delivered_at: datetime
    confirmed_at: datetime
    agreed_completion_date: date
    late: bool = Field(description="delivered after the agreed completion date")
    extensions: int = Field(ge=0, description="completion dates moved by agreement")
    returns: int = Field(ge=0, description="deliveries the town returned as not answering")


@event(
    "assistance.extended",
    producers=("assistance",),
    consumers=(OVERSIGHT,),
    summary="ASSIST-04: the town agreed to move the completion date",
)
class AssistanceExtended(IntegrationEvent):
    """ASSIST-04: the town agreed to the department's request to move the completion date
    (a bounded number of times, each within the longest completion period)."""

    request_id: str = Field(description="id of the assistance request")
    town: str = Field(description="the town that asked", examples=["town:lizhi"])
    department: str = Field(
        description="the department asked", examples=["dept:ecology-environment"]
    )
    previous_date: date = Field(description="the completion date before")
    agreed_completion_date: date
    reason: str = Field(description="the department's reason for the extension")
    extension: int = Field(ge=1, description="the how-many-th agreed extension")
    agreed_at: datetime


@event(
    "assistance.withdrawn",
    producers=("assistance",),
    consumers=(OVERSIGHT,),
    summary="ASSIST-01: the town withdrew its request",
)
class AssistanceWithdrawn(IntegrationEvent):
    """ASSIST-01: the town withdrew its request; what the department owed is closed (a
    deadline already missed stays recorded as a breach)."""

    request_id: str = Field(description="id of the assistance request")
    town: str = Field(description="the town that asked", examples=["town:lizhi"])
    department: str = Field(
        description="the department asked", examples=["dept:ecology-environment"]
    )
    state: str = Field(description="the state it was withdrawn from", examples=["accepted"])
    reason: str = Field(description="why the town withdrew")
    withdrawn_at: datetime


@event(
    "assistance.obstruction-flagged",
    producers=("assistance",),
    consumers=(OVERSIGHT_LEDGER,),
    summary="ASSIST-02: a town flagged shirking or obstruction (推诿、刁难) for oversight",
    accountability=True,
)
class AssistanceObstructionFlagged(IntegrationEvent):
    """ASSIST-02/三(四): the town reports that the department shirked or obstructed
    (推诿、刁难), with its reason; recorded for oversight, it changes nothing else."""

    request_id: str = Field(description="id of the assistance request")
    flag_id: str = Field(description="id of the flag")
    town: str = Field(description="the town that asked", examples=["town:lizhi"])
    department: str = Field(
        description="the department asked", examples=["dept:ecology-environment"]
    )
    kind: ObstructionKind = Field(description="推诿 shirking or 刁难 obstruction")
    reason: str = Field(examples=["多次电话催办均称无人手，拖延不予答复"])
    state: str = Field(description="the request's state when flagged", examples=["requested"])
    flagged_at: datetime


@event(
    "assistance.refusal-contested",
    producers=("assistance",),
    consumers=(OVERSIGHT_LEDGER,),
    summary="ASSIST-03: the requesting town contested a refusal, for the justice bureau's ruling",
)
class AssistanceRefusalContested(IntegrationEvent):
    """ASSIST-03: the town that asked contests the department's refusal, with its reason; the
    refusal joins the justice bureau's queue of refusals to rule on."""

    request_id: str = Field(description="id of the assistance request")
    town: str = Field(description="the town that asked", examples=["town:lizhi"])
    department: str = Field(description="the department that refused", examples=["dept:water"])
    matter_code: str = Field(description="the matter of the town's case", examples=["ENV-002"])
    ground: RefusalGround = Field(description="the refusal's legal ground")
    owned_matter: bool = Field(description="the catalogue assigns the matter to the department")
    reason: str = Field(examples=["所引条款不禁止提供监测数据，拒绝协助没有法律依据"])
    contested_at: datetime


@event(
    "assistance.refusal-ruled",
    producers=("assistance",),
    consumers=(OVERSIGHT_LEDGER,),
    summary="ASSIST-03: the justice bureau ruled on a refusal (upheld or not upheld)",
)
class AssistanceRefusalRuled(IntegrationEvent):
    """ASSIST-03: the justice bureau ruled on a refusal of a matter the catalogue assigns to
    the refusing department, or on a refusal the town contested: upheld or not upheld, with
    its reason."""

    request_id: str = Field(description="id of the assistance request")
    town: str = Field(description="the town that asked", examples=["town:lizhi"])
    department: str = Field(description="the department that refused", examples=["dept:water"])
    matter_code: str = Field(description="the matter of the town's case", examples=["ENV-002"])
    ground: RefusalGround = Field(description="the refusal's legal ground")
    owned_matter: bool = Field(description="the catalogue assigns the matter to the department")
    contested: bool = Field(description="the town contested the refusal")
    decision: RulingDecision = Field(description="upheld or not upheld")
    reason: str = Field(examples=["所引条款规定的是定密程序，并不禁止向执法机关提供监测数据"])
    ruled_at: datetime
