"""Response bodies of the joint inspection API, read from the rows (`View.of`): every field
the row has by name; codes shown with their Chinese and English names (`labelled`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field

from joint_inspection.domain import (
    AdjustmentKind,
    InspectionMethod,
    InspectorKind,
    MaterialKind,
    MergeState,
    NoticePolicy,
    OrderState,
    ParticipantRole,
    PlanBasis,
    PlanState,
    SignalKind,
    SupervisionLevel,
    VisitState,
)
from joint_inspection.domain.loop import Awaits, StalemateDecision
from xietong_common import materials
from xietong_common.contracts.inspection import FindingOutcome, SeriousScope
from xietong_common.documents.schemas import DocumentOut
from xietong_common.parties import PartyKind
from xietong_common.schemas import Label, View, labelled
from xietong_common.timeline import DeadlineOut as DeadlineOut
from xietong_common.timeline import TimelineEntry as TimelineEntry


class StateOut(Label):
    """A state or kind with its Chinese and English names."""


# ---- the register (INSP-02) ---------------------------------------------------------------------


class TargetOut(View):
    """A target as lists show it; a person's number only masked."""

    id: uuid.UUID
    name: str
    party_kind: Annotated[StateOut, labelled(PartyKind)]
    credit_code: str | None
    identity_masked: str | None
    industry: str
    supervision_level: Annotated[StateOut, labelled(SupervisionLevel)]
    town: str
    address: str | None
    supervised_since: date
    active: bool
    version: int
    risk: int = Field(description="INSP-02: the weights of the signals in the risk window")
    law_abiding: bool = Field(description="INSP-02 守法诚信: a clean record for the set period")
    created_at: datetime


class SignalOut(View):
    id: uuid.UUID
    target_id: uuid.UUID
    kind: Annotated[StateOut, labelled(SignalKind)]
    source: str
    observed_on: date
    weight: int
    description: str
    from_visit: uuid.UUID | None
    recorded_at: datetime
    recorded_by_org: str
    withdrawn_at: datetime | None
    withdrawn_reason: str | None


class ImportOut(BaseModel):
    """An import: every row registered, or none (all-or-nothing)."""

    imported: int
    target_ids: list[uuid.UUID]


# ---- plans and draws (INSP-01, INSP-02) ---------------------------------------------------------


class RuleOut(View):
    position: int
    value: str | None
    frequency: int
    proportion: Decimal


class PlanOut(View):
    id: uuid.UUID
    town: str
    title: str
    scenario: str
    scenario_code: str | None = Field(default=None, description="INSP-01: the catalogue scenario")
    scenario_industries: list[str] | None = Field(
        default=None, description="INSP-01: the industries of the scenario's targets: the pool"
    )
    checklist: list[dict[str, Any]] | None = Field(
        default=None, description="INSP-01: the scenario's checklist (一张检查单)"
    )
    period_start: date
    period_end: date
    basis: Annotated[StateOut, labelled(PlanBasis)]
    rules: list[RuleOut]
    clean_proportion: Decimal
    targeting_threshold: int | None
    matter_codes: list[str]
    notes: str | None
    state: Annotated[StateOut, labelled(PlanState)]
    created_at: datetime
    adopted_at: datetime | None


class ScenarioOut(BaseModel):
    """INSP-01: an application scenario of the catalogue (an operator data file)."""

    code: str
    name_zh: str
    departments: list[str]
    matter_codes: list[str]
    industries: list[str] = Field(description="the industries of the targets in its pool")
    checklist: list[dict[str, Any]] = Field(description="一张检查单: code and item_zh of each")


class AdjustmentOut(View):
    id: uuid.UUID
    plan_id: uuid.UUID
    kind: Annotated[StateOut, labelled(AdjustmentKind)]
    signal_id: uuid.UUID | None
    target_id: uuid.UUID | None
    rule_position: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str
    made_at: datetime
    made_by: str


