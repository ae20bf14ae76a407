"""The events the enforcement assistance service publishes: builders of its contracts (module
`xietong_common.contracts.assistance`), published through the outbox (`uow.publish`), keyed by
the request id so one request's events stay in order."""

from __future__ import annotations

from assistance.domain import MaterialKind
from assistance.models import AssistanceRequest, ExtensionRequest, ObstructionFlag
from xietong_common.contracts.assistance import (
    AssignedOfficer,
    AssistanceAccepted,
    AssistanceCompleted,
    AssistanceDelivered,
    AssistanceExtended,
    AssistanceGround,
    AssistanceObstructionFlagged,
    AssistanceRefusalContested,
    AssistanceRefusalRuled,
    AssistanceRefused,
    AssistanceRequested,
    AssistanceWithdrawn,
    CaseKind,
    CaseRef,
    ObstructionKind,
    RefusalGround,
    ResultKind,
    RulingDecision,
)
from xietong_common.deadlines import TrackedDeadline


def requested(r: AssistanceRequest, respond_due: TrackedDeadline) -> AssistanceRequested:
    """ASSIST-01: the town asked; ASSIST-04's response deadline runs."""
    assert r.submitted_at
    return AssistanceRequested(
        request_id=str(r.id),
        town=r.town,
        department=r.department,
        proposed_department=r.proposed_department,
        within_powers=r.within_powers,
        matter_code=r.matter_code,
        ground=AssistanceGround(r.ground),
        ground_description=r.ground_description,
        needed=r.needed,
        materials_holder=r.materials_holder,
        case=CaseRef(kind=CaseKind(r.case_kind), id=r.case_id)
        if r.case_kind and r.case_id
        else None,
        urgent=r.urgent,
        needed_by=r.needed_by,
        attachments=len(r.materials),
        submitted_at=r.submitted_at,
        respond_due_at=respond_due.due_at,
        respond_due_provisional=respond_due.provisional,
    )


def accepted(
    r: AssistanceRequest, complete_due: TrackedDeadline, *, late: bool
) -> AssistanceAccepted:
    """ASSIST-02: accepted, with the officers and the agreed completion date."""
    assert r.accepted_at
    assert r.agreed_completion_date
    return AssistanceAccepted(
        request_id=str(r.id),
        town=r.town,
        department=r.department,
        officers=[
            AssignedOfficer(
                name=o.name,
                certificate_number=o.certificate_number,
                seconded=o.seconded,
                officer_id=o.officer_id,
                team_id=o.team_id,
            )
            for o in r.officers
        ],
        agreed_completion_date=r.agreed_completion_date,
        complete_due_at=complete_due.due_at,
        later_than_needed=bool(r.needed_by and r.agreed_completion_date > r.needed_by),
        accepted_at=r.accepted_at,
        late=late,
    )


def refused(r: AssistanceRequest, *, late: bool) -> AssistanceRefused:
    """ASSIST-03: refused with its legal ground and reasons (for oversight)."""
    assert r.refused_at
    assert r.refusal_ground
    assert r.refusal_reason
    return AssistanceRefused(
        request_id=str(r.id),
        town=r.town,
        department=r.department,
        matter_code=r.matter_code,
        proposed_department=r.proposed_department,
        ground=RefusalGround(r.refusal_ground),
        law=r.refusal_law,
        article=r.refusal_article,
        reason=r.refusal_reason,
        after_acceptance=r.refused_after_acceptance,
        refused_at=r.refused_at,
        late=late,
        owned_matter=r.refused_owned_matter,
    )


def delivered(r: AssistanceRequest, *, late: bool) -> AssistanceDelivered:
    """ASSIST-02: the result reached the town, which confirms or returns it."""
    assert r.delivered_at
    assert r.result_kind
    assert r.result_summary
    return AssistanceDelivered(
        request_id=str(r.id),
        town=r.town,
        department=r.department,
        result_kind=ResultKind(r.result_kind),
        summary=r.result_summary,
        results=sum(1 for m in r.materials if m.kind == MaterialKind.RESULT.value),
        delivered_at=r.delivered_at,
        late=late,
    )


def completed(r: AssistanceRequest, *, late: bool) -> AssistanceCompleted:
    """ASSIST-02: the town confirmed the result."""
    assert r.accepted_at
    assert r.delivered_at
    assert r.confirmed_at
    assert r.result_kind
    assert r.agreed_completion_date
    return AssistanceCompleted(
        request_id=str(r.id),
        town=r.town,
        department=r.department,
        result_kind=ResultKind(r.result_kind),
        accepted_at=r.accepted_at,
        delivered_at=r.delivered_at,
        confirmed_at=r.confirmed_at,
        agreed_completion_date=r.agreed_completion_date,
        late=late,
        extensions=r.extensions_agreed,
        returns=r.returns,
    )


def extended(r: AssistanceRequest, extension: ExtensionRequest) -> AssistanceExtended:
    """ASSIST-04: the completion date moved with the town's agreement."""
    assert extension.decided_at
    return AssistanceExtended(
        request_id=str(r.id),
        town=r.town,
        department=r.department,
        previous_date=extension.previous_date,
        agreed_completion_date=extension.proposed_date,
        reason=extension.reason,
        extension=r.extensions_agreed,
        agreed_at=extension.decided_at,
    )


def withdrawn(r: AssistanceRequest, *, state: str) -> AssistanceWithdrawn:
    """ASSIST-01: the town withdrew its request."""
    assert r.withdrawn_at
    assert r.withdrawal_reason
    return AssistanceWithdrawn(
        request_id=str(r.id),
        town=r.town,
        department=r.department,
        state=state,
        reason=r.withdrawal_reason,
        withdrawn_at=r.withdrawn_at,
    )


def obstruction_flagged(
    r: AssistanceRequest, flag: ObstructionFlag
) -> AssistanceObstructionFlagged:
    """ASSIST-02: 推诿、刁难 flagged by the town, for oversight."""
    return AssistanceObstructionFlagged(
        request_id=str(r.id),
        flag_id=str(flag.id),
        town=flag.town,
        department=flag.department,
        kind=ObstructionKind(flag.kind),
        reason=flag.reason,
        state=flag.state,
        flagged_at=flag.flagged_at,
    )


def refusal_contested(r: AssistanceRequest) -> AssistanceRefusalContested:
    """ASSIST-03: the town contests the refusal, for the justice bureau's ruling."""
    assert r.refusal_ground
    assert r.contest_reason
    assert r.contested_at
    return AssistanceRefusalContested(
        request_id=str(r.id),
        town=r.town,
        department=r.department,
        matter_code=r.matter_code,
        ground=RefusalGround(r.refusal_ground),
        owned_matter=r.refused_owned_matter,
        reason=r.contest_reason,
        contested_at=r.contested_at,
    )


def refusal_ruled(r: AssistanceRequest) -> AssistanceRefusalRuled:
    """ASSIST-03: the justice bureau's ruling on the refusal."""
    assert r.refusal_ground
    assert r.ruling_decision
    assert r.ruling_reason
    assert r.ruled_at
    return AssistanceRefusalRuled(
        request_id=str(r.id),
        town=r.town,
        department=r.department,
        matter_code=r.matter_code,
        ground=RefusalGround(r.refusal_ground),
        owned_matter=r.refused_owned_matter,
        contested=r.contested_at is not None,
        decision=RulingDecision(r.ruling_decision),
        reason=r.ruling_reason,
        ruled_at=r.ruled_at,
    )
