"""Responses read from the rows (`View.of`: every field the row has, by name; the rest given)."""

from __future__ import annotations

from collections.abc import Sequence

from legal_review.domain import (
    DecisionOutcome,
    MaterialKind,
    RequestState,
    ReviewPoint,
    ReviewState,
)
from legal_review.models import (
    JointOpinion,
    JusticeOfficeAdvice,
    Review,
    ReviewMaterial,
    ReviewRequest,
    ReviewRound,
)
from legal_review.schemas import (
    AdviceOut,
    DecisionOut,
    FindingOut,
    JointOpinionOut,
    MaterialOut,
    MaterialsNoticeOut,
    ResponsibilityOut,
    ReviewDetail,
    ReviewOut,
    ReviewRequestOut,
    RoundOut,
)
from xietong_common.contracts.review import ReviewOpinionKind
from xietong_common.documents import IssuedDocument
from xietong_common.documents.schemas import document_out
from xietong_common.schemas import Label
from xietong_common.timeline import DeadlineOut


def _opinion(rnd: ReviewRound) -> Label | None:
    """REV-07: the opinion with its number in the notice, `(2) 予以纠正完善后再送法制审核`."""
    if not rnd.opinion:
        return None
    kind = ReviewOpinionKind(rnd.opinion)
    return Label(
        value=kind.value,
        label_zh=f"({kind.number}) {kind.label_zh}",
        label_en=f"({kind.number}) {kind.label_en}",
    )


def _notice(rnd: ReviewRound) -> MaterialsNoticeOut | None:
    if rnd.notice_at is None or rnd.notice_by is None:
        return None
    return MaterialsNoticeOut(
        missing=[MaterialKind(k) for k in rnd.notice_missing or []],
        items=rnd.notice_items or [],
        by=rnd.notice_by,
        at=rnd.notice_at,
        supplied_at=rnd.supplied_at,
    )


def round_out(rnd: ReviewRound) -> RoundOut:
    findings = [
        FindingOut(
            point=p,
            number=p.number,
            label_zh=p.label_zh,
            passed=rnd.findings.get(p.value, {}).get("passed"),
            note=rnd.findings.get(p.value, {}).get("note"),
            by=rnd.findings.get(p.value, {}).get("by"),
        )
        for p in ReviewPoint
    ]
    return RoundOut.of(rnd, materials_notice=_notice(rnd), findings=findings, opinion=_opinion(rnd))


def _decision(review: Review) -> DecisionOut | None:
    if not (review.decision_outcome and review.decider and review.decided_at):
        return None
    return DecisionOut(
        outcome=DecisionOutcome(review.decision_outcome),
        reason=review.decision_reason,
        against_opinion=bool(review.against_opinion),
        decision_number=review.decision_number,
        execution=review.execution,
        decided_by=review.decider,
        decided_at=review.decided_at,
    )


def review_out(review: Review, rnd: ReviewRound, due: Sequence[DeadlineOut]) -> ReviewOut:
    return ReviewOut.of(review, **_given(review, rnd, due))


def _given(review: Review, rnd: ReviewRound, due: Sequence[DeadlineOut]) -> dict[str, object]:
    return {
        "state": Label.of(ReviewState(review.state)),
        "current": round_out(rnd),
        "due": list(due),
        "decision": _decision(review),
        "responsibility": ResponsibilityOut(
            materials=review.handler,
            opinion=rnd.opinion_by or review.reviewer,
            decision=review.decider,
        ),
    }


def detail_out(
    review: Review,
    rnd: ReviewRound,
    due: Sequence[DeadlineOut],
    *,
    rounds: Sequence[ReviewRound],
    materials: Sequence[ReviewMaterial],
    joint_opinions: Sequence[JointOpinion],
    advice: Sequence[JusticeOfficeAdvice],
    documents: Sequence[IssuedDocument],
) -> ReviewDetail:
    return ReviewDetail.of(
        review,
        **_given(review, rnd, due),
        rounds=[round_out(r) for r in rounds],
        materials=[material_out(m) for m in materials],
        joint_opinions=[joint_out(j) for j in joint_opinions],
        advice=[advice_out(a) for a in advice],
        documents=[document_out(d) for d in documents],
    )


def material_out(m: ReviewMaterial) -> MaterialOut:
    return MaterialOut.of(m)


def joint_out(j: JointOpinion) -> JointOpinionOut:
    return JointOpinionOut.of(j)


def advice_out(a: JusticeOfficeAdvice) -> AdviceOut:
    return AdviceOut.of(a)


def request_out(r: ReviewRequest) -> ReviewRequestOut:
    return ReviewRequestOut.of(r, state=Label.of(RequestState(r.state)))
