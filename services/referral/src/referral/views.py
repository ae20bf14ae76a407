"""Response views built from the tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from referral.domain import MaterialKind, ReferralState
from referral.models import CooperationRequest, Referral, ReferralMaterial
from referral.schemas import (
    CooperationOut,
    DeadlineOut,
    ItemOut,
    MaterialOut,
    ReferralOut,
    ReferralSummary,
    StateOut,
)
from xietong_common.contracts.referral import AnswerDecision, CaseProcedure
from xietong_common.listing import is_overdue, next_due


def _summary_fields(r: Referral) -> dict[str, Any]:
    return {
        "id": r.id,
        "state": StateOut.of(ReferralState(r.state)),
        "sender": r.sender,
        "receiver": r.receiver,
        "assignee": r.assignee,
        "matter_code": r.matter_code,
        "place_town": r.place_town,
        "found_at": r.found_at,
        "urgent": r.urgent,
        "sent_at": r.sent_at,
        "created_at": r.created_at,
        "possible_onward": bool(r.possible_onward_of),
    }


def summary_of(r: Referral, *, next_due: DeadlineOut | None, overdue: bool) -> ReferralSummary:
    return ReferralSummary(**_summary_fields(r), next_due=next_due, overdue=overdue)


def detail_of(r: Referral, *, deadlines: list[DeadlineOut], now: datetime) -> ReferralOut:
    return ReferralOut(
        **_summary_fields(r),
        next_due=next_due(deadlines),
        overdue=is_overdue(deadlines, now),
        proposed_receiver=r.proposed_receiver,
        jurisdiction_override_reason=r.jurisdiction_override_reason,
        facts=r.facts,
        party=r.party,
        ongoing=r.ongoing,
        stop_measure=r.stop_measure,
        stop_measure_at=r.stop_measure_at,
        proceeds_transferred=r.proceeds_transferred,
        source_kind=r.source_kind,
        source_id=r.source_id,
        approved_at=r.approved_at,
        approved_by=r.approved_by,
        receipt_number=r.receipt_number,
        received_at=r.received_at,
        receipt_signed_by=r.receipt_signed_by,
        answered_at=r.answered_at,
        answer_decision=AnswerDecision(r.answer_decision) if r.answer_decision else None,
        answer_reasons=r.answer_reasons,
        assigned_at=r.assigned_at,
        assignment_reasons=r.assignment_reasons,
        filed_at=r.filed_at,
        case_number=r.case_number,
        procedure=CaseProcedure(r.procedure) if r.procedure else None,
        concluded_at=r.concluded_at,
        outcome=r.outcome,
        decision_number=r.decision_number,
        no_time_limit_reason=r.no_time_limit_reason,
        withdrawn_at=r.withdrawn_at,
        withdrawal_reason=r.withdrawal_reason,
        distinct_case_reason=r.distinct_case_reason,
        ongoing_notified_at=r.ongoing_notified_at,
        items=[
            ItemOut(
                name=i.name,
                quantity=i.quantity,
                unit=i.unit,
                description=i.description,
                disposed_in_advance=i.disposed_in_advance,
                disposal_method=i.disposal_method,
                proceeds=i.proceeds,
            )
            for i in r.items
        ],
        materials=[material_out(m) for m in r.materials],
        cooperation_requests=[cooperation_out(c) for c in r.cooperation_requests],
        deadlines=deadlines,
    )


def material_out(m: ReferralMaterial) -> MaterialOut:
    kind = MaterialKind(m.kind)
    return MaterialOut(
        id=m.id,
        kind=kind,
        kind_zh=kind.label_zh,
        title=m.title,
        filename=m.filename,
        content_type=m.content_type,
        size=m.size,
        sha256=m.sha256,
        uploaded_at=m.uploaded_at,
        uploaded_by=m.uploaded_by,
    )


def cooperation_out(c: CooperationRequest) -> CooperationOut:
    return CooperationOut(
        id=c.id,
        requesting_org=c.requesting_org,
        requested_org=c.requested_org,
        request=c.request,
        requested_at=c.requested_at,
        answer=c.answer,
        answered_at=c.answered_at,
    )
