"""Response views of the joint inspection service, built from its tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from joint_inspection.domain import (
    AdjustmentKind,
    InspectionMethod,
    InspectorKind,
    MaterialKind,
    NoticePolicy,
    OrderState,
    ParticipantRole,
    PlanBasis,
    PlanState,
    SignalKind,
    SupervisionLevel,
    VisitState,
)
from joint_inspection.domain.visits import MergeState
from joint_inspection.models import (
    MergeProposal,
    OrderInspector,
    OrderMaterial,
    OrderParticipant,
    Plan,
    PlanAdjustment,
    RiskSignal,
    Selection,
    SelectionEntry,
    Shortcoming,
    SupportRequest,
    Target,
    Visit,
    WorkOrder,
)
from joint_inspection.schemas import (
    AckOut,
    AdjustmentOut,
    DeadlineOut,
    EntryOut,
    InspectorOut,
    MaterialOut,
    MergeProposalOut,
    OrderOut,
    OrderSummary,
    ParticipantOut,
    PlanOut,
    RuleOut,
    SelectionOut,
    ShortcomingOut,
    SignalOut,
    SupportOut,
    TargetOut,
    VisitOut,
    label,
)
from joint_inspection.service.targets import Risk
from xietong_common.contracts.inspection import FindingOutcome, SeriousScope
from xietong_common.documents import IssuedDocument
from xietong_common.documents.schemas import document_out
from xietong_common.listing import is_overdue, next_due
from xietong_common.parties import PartyKind


def target_out(t: Target, risk: Risk) -> TargetOut:
    return TargetOut(
        id=t.id,
        name=t.name,
        party_kind=label(PartyKind(t.party_kind)),
        credit_code=t.credit_code,
        identity_masked=t.identity_masked,
        industry=t.industry,
        supervision_level=label(SupervisionLevel(t.supervision_level)),
        town=t.town,
        address=t.address,
        supervised_since=t.supervised_since,
        active=t.active,
        version=t.version,
        risk=risk.risk,
        law_abiding=risk.law_abiding,
        created_at=t.created_at,
    )


def signal_out(s: RiskSignal) -> SignalOut:
    return SignalOut(
        id=s.id,
        target_id=s.target_id,
        kind=label(SignalKind(s.kind)),
        source=s.source,
        observed_on=s.observed_on,
        weight=s.weight,
        description=s.description,
        from_visit=s.visit_id,
        recorded_at=s.recorded_at,
        recorded_by_org=s.recorded_by_org,
        withdrawn_at=s.withdrawn_at,
        withdrawn_reason=s.withdrawn_reason,
    )


def plan_out(p: Plan) -> PlanOut:
    return PlanOut(
        id=p.id,
        town=p.town,
        title=p.title,
        scenario=p.scenario,
        period_start=p.period_start,
        period_end=p.period_end,
        basis=label(PlanBasis(p.basis)),
        rules=[
            RuleOut(
                position=r.position, value=r.value, frequency=r.frequency, proportion=r.proportion
            )
            for r in p.rules
        ],
        clean_proportion=p.clean_proportion,
        targeting_threshold=p.targeting_threshold,
        matter_codes=list(p.matter_codes),
        notes=p.notes,
        state=label(PlanState(p.state)),
        created_at=p.created_at,
        adopted_at=p.adopted_at,
    )


def adjustment_out(a: PlanAdjustment) -> AdjustmentOut:
    return AdjustmentOut(
        id=a.id,
        plan_id=a.plan_id,
        kind=label(AdjustmentKind(a.kind)),
        signal_id=a.signal_id,
        target_id=a.target_id,
        rule_position=a.rule_position,
        before=a.before,
        after=a.after,
        reason=a.reason,
        made_at=a.made_at,
        made_by=a.made_by,
    )


def selection_out(s: Selection) -> SelectionOut:
    return SelectionOut(
        id=s.id,
        plan_id=s.plan_id,
        round=s.round,
        seed=s.seed,
        algorithm=s.algorithm,
        parameters=s.parameters,
        drawn_at=s.drawn_at,
        drawn_by=s.drawn_by,
        candidates=s.candidates,
        drawn=s.drawn,
        digest=s.digest,
    )


def entry_out(e: SelectionEntry, name: str) -> EntryOut:
    return EntryOut(
        target_id=e.target_id,
        target_name=name,
        rule_position=e.rule_position,
        risk=e.risk,
        law_abiding=e.clean,
        tier=e.tier,
        draw_key=e.draw_key,
        rank=e.rank,
        drawn=e.drawn,
        order_id=e.order_id,
    )


def material_out(m: OrderMaterial) -> MaterialOut:
    return MaterialOut(
        id=m.id,
        visit_id=m.visit_id,
        kind=label(MaterialKind(m.kind)),
        title=m.title,
        filename=m.filename,
        content_type=m.content_type,
        size=m.size,
        sha256=m.sha256,
        uploaded_at=m.uploaded_at,
        uploaded_by_org=m.uploaded_by_org,
    )


def visit_out(v: Visit, t: Target, materials: list[OrderMaterial]) -> VisitOut:
    return VisitOut(
        id=v.id,
        target_id=v.target_id,
        target_name=t.name,
        credit_code=t.credit_code,
        identity_masked=t.identity_masked,
        origin=v.origin,
        state=label(VisitState(v.state)),
        notified_at=v.notified_at,
        notice_time=v.notice_time,
        notice_basis=v.notice_basis,
        notice_method=v.notice_method,
        inspected_at=v.inspected_at,
        inspector_ids=v.inspector_ids,
        onsite_record=v.onsite_record,
        repeat_of=v.repeat_of,
        outcome=label(FindingOutcome(v.outcome)) if v.outcome else None,
        description=v.description,
        handling=v.handling,
        guidance=v.guidance,
        matter_code=v.matter_code,
        within_jurisdiction=v.within_jurisdiction,
        handling_org=v.handling_org,
        review_required=v.review_required,
        review_triggers=v.review_triggers,
        serious_scope=label(SeriousScope(v.serious_scope)) if v.serious_scope else None,
        competent_authority=v.competent_authority,
        serious_reported_at=v.serious_reported_at,
        finding_id=v.finding_id,
        feedback=v.feedback,
        fed_back_at=v.fed_back_at,
        merged_into=v.merged_into,
        materials=[material_out(m) for m in materials],
    )


def participant_out(p: OrderParticipant) -> ParticipantOut:
    return ParticipantOut(
        org=p.org,
        role=label(ParticipantRole(p.role)),
        instructions=p.instructions,
        joined_at=p.joined_at,
    )


def inspector_out(i: OrderInspector) -> InspectorOut:
    return InspectorOut(
        id=i.id,
        kind=label(InspectorKind(i.kind)),
        officer_id=i.officer_id,
        name=i.name,
        org=i.org,
        certificate_number=i.certificate_number,
        matter_codes=list(i.matter_codes),
        eligibility=i.eligibility,
        assigned_at=i.assigned_at,
    )


def support_out(s: SupportRequest) -> SupportOut:
    return SupportOut(
        id=s.id,
        department=s.department,
        request=s.request,
        requested_at=s.requested_at,
        accepted=s.accepted,
        answer_reason=s.answer_reason,
        answered_at=s.answered_at,
    )


def _summary_fields(o: WorkOrder, targets: int) -> dict[str, Any]:
    return {
        "id": o.id,
        "number": o.number,
        "title": o.title,
        "state": label(OrderState(o.state)),
        "initiating_org": o.initiating_org,
        "town": o.town,
        "method": label(InspectionMethod(o.method)),
        "matter_codes": list(o.matter_codes),
        "planned_start": o.planned_start,
        "planned_end": o.planned_end,
        "targets": targets,
        "created_at": o.created_at,
    }


def order_summary(
    o: WorkOrder, targets: int, deadlines: list[DeadlineOut], now: datetime
) -> OrderSummary:
    return OrderSummary(
        **_summary_fields(o, targets),
        next_due=next_due(deadlines),
        overdue=is_overdue(deadlines, now),
    )


def order_out(
    o: WorkOrder,
    visits: list[tuple[Visit, Target, list[OrderMaterial]]],
    deadlines: list[DeadlineOut],
    now: datetime,
    issued: list[IssuedDocument],
) -> OrderOut:
    return OrderOut(
        **_summary_fields(o, sum(1 for v, _, _ in visits if v.state != VisitState.MERGED.value)),
        next_due=next_due(deadlines),
        overdue=is_overdue(deadlines, now),
        plan_id=o.plan_id,
        selection_id=o.selection_id,
        scenario=o.scenario,
        proposal=o.proposal,
        brigade_tasks=o.brigade_tasks,
        counter_proposal=o.counter_proposal,
        consulted_at=o.consulted_at,
        notice_policy=label(NoticePolicy(o.notice_policy)) if o.notice_policy else None,
        notice_exemption_reason=o.notice_exemption_reason,
        instructing_authority=o.instructing_authority,
        issued_at=o.issued_at,
        closed_at=o.closed_at,
        archive_digest=o.archive_digest,
        cancelled_at=o.cancelled_at,
        cancel_reason=o.cancel_reason,
        merged_into=o.merged_into,
        participants=[participant_out(p) for p in o.participants],
        inspectors=[inspector_out(i) for i in o.inspectors],
        support_requests=[support_out(s) for s in o.support_requests],
        visits=[visit_out(v, t, m) for v, t, m in visits],
        deadlines=deadlines,
        documents=[document_out(d) for d in issued],
    )


def shortcoming_out(s: Shortcoming, deadlines: list[DeadlineOut]) -> ShortcomingOut:
    return ShortcomingOut(
        id=s.id,
        order_id=s.order_id,
        visit_id=s.visit_id,
        reporting_org=s.reporting_org,
        town=s.town,
        description=s.description,
        suggestion=s.suggestion,
        departments=list(s.departments),
        reported_at=s.reported_at,
        acknowledgements=[
            AckOut(department=a.department, acknowledged_at=a.acknowledged_at, response=a.response)
            for a in s.acks
        ],
        deadlines=deadlines,
    )


def merge_out(m: MergeProposal) -> MergeProposalOut:
    return MergeProposalOut(
        id=m.id,
        order_a=m.order_a,
        order_b=m.order_b,
        org_a=m.org_a,
        org_b=m.org_b,
        town=m.town,
        target_ids=list(m.target_ids),
        state=label(MergeState(m.state)),
        proposed_at=m.proposed_at,
        accepted_by=list(m.accepted_by),
        declined_by=list(m.declined_by),
        reasons=list(m.reasons),
        decided_at=m.decided_at,
        kept_order=m.kept_order,
        absorbed_order=m.absorbed_order,
    )