class CommitmentOut(View):
    """INSP-02: a committed round: the register frozen (its digest) and the SHA-256 of the
    seed the round's draw will reveal (the seed itself is not shown until then)."""

    plan_id: uuid.UUID
    round: int
    seed_commitment: str = Field(description="SHA-256 of the seed, in the audit chain")
    snapshot_digest: str = Field(description="`domain.selection.snapshot_digest` of the snapshot")
    snapshot_header: dict[str, Any]
    candidates: int
    committed_at: datetime
    committed_by: str
    late: bool = Field(
        description="committed by its town after the plan was adopted (a plan adopted before "
        "rounds were committed, or one that named no catalogue scenario), not at adoption or "
        "at the draw before"
    )


class SelectionOut(View):
    """INSP-02: a recorded draw: seed, algorithm, inputs and what came of it."""

    id: uuid.UUID
    plan_id: uuid.UUID
    round: int
    seed: str
    algorithm: str
    parameters: dict[str, Any]
    drawn_at: datetime
    drawn_by: str
    candidates: int
    drawn: int
    digest: str = Field(description="SHA-256 of the drawn targets in rank order")
    seed_commitment: str | None = Field(
        default=None,
        description="INSP-02: SHA-256 of the seed, in the audit chain since the round was "
        "committed (None: a draw made before rounds were committed)",
    )
    register_changes: dict[str, Any] | None = Field(
        default=None,
        description="INSP-02: targets added, removed, re-levelled or re-scored (only their "
        "risk or 守法诚信 status changed) in the register between the snapshot the draw used "
        "and the draw (counts, and the targets with their level, industry, risk and clean "
        "status before and after)",
    )


class EntryOut(View):
    """One candidate of a draw, with why it was or was not drawn."""

    target_id: uuid.UUID
    target_name: str
    rule_position: int
    risk: int
    law_abiding: bool
    tier: int = Field(description="0 added by a signal, 1 risk over the threshold, 2 drawn by lot")
    draw_key: int
    rank: int
    drawn: bool
    order_id: uuid.UUID | None
    dropped_reason: str | None = Field(
        description="INSP-02: why a drawn target was dropped from its work order"
    )
    dropped_at: datetime | None


class SnapshotEntryOut(BaseModel):
    """INSP-02: one target as the register was frozen for the round
    (`domain.selection.SnapshotEntry`; its canonical JSON line is what the digest hashes)."""

    target_id: str
    industry: str
    level: str = Field(description="the supervision (credit-risk) level, a..d")
    watched_since: str = Field(description="max(supervised_since, the day it was registered)")
    risk: int = Field(description="the signals' weight within the risk window")
    recent_signal: bool = Field(description="a signal within the clean-record period")
    clean: bool = Field(description="守法诚信 (`domain.selection.is_clean`)")


class ExportEntryOut(BaseModel):
    """One target of the snapshot and, if a plan rule covered it in the round, its place."""

    target_id: str
    snapshot: SnapshotEntryOut
    rule_position: int | None
    tier: int | None
    draw_key: int | None
    rank: int | None
    drawn: bool


class SelectionExportOut(BaseModel):
    """INSP-02: everything an outsider needs to recompute a draw with the reference rule
    (`domain.selection`) alone: check sha256(seed) == seed_commitment, snapshot_digest over
    (snapshot_header, every entry's snapshot), then `draw(candidates_of(...))`."""

    selection_id: uuid.UUID
    plan_id: uuid.UUID
    round: int
    algorithm: str
    seed: str
    seed_commitment: str
    snapshot_digest: str
    snapshot_header: dict[str, Any]
    rules: list[dict[str, Any]] = Field(description="the plan's rules at the draw")
    clean_proportion: str
    targeting_threshold: int | None
    adjusted: list[str] = Field(description="targets a recorded adjustment forced into the draw")
    candidates: int
    drawn: int
    digest: str
    drawn_at: datetime
    entries: list[ExportEntryOut] = Field(description="every target of the snapshot, by id")


