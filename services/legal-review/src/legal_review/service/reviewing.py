"""The review body's side and after: take, nine points, opinion, decision; joint modes; 司法所."""

from __future__ import annotations

import uuid

from legal_review import events
from legal_review.domain import (
    Duty,
    JointMode,
    PointFinding,
    ReviewPoint,
    Step,
    check_decision,
    check_opinion,
    check_separation,
    next_state,
)
from legal_review.errors import (
    JointModeError,
    NotAReviewParty,
    ReviewInvalidInput,
)
from legal_review.models import JointOpinion, JusticeOfficeAdvice, Review, ReviewRound
from legal_review.schemas import (
    DecisionIn,
    JointIn,
    JointOpinionIn,
    JusticeOfficeAdviceIn,
    OpinionIn,
    PointIn,
)
from legal_review.service import requests
from legal_review.service.common import (
    HEAD_ROLES,
    JOINT_ROLES,
    REVIEW,
    REVIEWER_ROLES,
    TOWN_ROLES,
    check_materials_complete,
    current_round,
    duties_of,
    require_town_role,
)
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.review import ReviewOpinionKind
from xietong_common.reference import OrgKind, UnknownOrganisation
from xietong_common.uow import UnitOfWork

JOINT_SCOPE = "review.joint-opinion"
ADVICE_SCOPE = "review.advice"


def findings_of(rnd: ReviewRound) -> dict[ReviewPoint, PointFinding]:
    return {
        ReviewPoint(k): PointFinding(passed=bool(v["passed"]), note=str(v.get("note", "")))
        for k, v in rnd.findings.items()
    }


async def take(uow: UnitOfWork, *, review_id: uuid.UUID, actor: Principal) -> Review:
    """The review body's reviewer takes the case (REV-02: never its handler), once the
    materials REV-04 requires are in (REV-05's notice asks for what is missing)."""
    review = await REVIEW.load_for(uow, review_id, actor)
    require_town_role(actor, review, *REVIEWER_ROLES)
    REVIEW.transition(review, Step.TAKE, uow.now)
    check_separation(await duties_of(uow.session, review), person=actor.user, duty=Duty.REVIEW)
    await check_materials_complete(uow.session, review, what="take up the review")
    review.reviewer = actor.user
    REVIEW.audit(uow, review, "taken", rule="REV-02", reviewer=actor.user)
    return review


async def _reviewer_round(
    uow: UnitOfWork, review_id: uuid.UUID, actor: Principal, step: Step
) -> tuple[Review, ReviewRound]:
    review = await REVIEW.load_for(uow, review_id, actor)
    require_town_role(actor, review, *REVIEWER_ROLES)
    REVIEW.transition(review, step, uow.now)
    check_separation(await duties_of(uow.session, review), person=actor.user, duty=Duty.REVIEW)
    if review.reviewer and review.reviewer != actor.user:
        raise NotAReviewParty(
            f"{review.reviewer} is this review's reviewer",
            zh=f"本审核的审核人员是 {review.reviewer}",
        )
    review.reviewer = actor.user
    return review, await current_round(uow.session, review, for_update=True)


async def record_point(
    uow: UnitOfWork, *, review_id: uuid.UUID, point: ReviewPoint, data: PointIn, actor: Principal
) -> Review:
    """REV-06: one of the nine points, passed or failed, with a note."""
    review, rnd = await _reviewer_round(uow, review_id, actor, Step.RECORD_POINT)
    if point is ReviewPoint.FACTS_AND_EVIDENCE and data.passed:
        # Point (3) includes 材料是否齐全: it cannot pass while a required material is missing.
        await check_materials_complete(uow.session, review, what="pass point (3)")
    rnd.findings = {
        **rnd.findings,
        point.value: {"passed": data.passed, "note": data.note, "by": actor.user},
    }
    REVIEW.audit(
        uow, review, "point-recorded", rule="REV-06", point=point.value, passed=data.passed
    )
    return review


