"""The events legal review publishes (contracts in `xietong_common.contracts.review`).

Built from the rows in the same unit of work that changes them and published through the
outbox (`uow.publish`), keyed by the review id so a review's events stay in order. A review
starts with the brigade's submission, which may fulfil a review request joint inspection sent
(`handlers.py`); its decision then names the finding.
"""

from __future__ import annotations

from datetime import datetime

from legal_review.models import Review, ReviewRequest, ReviewRound
from xietong_common.contracts.review import (
    CaseParty,
    CaseSummary,
    ReviewDecided,
    ReviewMaterialsMissing,
    ReviewOpinionGiven,
    ReviewOpinionKind,
    ReviewRequested,
    ReviewRequestWithdrawn,
)
from xietong_common.deadlines import TrackedDeadline


def case_summary(review: Review) -> CaseSummary:
    """What another mechanism needs to know of the case, so nobody retypes it."""
    return CaseSummary(
        matter_code=review.matter_code,
        place_town=review.place_town,
        found_at=review.found_at,
        facts=review.facts,
        party=CaseParty.model_validate(review.party),
        case_number=review.case_number,
    )


def requested(review: Review, rnd: ReviewRound) -> ReviewRequested:
    """REV-01/04: a round was submitted."""
    return ReviewRequested(
        review_id=review.id,
        round=rnd.number,
        submitting_org=review.town,
        reviewing_org=review.town,
        handler=rnd.submitted_by,
        triggers=[t["trigger"] for t in rnd.triggers],
        voluntary=rnd.voluntary,
        case=case_summary(review),
        submitted_at=rnd.submitted_at,
    )


def materials_missing(
    review: Review, rnd: ReviewRound, due: TrackedDeadline, at: datetime
) -> ReviewMaterialsMissing:
    """REV-05: the one notice of missing materials."""
    return ReviewMaterialsMissing(
        review_id=review.id,
        round=rnd.number,
        submitting_org=review.town,
        missing=list(rnd.notice_missing or []),
        items=list(rnd.notice_items or []),
        due_at=due.due_at,
        due_provisional=due.provisional,
        notified_at=at,
    )


def opinion_given(review: Review, rnd: ReviewRound) -> ReviewOpinionGiven:
    """REV-07: the written opinion; opinion (4) lets the referral service draft the referral."""
    assert rnd.opinion is not None
    assert rnd.opinion_by is not None
    assert rnd.opinion_at is not None
    return ReviewOpinionGiven(
        review_id=review.id,
        round=rnd.number,
        submitting_org=review.town,
        reviewing_org=review.town,
        opinion=ReviewOpinionKind(rnd.opinion),
        reasons=rnd.opinion_reasons or "",
        transfer_to=rnd.transfer_to,
        judicial_organ=rnd.judicial_organ,
        flaws=list(rnd.flaws),
        case=case_summary(review),
        reviewer=rnd.opinion_by,
        issued_at=rnd.opinion_at,
    )


def decided(review: Review, rnd: ReviewRound) -> ReviewDecided:
    """REV-08: the agency head's decision — INFO-04's category-4 item (decision and execution)."""
    assert rnd.opinion is not None
    assert review.decision_outcome is not None
    assert review.decider is not None
    assert review.decided_at is not None
    return ReviewDecided(
        review_id=review.id,
        round=rnd.number,
        town=review.town,
        outcome=review.decision_outcome,
        opinion=ReviewOpinionKind(rnd.opinion),
        against_opinion=bool(review.against_opinion),
        reason=review.decision_reason,
        decider=review.decider,
        case=case_summary(review),
        fine=rnd.fine,
        confiscated_gains=rnd.confiscated_gains,
        confiscated_property_value=rnd.confiscated_property_value,
        decision_number=review.decision_number,
        execution=review.execution,
        decided_at=review.decided_at,
        finding_id=review.finding_id,
    )


def request_withdrawn(request: ReviewRequest) -> ReviewRequestWithdrawn:
    """INSP-08/REV-01: the town withdrew the review request; the inspection's loop returns."""
    assert request.withdrawn_at
    assert request.withdrawn_by
    assert request.withdrawal_reason
    return ReviewRequestWithdrawn(
        request_id=request.id,
        finding_id=request.finding_id,
        inspection_id=request.inspection_id,
        town=request.town,
        reason=request.withdrawal_reason,
        withdrawn_by=request.withdrawn_by,
        withdrawn_at=request.withdrawn_at,
    )