class ReportTargetOut(BaseModel):
    """One drawn target and where it stands."""

    target_id: uuid.UUID
    target_name: str
    rule_position: int
    rank: int
    status: str = Field(
        description="inspected | ordered (not yet inspected) | dropped | not-ordered"
    )
    order_id: uuid.UUID | None
    inspected_at: datetime | None
    dropped_reason: str | None
    dropped_at: datetime | None


class RoundReportOut(BaseModel):
    """INSP-02: a round's drawn-vs-inspected report for the justice bureau."""

    selection_id: uuid.UUID
    plan_id: uuid.UUID
    town: str
    round: int
    drawn: int
    inspected: int
    ordered: int = Field(description="in a work order, not inspected yet")
    dropped: int = Field(description="dropped from their work order, with the reason")
    in_no_order: int = Field(description="drawn and never put into a work order")
    not_yet_inspected: int = Field(description="drawn − inspected − dropped")
    targets: list[ReportTargetOut]


class RerunOut(BaseModel):
    """The draw re-run in the database as the register stood at the time of the draw."""

    selection_id: uuid.UUID
    seed: str
    recorded_seed: bool
    candidates: int
    drawn: int
    digest: str
    matches: bool = Field(description="the same candidates, keys, ranks and drawn targets")
    differences: list[dict[str, Any]] = Field(description="the first differences, if any")
    drawn_targets: list[uuid.UUID] = Field(
        description="the targets this run draws, in group and rank order (the first 500)"
    )


# ---- the closed loop at a target (INSP-06..INSP-08) ---------------------------------------------


class MaterialOut(materials.MaterialOut):
    """INSP-07: a record of the inspection, of the order or of one of its targets."""

    visit_id: uuid.UUID | None
    kind: Annotated[StateOut, labelled(MaterialKind)]
    title: str
    uploaded_by_org: str


class VisitOut(View):
    """One target of a work order and its closed loop."""

    id: uuid.UUID
    target_id: uuid.UUID
    target_name: str
    credit_code: str | None
    identity_masked: str | None
    origin: str
    state: Annotated[StateOut, labelled(VisitState)]
    notified_at: datetime | None
    notice_time: datetime | None
    notice_basis: str | None
    notice_method: str | None
    inspected_at: datetime | None
    inspector_ids: list[str] | None
    onsite_record: str | None
    checklist: list[dict[str, Any]] | None = Field(
        default=None, description="INSP-01: the scenario's checklist as answered, item by item"
    )
    repeat_of: uuid.UUID | None = Field(
        description="a visit to the same target by another party within the window (flagged)"
    )
    outcome: Annotated[StateOut | None, labelled(FindingOutcome)]
    description: str | None
    handling: str | None
    guidance: str | None
    matter_code: str | None
    within_jurisdiction: bool | None
    handling_org: str | None
    review_required: bool | None
    review_triggers: list[dict[str, Any]] | None
    serious_scope: Annotated[StateOut | None, labelled(SeriousScope)]
    competent_authority: str | None
    serious_reported_at: datetime | None
    serious_acknowledged_at: datetime | None = Field(
        description="INSP-08: the district government acknowledged the serious report"
    )
    serious_ack_response: str | None
    authority_acknowledged_at: datetime | None = Field(
        description="INSP-08: the competent authority acknowledged the notice"
    )
    authority_ack_response: str | None
    finding_id: uuid.UUID | None
    awaits: Annotated[StateOut | None, labelled(Awaits)] = Field(
        description="INSP-07: the referral or review the finding started; the feedback waits "
        "until it returned (`loop_returned_at`)"
    )
    referral_id: uuid.UUID | None = Field(description="the referral the finding became")
    loop_result: str | None = Field(description="what the referral or review returned")
    loop_returned_at: datetime | None
    feedback: str | None
    feedback_to: list[str] | None = Field(
        description="INSP-07: the organisations the feedback was delivered to"
    )
    fed_back_at: datetime | None
    merged_into: uuid.UUID | None
    materials: list[MaterialOut]


