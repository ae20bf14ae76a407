"""Turning rows into API responses."""

from __future__ import annotations

from legal_review.domain import (
    DecisionOutcome,
    JointMode,
    MaterialKind,
    PenaltyAdjustment,
    ReviewPoint,
    ReviewState,
)
from legal_review.models import (
    JointOpinion,
    JusticeOfficeAdvice,
    Review,
    ReviewMaterial,
    ReviewRound,
)
from legal_review.schemas import (
    AdviceOut,
    DecisionOut,
    FindingOut,
    JointOpinionOut,
    MaterialOut,
    MaterialsNoticeOut,
    PartyOut,
    RecordedTrigger,
    ResponsibilityOut,
    ReviewOut,
    RoundOut,
)
from xietong_common.contracts.review import ReviewOpinionKind
from xietong_common.parties import PartyKind
from xietong_common.schemas import Label
from xietong_common.timeline import DeadlineOut


def state_label(state: str) -> Label:
    s = ReviewState(state)
    return Label.of(s)


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
    opinion = None
    if rnd.opinion:
        kind = ReviewOpinionKind(rnd.opinion)
        opinion = Label(
            value=kind.value,
            label_zh=f"({kind.number}) {kind.label_zh}",
            label_en=f"({kind.number}) {kind.label_en}",
        )
    notice = None
    if rnd.notice_at is not None and rnd.notice_by is not None:
        notice = MaterialsNoticeOut(
            missing=[MaterialKind(k) for k in rnd.notice_missing or []],
            items=rnd.notice_items or [],
            by=rnd.notice_by,
            at=rnd.notice_at,
            supplied_at=rnd.supplied_at,
        )
    return RoundOut(
        number=rnd.number,
        party_kind=PartyKind(rnd.party_kind),
        fine=rnd.fine,
        confiscated_gains=rnd.confiscated_gains,
        confiscated_property_value=rnd.confiscated_property_value,
        adjustment=PenaltyAdjustment(rnd.adjustment),
        hearing=rnd.hearing,
        assessed=rnd.assessed,
        triggers=[RecordedTrigger.model_validate(t) for t in rnd.triggers],
        voluntary=rnd.voluntary,
        proposal=rnd.proposal,
        correction_note=rnd.correction_note,
        submitted_by=rnd.submitted_by,
        submitted_at=rnd.submitted_at,
        materials_notice=notice,
        findings=findings,
        opinion=opinion,
        opinion_reasons=rnd.opinion_reasons,
        flaws=rnd.flaws,
        transfer_to=rnd.transfer_to,
        judicial_organ=rnd.judicial_organ,
        opinion_by=rnd.opinion_by,
        opinion_at=rnd.opinion_at,
    )


def review_out(review: Review, rnd: ReviewRound, due: list[DeadlineOut]) -> ReviewOut:
    decision = None
    if review.decision_outcome and review.decider and review.decided_at:
        decision = DecisionOut(
            outcome=DecisionOutcome(review.decision_outcome),
            reason=review.decision_reason,
            against_opinion=bool(review.against_opinion),
            decision_number=review.decision_number,
            execution=review.execution,
            decided_by=review.decider,
            decided_at=review.decided_at,
        )
    return ReviewOut(
        id=review.id,
        town=review.town,
        state=state_label(review.state),
        round=review.round,
        case_number=review.case_number,
        matter_code=review.matter_code,
        place_town=review.place_town,
        found_at=review.found_at,
        facts=review.facts,
        party=PartyOut.model_validate(review.party),
        handler=review.handler,
        reviewer=review.reviewer,
        decider=review.decider,
        joint_mode=JointMode(review.joint_mode),
        joint_departments=review.joint_departments,
        town_justice_office=review.town_justice_office,
        justice_office=review.justice_office,
        current=round_out(rnd),
        due=due,
        decision=decision,
        responsibility=ResponsibilityOut(
            materials=review.handler,
            opinion=rnd.opinion_by or review.reviewer,
            decision=review.decider,
        ),
        created_at=review.created_at,
        updated_at=review.updated_at,
    )


def material_out(m: ReviewMaterial) -> MaterialOut:
    return MaterialOut(
        id=m.id,
        round=m.round,
        kind=MaterialKind(m.kind),
        filename=m.filename,
        sha256=m.sha256,
        size=m.size,
        content_type=m.content_type,
        uploaded_by=m.uploaded_by,
        uploaded_at=m.uploaded_at,
    )


def joint_out(j: JointOpinion) -> JointOpinionOut:
    return JointOpinionOut(
        id=j.id,
        round=j.round,
        mode=JointMode(j.mode),
        org=j.org,
        person=j.person,
        opinion=ReviewOpinionKind(j.opinion),
        reasons=j.reasons,
        participants=j.participants,
        minutes=j.minutes,
        given_at=j.given_at,
    )


def advice_out(a: JusticeOfficeAdvice) -> AdviceOut:
    return AdviceOut(
        id=a.id, org=a.org, person=a.person, advisers=a.advisers, note=a.note, given_at=a.given_at
    )
