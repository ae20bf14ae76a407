"""The events the joint inspection service publishes (contracts in
`xietong_common.contracts.inspection`), built from the rows in the unit of work that changes
them and published through the outbox (`uow.publish`), keyed by the plan or order id."""

from __future__ import annotations

from datetime import datetime

from joint_inspection.models import (
    Plan,
    Selection,
    Shortcoming,
    SupportRequest,
    Target,
    Visit,
    WorkOrder,
)
from xietong_common.contracts.inspection import (
    ClosedTarget,
    DrawnTarget,
    FindingOutcome,
    InspectionClosed,
    InspectionFedBack,
    InspectionFindingRecorded,
    InspectionOrderIssued,
    InspectionPlanned,
    InspectionReviewRequested,
    InspectionSelectionDrawn,
    InspectionSeriousReported,
    InspectionShortcomingReported,
    InspectionSupportRefused,
    PlanRuleOut,
    ReviewTriggerResult,
    SeriousScope,
)
from xietong_common.contracts.review import CaseParty
from xietong_common.deadlines import TrackedDeadline


def party_of(target: Target) -> CaseParty:
    """The target as a case party: a code for organisations, the masked number for a person."""
    return CaseParty(
        name=target.name,
        kind=target.party_kind,
        id_number=target.credit_code or target.identity_masked,
    )


def planned(plan: Plan) -> InspectionPlanned:
    """INSP-01: the plan was adopted."""
    assert plan.adopted_at
    return InspectionPlanned(
        plan_id=str(plan.id),
        town=plan.town,
        scenario=plan.scenario,
        title=plan.title,
        period_start=plan.period_start,
        period_end=plan.period_end,
        basis=plan.basis,
        rules=[
            PlanRuleOut(value=r.value, frequency=r.frequency, proportion=r.proportion)
            for r in plan.rules
        ],
        clean_proportion=plan.clean_proportion,
        matter_codes=list(plan.matter_codes),
        adopted_at=plan.adopted_at,
    )


MAX_DRAWN_LISTED = 1000


def selection_drawn(
    plan: Plan, selection: Selection, drawn: list[tuple[Target, int, int]]
) -> InspectionSelectionDrawn:
    """INSP-02: a round was drawn; its seed revealed (双随机一公开)."""
    parameters = selection.parameters
    return InspectionSelectionDrawn(
        plan_id=str(plan.id),
        selection_id=str(selection.id),
        town=plan.town,
        scenario=plan.scenario,
        plan_title=plan.title,
        round=selection.round,
        matter_codes=list(plan.matter_codes),
        algorithm=selection.algorithm,
        seed=selection.seed,
        seed_commitment=parameters["seed_commitment"],
        snapshot_digest=parameters["snapshot_digest"],
        committed_at=datetime.fromisoformat(parameters["as_of"]),
        candidates=selection.candidates,
        drawn=selection.drawn,
        digest=selection.digest,
        drawn_at=selection.drawn_at,
        targets=[
            DrawnTarget(
                target_id=str(t.id),
                name=t.name,
                kind=t.party_kind,
                id_number=t.credit_code or t.identity_masked,
                rule_position=position,
                rank=rank,
            )
            for t, position, rank in drawn[:MAX_DRAWN_LISTED]
        ],
    )


def order_issued(order: WorkOrder, *, targets: int) -> InspectionOrderIssued:
    """INSP-03: the work order was issued."""
    assert order.number
    assert order.issued_at
    return InspectionOrderIssued(
        inspection_id=str(order.id),
        order_number=order.number,
        initiating_org=order.initiating_org,
        town=order.town,
        participants=sorted(p.org for p in order.participants),
        matter_codes=list(order.matter_codes),
        method=order.method,
        planned_start=order.planned_start,
        planned_end=order.planned_end,
        target_count=targets,
        inspector_count=len(order.inspectors),
        advance_notice=order.notice_policy == "notify",
        plan_id=str(order.plan_id) if order.plan_id else None,
        issued_at=order.issued_at,
    )


def finding(order: WorkOrder, visit: Visit, target: Target) -> InspectionFindingRecorded:
    """INSP-08: a violation at a target: within jurisdiction the handling participant starts
    its penalty procedure (REV-01 check attached); outside it the town refers (REF-01)."""
    assert visit.finding_id
    assert visit.outcome
    assert visit.inspected_at
    assert visit.handling_org
    return InspectionFindingRecorded(
        inspection_id=str(order.id),
        finding_id=str(visit.finding_id),
        inspecting_org=order.town if not visit.within_jurisdiction else visit.handling_org,
        outcome=FindingOutcome(visit.outcome),
        matter_code=visit.matter_code,
        place_town=target.town,
        found_at=visit.inspected_at,
        description=visit.description or "",
        target=party_of(target),
        within_jurisdiction=bool(visit.within_jurisdiction),
        order_number=order.number,
        target_id=str(target.id),
        handling_org=visit.handling_org,
        review_required=visit.review_required,
        review_triggers=[ReviewTriggerResult(**t) for t in visit.review_triggers or []],
        serious_scope=SeriousScope(visit.serious_scope) if visit.serious_scope else None,
    )