class TargetVisitOut(View):
    """One inspection of a target, as the target's history shows it."""

    visit_id: uuid.UUID
    order_id: uuid.UUID
    order_number: str | None
    initiating_org: str
    order_state: Annotated[StateOut, labelled(OrderState)]
    planned_start: datetime
    state: Annotated[StateOut, labelled(VisitState)]
    inspected_at: datetime | None
    outcome: Annotated[StateOut | None, labelled(FindingOutcome)]
    repeat_of: uuid.UUID | None
    merged_into: uuid.UUID | None
    feedback: str | None = Field(description="INSP-07: the result fed back to the target")
    feedback_to: list[str] | None
    fed_back_at: datetime | None


# ---- work orders (INSP-03..INSP-07) -------------------------------------------------------------


class ParticipantOut(View):
    org: str
    role: Annotated[StateOut, labelled(ParticipantRole)]
    instructions: str | None
    joined_at: datetime


class InspectorOut(View):
    id: uuid.UUID
    kind: Annotated[StateOut, labelled(InspectorKind)]
    officer_id: str
    name: str
    org: str
    certificate_number: str | None
    matter_codes: list[str]
    eligibility: list[dict[str, Any]] | None = Field(
        description="SEC-04: the roster check for each matter, with its reasons"
    )
    assigned_at: datetime


class InspectorDrawOut(View):
    """INSP-02 双随机: an order's inspector draw: the frozen pool, who was left out and why,
    the seed's commitment; once drawn, the seed, the ranked pool and who was drawn."""

    order_id: uuid.UUID
    count: int
    pool: list[str] = Field(description="the eligible officers the draw is made from (sorted)")
    excluded: list[dict[str, Any]] = Field(
        description="officers left out: recused (with the target and reason) or ineligible"
    )
    seed_commitment: str
    pool_digest: str = Field(description="`domain.selection.pool_digest` of the frozen pool")
    committed_at: datetime
    seed: str | None = Field(description="revealed by the draw")
    drawn_at: datetime | None
    ranked: list[dict[str, Any]] | None = Field(
        description="the pool in draw order (`domain.selection.rank_officers`), drawn or not"
    )
    drawn: list[str] | None = Field(description="the officers drawn, in draw order")


class SupportOut(View):
    id: uuid.UUID
    department: str
    request: str
    requested_at: datetime
    accepted: bool | None
    answer_reason: str | None
    answered_at: datetime | None


class OrderSummary(View):
    """A work order as lists show it."""

    id: uuid.UUID
    number: str | None
    title: str
    state: Annotated[StateOut, labelled(OrderState)]
    initiating_org: str
    town: str
    method: Annotated[StateOut, labelled(InspectionMethod)]
    matter_codes: list[str]
    planned_start: datetime
    planned_end: datetime
    targets: int
    next_due: DeadlineOut | None = None
    overdue: bool = False
    created_at: datetime


class PriorInspectionOut(BaseModel):
    """一次检查、结果互认: an inspection of one of the order's targets made within the window,
    with its result, so the next agency recognises it instead of knocking again."""

    target_id: uuid.UUID
    target_name: str
    visit_id: uuid.UUID
    order_id: uuid.UUID
    order_number: str | None
    org: str = Field(description="the unit that initiated that inspection")
    inspected_at: datetime
    outcome: Annotated[StateOut | None, labelled(FindingOutcome)]
    description: str | None
    handling: str | None
    guidance: str | None
    feedback: str | None


class EntryCountOut(BaseModel):
    """入企检查次数: visits made to a target in a calendar year, against the cap (a setting)."""

    target_id: uuid.UUID
    target_name: str
    town: str
    year: int
    entries: int
    cap: int
    over_cap: bool