async def give_opinion(
    uow: UnitOfWork, *, ctx: ServiceContext, review_id: uuid.UUID, data: OpinionIn, actor: Principal
) -> Review:
    """REV-07: the written opinion, one of five, once all nine points are answered."""
    review, rnd = await _reviewer_round(uow, review_id, actor, Step.GIVE_OPINION)
    if data.transfer_to is not None:
        ctx.directory.require(data.transfer_to, OrgKind.TOWN, OrgKind.DEPARTMENT)
        if data.transfer_to == review.town:
            raise ReviewInvalidInput(
                "opinion (4) names another agency than the town itself",
                zh="移送意见应当写明本乡镇(街道)以外的有管辖权机关",
                rule="REV-07",
            )
    check_opinion(
        data.opinion,
        findings_of(rnd),
        transfer_to=data.transfer_to,
        flaws=data.flaws,
        judicial_organ=data.judicial_organ,
    )
    rnd.opinion = data.opinion.value
    rnd.opinion_reasons = data.reasons
    rnd.flaws = list(data.flaws)
    rnd.transfer_to = (
        data.transfer_to if data.opinion is ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY else None
    )
    rnd.judicial_organ = (
        data.judicial_organ
        if data.opinion is ReviewOpinionKind.TRANSFER_TO_JUDICIAL_ORGANS
        else None
    )
    rnd.opinion_by = actor.user
    rnd.opinion_at = uow.now
    uow.publish(events.opinion_given(review, rnd), key=str(review.id))
    REVIEW.audit(
        uow,
        review,
        "opinion-given",
        rule="REV-07",
        opinion=data.opinion.value,
        transfer_to=rnd.transfer_to,
        judicial_organ=rnd.judicial_organ,
    )
    return review


async def decide(
    uow: UnitOfWork, *, review_id: uuid.UUID, data: DecisionIn, actor: Principal
) -> Review:
    """REV-08: the agency head decides; against the opinion only with a written reason."""
    review = await REVIEW.load_for(uow, review_id, actor)
    require_town_role(actor, review, *HEAD_ROLES)
    rnd = await current_round(uow.session, review)
    opinion = ReviewOpinionKind(rnd.opinion) if rnd.opinion else None
    next_state(REVIEW.state_of(review), Step.DECIDE, opinion=opinion)  # REV-07: not after (2)
    REVIEW.transition(review, Step.DECIDE, uow.now)
    assert opinion is not None
    check_separation(await duties_of(uow.session, review), person=actor.user, duty=Duty.DECISION)
    against = check_decision(opinion, data.outcome, data.reason)
    review.decider = actor.user
    review.decision_outcome = data.outcome.value
    review.decision_reason = data.reason
    review.against_opinion = against
    review.decision_number = data.decision_number
    review.execution = data.execution
    review.decided_at = uow.now
    uow.publish(events.decided(review, rnd), key=str(review.id))
    REVIEW.audit(
        uow, review, "decided", rule="REV-08", outcome=data.outcome.value, against_opinion=against
    )
    await requests.decided(uow, review, uow.now)
    return review


async def add_joint(
    uow: UnitOfWork, *, ctx: ServiceContext, review_id: uuid.UUID, data: JointIn, actor: Principal
) -> Review:
    """REV-03: 一案双审 or 联合会审 with district departments."""
    review = await REVIEW.load_for(uow, review_id, actor)
    require_town_role(actor, review, *JOINT_ROLES)
    REVIEW.transition(review, Step.JOINT, uow.now)
    for dept in data.departments:
        ctx.directory.require(dept, OrgKind.DEPARTMENT)
    review.joint_mode = JointMode(data.mode).value
    review.joint_departments = sorted({*review.joint_departments, *data.departments})
    REVIEW.audit(
        uow,
        review,
        "joint-mode",
        rule="REV-03",
        mode=data.mode,
        departments=review.joint_departments,
    )
    return review