def review_requested(order: WorkOrder, visit: Visit, target: Target) -> InspectionReviewRequested:
    """INSP-08/REV-01: the town's proposed decision on the finding needs legal review first."""
    assert visit.finding_id
    assert visit.matter_code
    assert visit.inspected_at
    assert visit.handling_org
    assert visit.outcome_at
    return InspectionReviewRequested(
        inspection_id=str(order.id),
        order_number=order.number,
        finding_id=str(visit.finding_id),
        visit_id=str(visit.id),
        target_id=str(target.id),
        handling_org=visit.handling_org,
        place_town=target.town,
        matter_code=visit.matter_code,
        matters_checked=list(visit.matters_checked or []),
        found_at=visit.inspected_at,
        description=visit.description or "",
        handling=visit.handling,
        target=party_of(target),
        triggers=[ReviewTriggerResult(**t) for t in visit.review_triggers or []],
        requested_at=visit.outcome_at,
    )


def serious_reported(
    order: WorkOrder, visit: Visit, target: Target, *, due: TrackedDeadline | None, late: bool
) -> InspectionSeriousReported:
    """INSP-08: reported to the district government (and the competent authority notified)."""
    assert order.number
    assert visit.serious_scope
    assert visit.serious_report
    assert visit.serious_reported_at
    assert visit.inspected_at
    assert visit.competent_authority
    assert visit.authority_notified_at
    return InspectionSeriousReported(
        inspection_id=str(order.id),
        order_number=order.number,
        finding_id=str(visit.finding_id or visit.id),
        initiating_org=order.initiating_org,
        town=target.town,
        scope=SeriousScope(visit.serious_scope),
        matter_code=visit.matter_code,
        description=visit.description or "",
        report=visit.serious_report,
        competent_authority=visit.competent_authority,
        authority_notified_at=visit.authority_notified_at,
        target=party_of(target),
        found_at=visit.inspected_at,
        reported_at=visit.serious_reported_at,
        due_at=due.due_at if due else visit.serious_reported_at,
        late=late,
    )


def closed(
    order: WorkOrder, visits: list[tuple[Visit, Target]], *, scenario: str | None
) -> InspectionClosed:
    """INSP-07: the order closed and was archived (INFO-04: an inspection record)."""
    assert order.number
    assert order.closed_at
    return InspectionClosed(
        inspection_id=str(order.id),
        order_number=order.number,
        initiating_org=order.initiating_org,
        participants=sorted(p.org for p in order.participants),
        scenario=scenario,
        matter_codes=list(order.matter_codes),
        towns=[order.town],
        targets=[
            ClosedTarget(
                target_id=str(t.id),
                name=t.name,
                credit_code=t.credit_code,
                town=t.town,
                outcome=FindingOutcome(v.outcome or FindingOutcome.NO_PROBLEM.value),
                summary="；".join(x for x in (v.description, v.handling, v.guidance) if x),
                inspected_at=v.inspected_at,
                feedback=v.feedback,
            )
            for v, t in visits
            if v.state == "fed-back"
        ],
        closed_at=order.closed_at,
        archive_digest=order.archive_digest,
    )


def shortcoming_reported(
    shortcoming: Shortcoming, order: WorkOrder, *, acknowledge_by: datetime
) -> InspectionShortcomingReported:
    """INSP-09: sent to the departments concerned."""
    return InspectionShortcomingReported(
        shortcoming_id=str(shortcoming.id),
        inspection_id=str(order.id),
        order_number=order.number or "",
        reporting_org=shortcoming.reporting_org,
        departments=list(shortcoming.departments),
        town=shortcoming.town,
        description=shortcoming.description,
        suggestion=shortcoming.suggestion,
        reported_at=shortcoming.reported_at,
        acknowledge_by=acknowledge_by,
    )


def support_refused(
    order: WorkOrder, request: SupportRequest, *, late: bool
) -> InspectionSupportRefused:
    """INSP-03: the department asked to support answered no, with its reason."""
    assert request.answered_at
    return InspectionSupportRefused(
        inspection_id=str(order.id),
        order_number=order.number,
        request_id=str(request.id),
        department=request.department,
        initiating_org=order.initiating_org,
        town=order.town,
        request=request.request,
        reason=request.answer_reason or "",
        requested_at=request.requested_at,
        refused_at=request.answered_at,
        late=late,
    )


def fed_back(order: WorkOrder, visit: Visit, target: Target) -> InspectionFedBack:
    """INSP-07: the result fed back to the target's record and the departments concerned."""
    assert visit.feedback
    assert visit.fed_back_at
    return InspectionFedBack(
        inspection_id=str(order.id),
        order_number=order.number or "",
        visit_id=str(visit.id),
        target_id=str(target.id),
        target=party_of(target),
        town=order.town,
        outcome=FindingOutcome(visit.outcome or FindingOutcome.NO_PROBLEM.value),
        finding_id=str(visit.finding_id) if visit.finding_id else None,
        feedback=visit.feedback,
        recipients=list(visit.feedback_to or []),
        loop_result=visit.loop_result,
        fed_back_at=visit.fed_back_at,
    )