class OrderOut(OrderSummary):
    """One work order with everything its participants may see."""

    plan_id: uuid.UUID | None
    selection_id: uuid.UUID | None
    scenario: str | None
    proposal: str | None
    brigade_tasks: str | None
    agreed_matters: list[str] | None = Field(
        description="INSP-04: the matters the town agreed; a merge's added matters wait here "
        "for the town, and no visit or outcome covers a matter outside them"
    )
    counter_proposal: str | None
    consulted_at: datetime | None
    notice_policy: Annotated[StateOut | None, labelled(NoticePolicy)]
    notice_exemption_reason: str | None
    instructing_authority: str | None
    notice_legal_basis: str | None = Field(
        description="INSP-06 依法不予公开: the law that forbids disclosure, by its title"
    )
    notice_instructing_document: str | None = Field(
        description="INSP-06 上级明确要求: the superior's instructing document (文号 or title)"
    )
    issued_at: datetime | None
    closed_at: datetime | None
    archive_digest: str | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    merged_into: uuid.UUID | None
    bureau_decision: Annotated[StateOut | None, labelled(StalemateDecision)] = Field(
        description="INSP-05: the justice bureau's decision where the town did not agree"
    )
    bureau_decision_reason: str | None
    bureau_decided_at: datetime | None
    participants: list[ParticipantOut]
    inspectors: list[InspectorOut]
    support_requests: list[SupportOut]
    visits: list[VisitOut]
    deadlines: list[DeadlineOut]
    documents: list[DocumentOut] = Field(
        description="official documents issued on the order and its targets (INSP-03/06/08), "
        "superseded ones too"
    )
    prior_inspections: list[PriorInspectionOut] = Field(
        default_factory=list,
        description="one visit instead of many: its targets' inspections by any unit within "
        "the window (a setting), with their results (一次检查、结果互认)",
    )
    entry_cap_reached: list[EntryCountOut] = Field(
        default_factory=list,
        description="its targets already visited this year as often as the cap allows (入企检查次数)",
    )


class ArchiveOut(BaseModel):
    """INSP-07: the archived record (立卷归档) and its digest."""

    order_id: uuid.UUID
    number: str | None
    closed_at: datetime
    digest: str
    manifest: dict[str, Any]


# ---- shortcomings (INSP-09); one visit instead of many ------------------------------------------


class AckOut(View):
    department: str
    acknowledged_at: datetime | None
    response: str | None


class ShortcomingOut(View):
    id: uuid.UUID
    order_id: uuid.UUID
    visit_id: uuid.UUID | None
    reporting_org: str
    town: str
    description: str
    suggestion: str | None
    departments: list[str]
    reported_at: datetime
    acknowledgements: list[AckOut]
    deadlines: list[DeadlineOut]


class MergeProposalOut(View):
    """Two inspections of the same target(s) by different agencies within the window."""

    id: uuid.UUID
    order_a: uuid.UUID
    order_b: uuid.UUID
    org_a: str
    org_b: str
    town: str
    target_ids: list[str]
    state: Annotated[StateOut, labelled(MergeState)]
    proposed_at: datetime
    accepted_by: list[str]
    declined_by: list[str]
    reasons: list[str]
    decided_at: datetime | None
    kept_order: uuid.UUID | None
    absorbed_order: uuid.UUID | None


class VisitFigures(BaseModel):
    """One visit instead of many, per town and period."""

    town: str
    period_start: date
    planned: int = Field(description="visits planned by all agencies (each agency's own count)")
    merged: int = Field(description="planned visits merged into another agency's joint visit")
    saved: int = Field(description="doors not knocked twice: planned minus visits that remain")
    merges: int = Field(description="merge proposals accepted")
    joint: int = Field(description="visits made jointly by more than one agency")
    reinspections: int = Field(description="re-inspections by another party within the window")
    visits_saved: int = Field(
        description="Σ(agencies at a joint visit − 1) over the visits made: the doors each "
        "agency would otherwise have knocked on separately"
    )


class ReinspectionOut(BaseModel):
    """A target inspected by one party and again by another within the window."""

    target_id: uuid.UUID
    target_name: str
    town: str
    visit_id: uuid.UUID
    order_id: uuid.UUID
    org: str
    inspected_at: datetime
    earlier_visit_id: uuid.UUID
    earlier_order_id: uuid.UUID
    earlier_org: str
    earlier_inspected_at: datetime
