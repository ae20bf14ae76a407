"""The events the referral service publishes (contracts in `xietong_common.contracts.referral`).

Built from the rows in the same unit of work that changes them and published through the
outbox (`uow.publish`), keyed by the referral id so a case's events stay in order.
"""

from __future__ import annotations

from datetime import datetime

from referral.domain import Resemblance, Routing
from referral.models import CooperationRequest, Referral
from xietong_common.contracts.referral import (
    AnswerDecision,
    CaseAnswered,
    CaseAssigned,
    CaseConcluded,
    CaseConclusionPeriodChanged,
    CaseCooperationNotGiven,
    CaseCooperationRequested,
    CaseDraftWithdrawn,
    CaseEscalated,
    CaseFiled,
    CaseOngoingViolationNotified,
    CaseOnwardReferralDecided,
    CaseOnwardReferralSuspected,
    CaseProcedure,
    CaseReceived,
    CaseReferred,
    ConclusionOutcome,
    OnwardDecision,
    PeriodChange,
    ReferralSource,
)
from xietong_common.contracts.review import CaseParty
from xietong_common.deadlines import TrackedDeadline
from xietong_common.reference import DISTRICT_GOV


def referred(
    referral: Referral, routing: Routing, *, send_due: TrackedDeadline | None, late: bool
) -> CaseReferred:
    """REF-03/05: the case went to the party with jurisdiction."""
    assert referral.matter_code
    assert referral.place_town
    assert referral.sent_at
    return CaseReferred(
        referral_id=referral.id,
        sender=referral.sender,
        receiver=routing.receiver,
        matter_code=referral.matter_code,
        place_town=referral.place_town,
        found_at=referral.found_at,
        sent_at=referral.sent_at,
        urgent=referral.urgent,
        ongoing=referral.ongoing,
        stop_measure=referral.stop_measure,
        facts=referral.facts,
        party=CaseParty.model_validate(referral.party) if referral.party else None,
        jurisdiction_override_reason=(
            referral.jurisdiction_override_reason if routing.overridden else None
        ),
        proceeds_transferred=referral.proceeds_transferred,
        materials=len(referral.materials),
        send_due_at=send_due.due_at if send_due else referral.sent_at,
        late=late,
        source=ReferralSource(kind=referral.source_kind, id=referral.source_id),
    )


def received(referral: Referral, answer_due: TrackedDeadline) -> CaseReceived:
    """REF-06: the receiver signed the 送达回证; REF-07's answer is due."""
    assert referral.receiver
    assert referral.receipt_number
    assert referral.received_at
    assert referral.receipt_signed_by
    return CaseReceived(
        referral_id=referral.id,
        sender=referral.sender,
        receiver=referral.receiver,
        receipt_number=referral.receipt_number,
        received_at=referral.received_at,
        signed_by=referral.receipt_signed_by,
        answer_due_at=answer_due.due_at,
        answer_due_provisional=answer_due.provisional,
    )


def answered(referral: Referral, *, late: bool) -> CaseAnswered:
    """REF-07: the written answer to the sender."""
    assert referral.receiver
    assert referral.answer_decision
    assert referral.answer_reasons
    assert referral.answered_at
    return CaseAnswered(
        referral_id=referral.id,
        sender=referral.sender,
        receiver=referral.receiver,
        decision=AnswerDecision(referral.answer_decision),
        reasons=referral.answer_reasons,
        answered_at=referral.answered_at,
        late=late,
    )


def escalated(referral: Referral) -> CaseEscalated:
    """REF-08: a jurisdiction dispute reported to the district government."""
    assert referral.receiver
    assert referral.answer_reasons
    assert referral.answered_at
    return CaseEscalated(
        referral_id=referral.id,
        sender=referral.sender,
        receiver=referral.receiver,
        reported_to=DISTRICT_GOV,
        reasons=referral.answer_reasons,
        reported_at=referral.answered_at,
    )


def assigned(referral: Referral) -> CaseAssigned:
    """REF-08: the district government decided who handles the case."""
    assert referral.receiver
    assert referral.assignee
    assert referral.assignment_reasons
    assert referral.assigned_at
    assert referral.assigned_by
    return CaseAssigned(
        referral_id=referral.id,
        sender=referral.sender,
        receiver=referral.receiver,
        assignee=referral.assignee,
        reasons=referral.assignment_reasons,
        assigned_at=referral.assigned_at,
        decided_by=referral.assigned_by,
    )


def filed(
    referral: Referral, *, handler: str, conclude_due: TrackedDeadline | None, late: bool
) -> CaseFiled:
    """REF-09: the case was filed (立案) and its procedure's time limit started."""
    assert referral.case_number
    assert referral.procedure
    assert referral.filed_at
    return CaseFiled(
        referral_id=referral.id,
        handler=handler,
        sender=referral.sender,
        case_number=referral.case_number,
        procedure=CaseProcedure(referral.procedure),
        filed_at=referral.filed_at,
        conclude_due_at=conclude_due.due_at if conclude_due else None,
        late=late,
    )


