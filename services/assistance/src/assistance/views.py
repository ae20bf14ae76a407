"""Response views of the enforcement assistance service, built from its tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from assistance.domain import AssistanceState, ExtensionDecision, MaterialKind
from assistance.models import (
    AssignedOfficer,
    AssistanceMaterial,
    AssistanceRequest,
    ExtensionRequest,
    ObstructionFlag,
)
from assistance.schemas import (
    AssistanceOut,
    AssistanceSummary,
    DeadlineOut,
    ExtensionOut,
    FlagOut,
    MaterialOut,
    OfficerOut,
    StateOut,
    WarningOut,
)
from assistance.schemas.responses import (
    CaseRefOut,
    ContestOut,
    GroundOut,
    RefusalOut,
    RefusalQueueItem,
    ResultOut,
    RulingOut,
)
from xietong_common.contracts.assistance import (
    AssistanceGround,
    CaseKind,
    ObstructionKind,
    RefusalGround,
    ResultKind,
    RulingDecision,
)
from xietong_common.documents import IssuedDocument
from xietong_common.documents.schemas import document_out
from xietong_common.listing import is_overdue, next_due


def _summary_fields(r: AssistanceRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "state": StateOut.of(AssistanceState(r.state)),
        "town": r.town,
        "department": r.department,
        "matter_code": r.matter_code,
        "ground": GroundOut.of(AssistanceGround(r.ground)),
        "urgent": r.urgent,
        "within_powers": r.within_powers,
        "materials_holder": r.materials_holder,
        "submitted_at": r.submitted_at,
        "agreed_completion_date": r.agreed_completion_date,
        "created_at": r.created_at,
    }


def summary_of(
    r: AssistanceRequest, *, next_due: DeadlineOut | None, overdue: bool
) -> AssistanceSummary:
    return AssistanceSummary(**_summary_fields(r), next_due=next_due, overdue=overdue)


def refusal_of(r: AssistanceRequest) -> RefusalOut | None:
    if r.refusal_ground is None or r.refused_at is None:
        return None
    ground = RefusalGround(r.refusal_ground)
    return RefusalOut(
        ground=ground,
        ground_zh=ground.label_zh,
        law=r.refusal_law,
        article=r.refusal_article,
        reason=r.refusal_reason or "",
        after_acceptance=r.refused_after_acceptance,
        refused_at=r.refused_at,
        refused_by=r.refused_by,
        owned_matter=r.refused_owned_matter,
        contest=contest_of(r),
        ruling=ruling_of(r),
    )


def contest_of(r: AssistanceRequest) -> ContestOut | None:
    if r.contest_reason is None or r.contested_at is None:
        return None
    return ContestOut(
        reason=r.contest_reason, contested_at=r.contested_at, contested_by=r.contested_by
    )


def ruling_of(r: AssistanceRequest) -> RulingOut | None:
    if r.ruling_decision is None or r.ruled_at is None:
        return None
    decision = RulingDecision(r.ruling_decision)
    return RulingOut(
        decision=decision,
        decision_zh=decision.label_zh,
        reason=r.ruling_reason or "",
        ruled_at=r.ruled_at,
        ruled_by=r.ruled_by,
    )


def queue_item_of(r: AssistanceRequest) -> RefusalQueueItem:
    """ASSIST-03: a refusal as the justice bureau's queue shows it."""
    assert r.refusal_ground
    assert r.refused_at
    ground = RefusalGround(r.refusal_ground)
    return RefusalQueueItem(
        id=r.id,
        town=r.town,
        department=r.department,
        matter_code=r.matter_code,
        ground=ground,
        ground_zh=ground.label_zh,
        law=r.refusal_law,
        article=r.refusal_article,
        reason=r.refusal_reason or "",
        owned_matter=r.refused_owned_matter,
        refused_at=r.refused_at,
        contest=contest_of(r),
        ruling=ruling_of(r),
        version=r.version,
    )


def result_of(r: AssistanceRequest) -> ResultOut | None:
    if r.result_kind is None or r.delivered_at is None:
        return None
    kind = ResultKind(r.result_kind)
    return ResultOut(
        kind=kind,
        kind_zh=kind.label_zh,
        summary=r.result_summary or "",
        delivered_at=r.delivered_at,
        confirmed_at=r.confirmed_at,
        confirmation_note=r.confirmation_note,
    )


def detail_of(
    r: AssistanceRequest,
    *,
    deadlines: list[DeadlineOut],
    documents: list[IssuedDocument],
    now: datetime,
) -> AssistanceOut:
    return AssistanceOut(
        **_summary_fields(r),
        next_due=next_due(deadlines),
        overdue=is_overdue(deadlines, now),
        version=r.version,
        proposed_department=r.proposed_department,
        warnings=[WarningOut.model_validate(w) for w in r.warnings or []],
        ground_description=r.ground_description,
        needed=r.needed,
        case=CaseRefOut(kind=CaseKind(r.case_kind), id=r.case_id)
        if r.case_kind and r.case_id
        else None,
        needed_by=r.needed_by,
        accepted_at=r.accepted_at,
        acceptance_note=r.acceptance_note,
        officers=[officer_out(o) for o in r.officers],
        extensions_agreed=r.extensions_agreed,
        extensions=[extension_out(e) for e in r.extensions],
        refusal=refusal_of(r),
        result=result_of(r),
        returns=r.returns,
        last_return_reason=r.last_return_reason,
        withdrawn_at=r.withdrawn_at,
        withdrawal_reason=r.withdrawal_reason,
        materials=[material_out(m) for m in r.materials],
        flags=[flag_out(f) for f in r.flags],
        deadlines=deadlines,
        documents=[document_out(d) for d in documents],
    )


def officer_out(o: AssignedOfficer) -> OfficerOut:
    return OfficerOut(
        name=o.name,
        certificate_number=o.certificate_number,
        seconded=o.seconded,
        officer_id=o.officer_id,
        team_id=o.team_id,
        eligibility=o.eligibility,
    )


def material_out(m: AssistanceMaterial) -> MaterialOut:
    kind = MaterialKind(m.kind)
    return MaterialOut.of(m, kind=kind, kind_zh=kind.label_zh)


def extension_out(e: ExtensionRequest) -> ExtensionOut:
    return ExtensionOut(
        id=e.id,
        requested_at=e.requested_at,
        previous_date=e.previous_date,
        proposed_date=e.proposed_date,
        reason=e.reason,
        decision=ExtensionDecision(e.decision) if e.decision else None,
        decided_at=e.decided_at,
        decision_note=e.decision_note,
    )


def flag_out(f: ObstructionFlag) -> FlagOut:
    kind = ObstructionKind(f.kind)
    return FlagOut(
        id=f.id,
        kind=kind,
        kind_zh=kind.label_zh,
        reason=f.reason,
        state=AssistanceState(f.state),
        flagged_at=f.flagged_at,
        flagged_by=f.flagged_by,
    )
