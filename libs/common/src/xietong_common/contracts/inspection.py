"""Events of the joint-inspection mechanism 综合查一次 (二(五), INSP-01..INSP-09).

`inspection.finding` (consumed by referral), `inspection.closed` (consumed by info sharing)
and `inspection.review-requested` (consumed by legal review) only ever gain optional fields,
so older consumers keep working.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from xietong_common.contracts.base import ContractModel, IntegrationEvent, event
from xietong_common.contracts.review import CaseParty
from xietong_common.labels import LabelledEnum

OVERSIGHT_LEDGER = "oversight (SUP-01/02)"  # read into its ledger


class FindingOutcome(LabelledEnum):
    """INSP-08: what an inspection found at a target."""

    NO_PROBLEM = "no-problem", "未发现问题"
    GUIDANCE = "guidance", "发现问题但不构成违法(行政指导)", "a problem, not a violation (guidance)"
    VIOLATION = "violation", "发现违法行为"
    SERIOUS = (
        "serious",
        "行业性、区域性严重违法或重大隐患",
        "serious industry-wide or regional violation, or major hazard",
    )


class SeriousScope(LabelledEnum):
    """INSP-08: why a finding is serious (行业性、区域性严重违法行为和重大隐患)."""

    INDUSTRY_WIDE = "industry-wide", "行业性严重违法行为", "serious industry-wide violation"
    REGIONAL = "regional", "区域性严重违法行为", "serious regional violation"
    MAJOR_HAZARD = "major-hazard", "重大隐患", "major hazard"


class ReviewTriggerResult(ContractModel):
    """REV-01: one trigger that applies to the proposed decision, and why."""

    trigger: str = Field(examples=["amount"])
    label_zh: str = Field(examples=["罚款或没收数额达到法定标准"])
    reason: str


@event(
    "inspection.finding", producers=("joint-inspection",), consumers=("referral", "info-sharing")
)
class InspectionFindingRecorded(IntegrationEvent):
    """INSP-07/08: a violation found at one target of an inspection work order.

    `within_jurisdiction` False: the party with jurisdiction is not among the inspection's
    participants, so `inspecting_org` (the town where it happened) refers it (REF-01); the
    referral service drafts the referral. True: `handling_org` starts its own penalty
    procedure, with the REV-01 trigger check attached (`review_required`, `review_triggers`).
    """

    inspection_id: str
    finding_id: str
    inspecting_org: str = Field(examples=["town:lizhi"])
    outcome: FindingOutcome
    matter_code: str | None = None
    place_town: str = Field(examples=["town:lizhi"])
    found_at: datetime
    description: str
    target: CaseParty | None = None
    within_jurisdiction: bool = Field(
        description="False when the violation is outside the inspecting party's jurisdiction (REF-01)"
    )
    order_number: str | None = Field(default=None, examples=["荔枝街道综查〔2024〕7号"])
    target_id: str | None = Field(default=None, description="the target in the inspection register")
    handling_org: str | None = Field(
        default=None,
        description="the participant with jurisdiction that starts the penalty procedure "
        "(within jurisdiction), or the party with jurisdiction a referral goes to",
    )
    review_required: bool | None = Field(
        default=None,
        description="REV-01: the proposed decision needs legal review first (None: not assessed, "
        "the violation is outside jurisdiction)",
    )
    review_triggers: list[ReviewTriggerResult] = Field(default_factory=list)
    serious_scope: SeriousScope | None = None


@event(
    "inspection.review-requested",
    producers=("joint-inspection",),
    consumers=("legal-review",),
)
class InspectionReviewRequested(IntegrationEvent):
    """INSP-08/REV-01: a violation found within jurisdiction whose proposed decision needs
    legal review before it is decided: the legal-review service keeps it as a review request
    of `handling_org`, fulfilled when that town's brigade submits the review naming it.

    二(四) makes the legal review of major decisions a town's duty, reviewed by the town's own
    review body (with its 司法所, REV-09): the request goes out when the party that handles the
    violation is the town. The inspection's loop at the target waits for `review.decided`
    naming `finding_id` (INSP-07)."""

    inspection_id: str = Field(description="the inspection work order")
    order_number: str | None = Field(default=None, examples=["荔枝街道综查〔2024〕7号"])
    finding_id: str = Field(description="the finding (also in `inspection.finding`)")
    visit_id: str = Field(description="the visit at the target whose outcome it is")
    target_id: str = Field(description="the target in the inspection register")
    handling_org: str = Field(
        description="the town that handles the violation and submits its proposed decision "
        "for review (REV-04); its review body reviews it",
        examples=["town:lizhi"],
    )
    place_town: str = Field(
        description="town where the violation was found", examples=["town:lizhi"]
    )
    matter_code: str = Field(description="the matter violated", examples=["FIR-001"])
    matters_checked: list[str] = Field(
        default_factory=list,
        description="the matters checked at the target",
        examples=[["FIR-001", "WAT-001"]],
    )
    found_at: datetime = Field(description="when the violation was found (the visit)")
    description: str = Field(description="what was found", examples=["安全出口堵塞"])
    handling: str | None = Field(
        default=None, description="how the town handles it", examples=["责令改正，拟立案处罚"]
    )
    target: CaseParty = Field(
        description="the party: a citizen's identity number masked, as in every event"
    )
    triggers: list[ReviewTriggerResult] = Field(
        min_length=1, description="the REV-01 triggers the proposed decision hits"
    )
    requested_at: datetime = Field(description="when the outcome was recorded")


class ClosedTarget(ContractModel):
    """INSP-07/08: one inspected target of a closed work order and what came of it."""

    target_id: str
    name: str = Field(examples=["某某餐饮有限公司"])
    credit_code: str | None = Field(
        default=None, description="unified social credit code of an enterprise target"
    )
    town: str = Field(examples=["town:lizhi"])
    outcome: FindingOutcome
    summary: str = Field(description="what was found and how it was handled")
    inspected_at: datetime | None = None
    feedback: str | None = Field(default=None, description="INSP-07: the result feedback")


@event("inspection.closed", producers=("joint-inspection",), consumers=("info-sharing",))
class InspectionClosed(IntegrationEvent):
    """INSP-07: a work order closed and was archived (立卷归档).

    Every target has an outcome and feedback. INFO-04: a department's inspection record
    (category 3)."""

    inspection_id: str
    order_number: str = Field(examples=["涪荔综查〔2024〕7号"])
    initiating_org: str = Field(examples=["dept:urban-management"])
    participants: list[str] = Field(
        description="every organisation that took part (the town's brigade, departments)"
    )
    scenario: str | None = Field(default=None, description="应用场景 of the plan, if any")
    matter_codes: list[str] = Field(default_factory=list)
    towns: list[str] = Field(default_factory=list)
    targets: list[ClosedTarget]
    closed_at: datetime
    archive_digest: str | None = Field(
        default=None, description="SHA-256 of the archived record's manifest (立卷归档)"
    )


class PlanRuleOut(ContractModel):
    """INSP-01: frequency and proportion for one type of target or supervision level."""

    value: str | None = Field(description="the industry or level; None: every other target")
    frequency: int = Field(description="inspection rounds in the plan's period")
    proportion: Decimal = Field(description="percent of the group's targets drawn per round")


@event("inspection.planned", producers=("joint-inspection",))
class InspectionPlanned(IntegrationEvent):
    """INSP-01: a town adopted an inspection plan for an application scenario (应用场景)."""

    plan_id: str
    town: str = Field(examples=["town:lizhi"])
    scenario: str = Field(examples=["沿街餐饮店综合查一次"])
    title: str
    period_start: date
    period_end: date
    basis: str = Field(description="industry | level: what the rules are set by")
    rules: list[PlanRuleOut]
    clean_proportion: Decimal = Field(
        description="INSP-02: percent of 守法诚信 targets still drawn (无事不扰 beyond it)"
    )
    matter_codes: list[str]
    adopted_at: datetime


class DrawnTarget(ContractModel):
    """INSP-02: one target a draw picked: an enterprise by its credit code, a person only by
    the masked number."""

    target_id: str
    name: str = Field(examples=["某某餐饮有限公司"])
    kind: str = Field(examples=["legal-person"])
    id_number: str | None = Field(
        default=None, description="credit code of an organisation; a person's masked number"
    )
    rule_position: int
    rank: int


@event("inspection.selection-drawn", producers=("joint-inspection",), consumers=("info-sharing",))
class InspectionSelectionDrawn(IntegrationEvent):
    """INSP-02: a plan round was drawn (双随机一公开): the seed revealed, the commitment and the
    snapshot digest published before the draw, and the targets drawn.

    With the draw's export (`GET /selections/{id}/export.json`), anyone recomputes the list
    with the reference rule alone: sha256(seed) is `seed_commitment`, the snapshot hashes to
    `snapshot_digest`, the rule over it gives `digest`. INFO-04: information sharing makes it
    a published category 3 item (the town its publisher); `targets` lists at most the first
    1000 drawn (`drawn` counts them all)."""

    plan_id: str
    selection_id: str
    town: str = Field(examples=["town:lizhi"])
    scenario: str = Field(examples=["沿街餐饮店综合查一次"])
    plan_title: str
    round: int
    matter_codes: list[str]
    algorithm: str = Field(examples=["insp-02/md5-priority-v1"])
    seed: str
    seed_commitment: str = Field(description="SHA-256 of the seed, audited before the draw")
    snapshot_digest: str = Field(description="SHA-256 of the register frozen before the draw")
    committed_at: datetime = Field(description="when the register was frozen")
    candidates: int
    drawn: int
    digest: str = Field(description="SHA-256 of the drawn targets in rank order")
    drawn_at: datetime
    targets: list[DrawnTarget]


@event("inspection.order-issued", producers=("joint-inspection",))
class InspectionOrderIssued(IntegrationEvent):
    """INSP-03: a task work order (检查任务工单) was issued.

    Its targets, number, method and inspectors are fixed; seconded officers are under the
    town's command. An order not announced to its targets in advance (INSP-06:
    `advance_notice` false) is published when its first visit is made, not when it is
    issued: its planned times never reach integrators before the visit."""

    inspection_id: str
    order_number: str
    initiating_org: str
    town: str
    participants: list[str]
    matter_codes: list[str]
    method: str = Field(examples=["on-site"])
    planned_start: datetime
    planned_end: datetime
    target_count: int
    inspector_count: int
    advance_notice: bool = Field(
        description="INSP-06: False when the order is not to be announced in advance"
    )
    plan_id: str | None = None
    issued_at: datetime


@event(
    "inspection.serious-reported",
    producers=("joint-inspection",),
    consumers=(OVERSIGHT_LEDGER,),
    accountability=True,
)
class InspectionSeriousReported(IntegrationEvent):
    """INSP-08: a serious violation or major hazard was reported to the district government.

    A serious industry-wide or regional violation, or a major hazard: the initiating unit
    notified the competent authority and reports to the district government."""

    inspection_id: str
    order_number: str
    finding_id: str
    initiating_org: str
    reported_to: str = Field(default="district-gov")
    town: str
    scope: SeriousScope
    matter_code: str | None = None
    description: str
    report: str = Field(description="the report to the district government")
    competent_authority: str = Field(
        description="the competent authority notified (an organisation code or its name)"
    )
    authority_notified_at: datetime
    target: CaseParty | None = None
    found_at: datetime
    reported_at: datetime
    due_at: datetime = Field(description="when the report was due ('promptly', a setting)")
    late: bool


@event(
    "inspection.support-refused",
    producers=("joint-inspection",),
    consumers=(OVERSIGHT_LEDGER,),
    summary="INSP-03: a department asked to support an inspection refused, with its reason",
    accountability=True,
)
class InspectionSupportRefused(IntegrationEvent):
    """INSP-03: a department asked to support a joint inspection (其他部门配合) answered no,
    with its reason. Oversight (三(四)) counts it as a refusal against the department."""

    inspection_id: str = Field(description="id of the work order")
    order_number: str | None = Field(default=None, description="none before it is issued")
    request_id: str = Field(description="id of the support request")
    department: str = Field(description="the department asked", examples=["dept:water"])
    initiating_org: str = Field(description="the unit that started the inspection")
    town: str = Field(description="the town where the targets are", examples=["town:lizhi"])
    request: str = Field(description="what support was asked for")
    reason: str = Field(description="the department's reason for refusing")
    requested_at: datetime
    refused_at: datetime
    late: bool = Field(description="answered after the INSP-03 answer deadline")


@event("inspection.shortcoming-reported", producers=("joint-inspection",))
class InspectionShortcomingReported(IntegrationEvent):
    """INSP-09: a shortcoming of government services was sent to the departments concerned.

    Found on site during an inspection; each department concerned acknowledges it."""

    shortcoming_id: str
    inspection_id: str
    order_number: str
    reporting_org: str
    departments: list[str]
    town: str
    description: str
    suggestion: str | None = None
    reported_at: datetime
    acknowledge_by: datetime


@event("inspection.fed-back", producers=("joint-inspection",))
class InspectionFedBack(IntegrationEvent):
    """INSP-07: the result of the inspection at one target was fed back (结果反馈).

    Delivered to the target's record and to the departments concerned (`recipients`: the
    town, the initiating unit, the owners of the matters checked, the party that handles a
    violation). A violation that went to a referral or a legal review is fed back only once
    that returned (`loop_result`)."""

    inspection_id: str
    order_number: str
    visit_id: str
    target_id: str
    target: CaseParty
    town: str = Field(examples=["town:lizhi"])
    outcome: FindingOutcome
    finding_id: str | None = None
    feedback: str = Field(description="the result fed back, in words")
    recipients: list[str] = Field(
        description="the organisations the feedback is delivered to",
        examples=[["dept:fire-rescue", "town:lizhi"]],
    )
    loop_result: str | None = Field(
        default=None,
        description="what the referral or review the finding started returned (filed, "
        "concluded, decided), when it started one",
    )
    fed_back_at: datetime