async def give_joint_opinion(
    uow: UnitOfWork,
    *,
    review_id: uuid.UUID,
    data: JointOpinionIn,
    actor: Principal,
    idempotency_key: str | None = None,
) -> JointOpinion:
    """REV-03: a department's parallel opinion, or the joint meeting's opinion and minutes
    (once per Idempotency-Key)."""
    review = await REVIEW.load_for(uow, review_id, actor)
    REVIEW.check(review, Step.JOINT)
    mode = JointMode(review.joint_mode)
    if mode is JointMode.NONE:
        raise JointModeError(
            "this review has no joint mode (REV-03)",
            zh="本审核未采用一案双审或联合会审",
            rule="REV-03",
        )
    if mode is JointMode.DUAL_REVIEW:
        if actor.org not in review.joint_departments:
            raise NotAReviewParty(
                "the parallel opinion of 一案双审 comes from an invited department",
                zh="一案双审的审核意见由受邀的区级部门出具",
            )
        actor.require_role(*REVIEWER_ROLES)
    else:
        require_town_role(actor, review, *REVIEWER_ROLES)
        if not data.participants or not data.minutes:
            raise JointModeError(
                "联合会审 records its participants and minutes",
                zh="联合会审应当记录参会人员(participants)和会议纪要(minutes)",
                rule="REV-03",
            )
    check_separation(await duties_of(uow.session, review), person=actor.user, duty=Duty.REVIEW)
    replay = await idempotency.claim(
        uow,
        scope=JOINT_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"review_id": str(review.id), **data.model_dump(mode="json")},
    )
    if replay is not None:
        found = await uow.session.get(JointOpinion, uuid.UUID(replay))
        assert found is not None
        return found
    joint = JointOpinion(
        review_id=review.id,
        round=review.round,
        mode=mode.value,
        org=actor.org,
        person=actor.user,
        opinion=data.opinion.value,
        reasons=data.reasons,
        participants=list(data.participants),
        minutes=data.minutes,
        given_at=uow.now,
    )
    uow.session.add(joint)
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=JOINT_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(joint.id)
    )
    review.updated_at = uow.now
    REVIEW.audit(
        uow,
        review,
        "joint-opinion",
        rule="REV-03",
        mode=mode.value,
        org=actor.org,
        opinion=data.opinion.value,
    )
    return joint


async def add_justice_office(uow: UnitOfWork, *, review_id: uuid.UUID, actor: Principal) -> Review:
    """REV-09: the town adds the 司法所 serving it to coordinate its legal advisers."""
    review = await REVIEW.load_for(uow, review_id, actor)
    require_town_role(actor, review, *TOWN_ROLES)
    office = review.town_justice_office
    if office is None:
        raise UnknownOrganisation(
            f"the directory lists no 司法所 serving {review.town}",
            zh=f"单位名录中没有为 {review.town} 服务的司法所",
            organisation=review.town,
            rule="REV-09",
        )
    review.justice_office, review.updated_at = office, uow.now
    REVIEW.audit(uow, review, "justice-office-added", rule="REV-09", office=office)
    return review


async def give_advice(
    uow: UnitOfWork,
    *,
    review_id: uuid.UUID,
    data: JusticeOfficeAdviceIn,
    actor: Principal,
    idempotency_key: str | None = None,
) -> JusticeOfficeAdvice:
    """REV-09: the 司法所, once added, records the legal advisers' advice it coordinated
    (once per Idempotency-Key)."""
    review = await REVIEW.load_for(uow, review_id, actor)
    if review.justice_office is None or actor.org != review.justice_office:
        raise NotAReviewParty(
            "only the town's 司法所, once added to the review, gives advice here",
            zh="只有已加入本审核的本乡镇(街道)司法所可以提出意见",
        )
    replay = await idempotency.claim(
        uow,
        scope=ADVICE_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"review_id": str(review.id), **data.model_dump(mode="json")},
    )
    if replay is not None:
        found = await uow.session.get(JusticeOfficeAdvice, uuid.UUID(replay))
        assert found is not None
        return found
    advice = JusticeOfficeAdvice(
        review_id=review.id,
        org=actor.org,
        person=actor.user,
        advisers=list(data.advisers),
        note=data.note,
        given_at=uow.now,
    )
    uow.session.add(advice)
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=ADVICE_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(advice.id)
    )
    review.updated_at = uow.now
    REVIEW.audit(uow, review, "advice", rule="REV-09", advisers=list(data.advisers))
    return advice