def concluded(referral: Referral, *, handler: str) -> CaseConcluded:
    """REF-09: the case was concluded (办结)."""
    assert referral.case_number
    assert referral.outcome
    assert referral.concluded_at
    return CaseConcluded(
        referral_id=referral.id,
        handler=handler,
        sender=referral.sender,
        case_number=referral.case_number,
        outcome=referral.outcome,
        outcome_kind=ConclusionOutcome(referral.outcome_kind) if referral.outcome_kind else None,
        decision_number=referral.decision_number,
        concluded_at=referral.concluded_at,
    )


def cooperation_requested(referral: Referral, item: CooperationRequest) -> CaseCooperationRequested:
    """REF-10: the handling party asked the sender to cooperate."""
    return CaseCooperationRequested(
        referral_id=referral.id,
        request_id=item.id,
        requesting_org=item.requesting_org,
        requested_org=item.requested_org,
        request=item.request,
        requested_at=item.requested_at,
    )


def cooperation_not_given(referral: Referral, item: CooperationRequest) -> CaseCooperationNotGiven:
    """REF-10: the handling party recorded that the sender did not cooperate."""
    assert item.not_given_at
    assert item.not_given_reason
    return CaseCooperationNotGiven(
        referral_id=referral.id,
        request_id=item.id,
        requesting_org=item.requesting_org,
        requested_org=item.requested_org,
        request=item.request,
        reason=item.not_given_reason,
        requested_at=item.requested_at,
        recorded_at=item.not_given_at,
        recorded_by=item.not_given_by or "",
    )


def _party(referral: Referral) -> CaseParty | None:
    return CaseParty.model_validate(referral.party) if referral.party else None


def ongoing_violation_notified(
    referral: Referral, *, due_at: datetime, late: bool
) -> CaseOngoingViolationNotified:
    """REF-04: the party with jurisdiction is told of the ongoing violation at once."""
    assert referral.receiver
    assert referral.stop_measure
    assert referral.stop_measure_at
    assert referral.ongoing_notified_at
    return CaseOngoingViolationNotified(
        referral_id=referral.id,
        sender=referral.sender,
        receiver=referral.receiver,
        matter_code=referral.matter_code,
        place_town=referral.place_town,
        found_at=referral.found_at,
        facts=referral.facts,
        party=_party(referral),
        stop_measure=referral.stop_measure,
        stop_measure_at=referral.stop_measure_at,
        notified_at=referral.ongoing_notified_at,
        inform_due_at=due_at,
        late=late,
    )


def draft_withdrawn(referral: Referral) -> CaseDraftWithdrawn:
    """A draft withdrawn with a reason; its REF-03 clock stopped."""
    assert referral.withdrawn_at
    assert referral.withdrawn_by
    assert referral.withdrawal_reason
    return CaseDraftWithdrawn(
        referral_id=referral.id,
        sender=referral.sender,
        proposed_receiver=referral.receiver,
        reason=referral.withdrawal_reason,
        withdrawn_at=referral.withdrawn_at,
        withdrawn_by=referral.withdrawn_by,
        source=ReferralSource(kind=referral.source_kind, id=referral.source_id),
    )


def onward_referral_suspected(
    referral: Referral, resembling: list[Resemblance]
) -> CaseOnwardReferralSuspected:
    """REF-08: sent although it resembles a received, unfinished case (reason stated)."""
    assert referral.receiver
    assert referral.sent_at
    assert referral.distinct_case_reason
    grounds = sorted({g.value for r in resembling for g in r.grounds})
    return CaseOnwardReferralSuspected(
        referral_id=referral.id,
        sender=referral.sender,
        receiver=referral.receiver,
        resembles=[r.referral_id for r in resembling],
        grounds=grounds,
        distinct_case_reason=referral.distinct_case_reason,
        sent_at=referral.sent_at,
    )


def conclusion_period_changed(
    referral: Referral,
    *,
    handler: str,
    change: PeriodChange,
    at: datetime,
    by: str,
    reason: str,
    law: str | None,
    article: str | None,
    days: int | None,
    due_before: datetime,
    due_at: datetime,
    suspensions: int,
    extensions: int,
) -> CaseConclusionPeriodChanged:
    """REF-09: the conclusion period was suspended, resumed or extended."""
    assert referral.case_number
    return CaseConclusionPeriodChanged(
        referral_id=referral.id,
        handler=handler,
        sender=referral.sender,
        case_number=referral.case_number,
        change=change,
        reason=reason,
        law=law,
        article=article,
        days=days,
        changed_at=at,
        changed_by=by,
        due_before=due_before,
        due_at=due_at,
        suspensions=suspensions,
        extensions=extensions,
    )


def onward_referral_decided(
    referral: Referral, *, released: bool, reason: str, by: str, at: datetime
) -> CaseOnwardReferralDecided:
    """REF-08: the district government released or barred a held referral."""
    assert referral.receiver
    assert referral.held_at
    return CaseOnwardReferralDecided(
        referral_id=referral.id,
        sender=referral.sender,
        receiver=referral.receiver,
        decision=OnwardDecision.RELEASED if released else OnwardDecision.BARRED,
        reason=reason,
        decided_by=by,
        held_at=referral.held_at,
        decided_at=at,
    )
