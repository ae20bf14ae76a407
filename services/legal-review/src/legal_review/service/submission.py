"""The brigade's side: evaluate, submit, upload materials, answer a missing-materials notice."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from legal_review import events
from legal_review.domain import (
    Duty,
    MaterialKind,
    ReviewState,
    Step,
    TriggerHit,
    check_separation,
    evaluate_triggers,
    missing_materials,
    next_state,
)
from legal_review.errors import (
    CaseAlreadyUnderReview,
    ImplausibleTime,
    MaterialsStillMissing,
    NotAReviewParty,
    NothingMissing,
    ReviewNotRequired,
    SecondMaterialsNotice,
)
from legal_review.models import Review, ReviewMaterial, ReviewRound
from legal_review.schemas import MaterialsNoticeIn, ProposedDecisionIn, ResubmitIn, SubmitIn
from legal_review.service import requests
from legal_review.service.common import (
    HANDLER_ROLES,
    REVIEW,
    REVIEWER_ROLES,
    current_round,
    duties_of,
    material_kinds,
    require_town_role,
    same_case,
    serving_justice_office,
)
from legal_review.settings import ReviewSettings
from xietong_common import idempotency, materials
from xietong_common.auth import Principal
from xietong_common.calendar import DeadlineRule
from xietong_common.context import ServiceContext, settings_of
from xietong_common.contracts.review import ReviewOpinionKind
from xietong_common.parties import PartyKind
from xietong_common.records import insert_new, new_record
from xietong_common.reference import OrgKind, is_town
from xietong_common.uow import UnitOfWork


def evaluate(decision: ProposedDecisionIn, party_kind: PartyKind) -> list[TriggerHit]:
    """REV-01, without any state change."""
    return evaluate_triggers(decision.proposed(party_kind))


def _new_round(
    review: Review,
    number: int,
    decision: ProposedDecisionIn,
    party_kind: str,
    hits: list[TriggerHit],
    *,
    proposal: str,
    voluntary: bool,
    actor: Principal,
    at: datetime,
    correction_note: str | None = None,
) -> ReviewRound:
    return new_record(
        ReviewRound,
        review_id=review.id,
        number=number,
        party_kind=party_kind,
        fine=decision.fine,
        confiscated_gains=decision.confiscated_gains,
        confiscated_property_value=decision.confiscated_property_value,
        adjustment=decision.adjustment.value,
        hearing=decision.hearing,
        assessed=decision.assessed,
        judgements=dict(decision.judgements),
        triggers=[{"trigger": h.trigger.value, "reason": h.reason} for h in hits],
        voluntary=voluntary,
        proposal=proposal,
        correction_note=correction_note,
        submitted_by=actor.user,
        submitted_at=at,
        findings={},
        flaws=[],
    )


def supply_action(review: Review) -> str:
    """REV-05: what the brigade owes after the notice of its round (one deadline a round)."""
    return f"supply-materials:round-{review.round}"


SUBMIT_SCOPE = "review.submit"
MATERIAL_SCOPE = "review.material"
MAX_CLOCK_SKEW = timedelta(minutes=10)


# REV-07: opinions that send the case back to its brigade: the case continues in its review.
_BINDING_OPINIONS = (
    ReviewOpinionKind.CORRECT_AND_RESUBMIT.value,
    ReviewOpinionKind.DO_NOT_DECIDE.value,
)


async def check_no_other_review(uow: UnitOfWork, town: str, data: SubmitIn) -> None:
    """REV-02/REV-07: a case already under review, or given opinion (2) or (3), is not
    submitted afresh: a new review would start with no duties and no opinion. Its own review
    continues (opinion (2): a new round of the same review)."""
    party = data.party.model_dump(mode="json")
    case = same_case(
        town=town, case_number=data.case_number, matter_code=data.matter_code, party=party
    )
    open_states = [s.value for s in ReviewState if s is not ReviewState.DECIDED]
    binding = sa.select(ReviewRound.review_id).where(ReviewRound.opinion.in_(_BINDING_OPINIONS))
    earlier = (
        await uow.session.execute(
            sa.select(Review.id, Review.state)
            .where(case, sa.or_(Review.state.in_(open_states), Review.id.in_(binding)))
            .order_by(Review.created_at)
            .limit(1)
        )
    ).first()
    if earlier is not None:
        raise CaseAlreadyUnderReview(
            f"review {earlier.id} of this case ({earlier.state}) is to be continued: an open "
            "review goes on, and after opinion (2) the brigade resubmits in it "
            f"(POST /reviews/{earlier.id}/resubmit)",
            zh=f"该案件已有法制审核({earlier.id}，状态：{earlier.state})，应在原审核中继续；"
            "审核意见为(二)的，应在原审核中补充或更正后重新送审，不得另行送审",
            review_id=str(earlier.id),
            rule="REV-02",
        )


async def submit(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    data: SubmitIn,
    actor: Principal,
    idempotency_key: str | None,
) -> Review:
    """REV-01/04: the brigade submits the proposed decision; round 1 starts. Naming a review
    request of joint inspection (INSP-08) fulfils it: the decision will name its finding."""
    if not is_town(actor.org):
        raise NotAReviewParty(
            "legal review of major decisions is a town's duty (二(四))",
            zh="重大执法决定法制审核由乡镇(街道)送审(二(四))",
        )
    actor.require_role(*HANDLER_ROLES)
    replay = await idempotency.claim(
        uow, scope=SUBMIT_SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    if replay is not None:
        return await REVIEW.load_for(uow, uuid.UUID(replay), actor)
    ctx.directory.require(data.place_town, OrgKind.TOWN)
    if data.found_at > uow.now + MAX_CLOCK_SKEW:
        raise ImplausibleTime(
            "found_at lies in the future",
            zh="发现违法行为的时间(found_at)晚于当前时间",
            found_at=data.found_at.isoformat(),
        )
    ctx.catalogue.require(data.matter_code)
    request = (
        await requests.claim(
            uow, request_id=data.request_id, actor=actor, matter_code=data.matter_code
        )
        if data.request_id
        else None
    )
    await check_no_other_review(uow, actor.org, data)
    hits = evaluate(data.decision, data.party.kind)
    if not hits and not data.voluntary:
        raise ReviewNotRequired(
            "no REV-01 trigger applies to this decision; set voluntary=true to submit it anyway",
            zh="该决定不属于应当进行法制审核的情形；如仍需审核，请设置 voluntary=true 自愿送审",
            rule="REV-01",
        )
    review = REVIEW.new(
        id=uuid.uuid4(),
        town=actor.org,
        case_number=data.case_number,
        matter_code=data.matter_code,
        place_town=data.place_town,
        found_at=data.found_at,
        facts=data.facts,
        party=data.party.model_dump(mode="json"),
        state=ReviewState.SUBMITTED.value,
        round=1,
        handler=actor.user,
        joint_mode="none",
        joint_departments=[],
        town_justice_office=serving_justice_office(ctx.directory, actor.org),
        finding_id=request.finding_id if request else None,
        created_at=uow.now,
        updated_at=uow.now,
    )
    await REVIEW.insert(uow, review)
    await idempotency.remember(
        uow, scope=SUBMIT_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(review.id)
    )
    rnd = _new_round(
        review,
        1,
        data.decision,
        data.party.kind.value,
        hits,
        proposal=data.proposal,
        voluntary=not hits,
        actor=actor,
        at=uow.now,
    )
    await insert_new(uow, rnd)
    uow.publish(events.requested(review, rnd), key=str(review.id))
    REVIEW.audit(
        uow,
        review,
        "submitted",
        rule="REV-01",
        triggers=[h.trigger.value for h in hits],
        request_id=str(request.id) if request else None,
        finding_id=review.finding_id,
    )
    if request is not None:
        requests.fulfil(uow, request, review, actor)
    return review


async def resubmit(
    uow: UnitOfWork, *, review_id: uuid.UUID, data: ResubmitIn, actor: Principal
) -> Review:
    """REV-07 (2): the corrected proposal comes back as a new round on the same case."""
    review = await REVIEW.load_for(uow, review_id, actor)
    require_town_role(actor, review, *HANDLER_ROLES)
    previous = await current_round(uow.session, review)
    opinion = ReviewOpinionKind(previous.opinion) if previous.opinion else None
    next_state(REVIEW.state_of(review), Step.RESUBMIT, opinion=opinion)  # REV-07: after (2) only
    REVIEW.transition(review, Step.RESUBMIT, uow.now)
    check_separation(await duties_of(uow.session, review), person=actor.user, duty=Duty.HANDLING)
    hits = evaluate(data.decision, PartyKind(previous.party_kind))
    review.round += 1
    review.handler = actor.user
    rnd = _new_round(
        review,
        review.round,
        data.decision,
        previous.party_kind,
        hits,
        proposal=data.proposal,
        voluntary=not hits,
        actor=actor,
        at=uow.now,
        correction_note=data.correction_note,
    )
    uow.session.add(rnd)
    await uow.session.flush()
    uow.publish(events.requested(review, rnd), key=str(review.id))
    REVIEW.audit(uow, review, "resubmitted", rule="REV-07", correction=data.correction_note)
    return review


async def add_material(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    review_id: uuid.UUID,
    kind: MaterialKind,
    upload: materials.Upload,
    actor: Principal,
    idempotency_key: str | None = None,
) -> ReviewMaterial:
    """REV-04: the brigade uploads a material to the current round (once per Idempotency-Key)."""
    review = await REVIEW.load_for(uow, review_id, actor)
    require_town_role(actor, review, *HANDLER_ROLES)
    REVIEW.check(review, Step.ADD_MATERIAL)
    check_separation(await duties_of(uow.session, review), person=actor.user, duty=Duty.HANDLING)
    # Content-addressed: storing before the key is claimed stores nothing twice.
    stored = await materials.store_material(ctx, upload, fallback=f"{kind.value}.bin")
    material, added = await materials.add_material(
        uow,
        ReviewMaterial(review_id=review.id, round=review.round, kind=kind.value),
        stored,
        by=actor,
        claim=materials.Claim(
            MATERIAL_SCOPE, idempotency_key, {"review_id": str(review.id), "kind": kind.value}
        ),
    )
    if not added:
        return material
    review.updated_at = uow.now
    REVIEW.audit(
        uow, review, "material-added", rule="REV-04", kind=kind.value, sha256=stored.sha256
    )
    return material


async def notify_missing(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    review_id: uuid.UUID,
    data: MaterialsNoticeIn,
    actor: Principal,
) -> Review:
    """REV-05: tell the brigade once, listing everything missing, with a deadline."""
    review = await REVIEW.load_for(uow, review_id, actor)
    require_town_role(actor, review, *REVIEWER_ROLES)
    rnd = await current_round(uow.session, review, for_update=True)
    if rnd.notice_at is not None:
        raise SecondMaterialsNotice(
            "this submission already had its one notice of missing materials (一次性告知)",
            zh="本次送审已一次性告知过补正材料，不得再次告知",
            rule="REV-05",
            notified_at=rnd.notice_at.isoformat(),
        )
    REVIEW.transition(review, Step.REQUEST_MATERIALS, uow.now)
    check_separation(await duties_of(uow.session, review), person=actor.user, duty=Duty.REVIEW)
    # 一次性告知: there is no second notice, so it lists every REV-04 kind not yet uploaded
    # as well as whatever the reviewer names.
    absent = missing_materials(
        await material_kinds(uow.session, review), hearing=rnd.hearing, assessed=rnd.assessed
    )
    missing = [k for k in MaterialKind if k in {*absent, *data.missing}]
    if not missing and not data.items:
        raise NothingMissing(
            "nothing is missing: every required material is in; name what else is missing",
            zh="应当提交的材料均已提交；如还缺少其他材料，请列明",
            rule="REV-05",
        )
    days = data.working_days or settings_of(ctx, ReviewSettings).review_supply_working_days
    tracked = await REVIEW.start_deadline(
        uow,
        review,
        supply_action(review),
        calendar=ctx.calendar,
        rule=DeadlineRule.working_days(days, rule_id="REV-05"),
        organisation=review.town,
        # The brigade owes the town's own review body: no other party is kept waiting.
        counterparty=None,
        reference=review.case_number,
        assignee=review.handler,
    )
    rnd.notice_missing = [k.value for k in missing]
    rnd.notice_items = list(data.items)
    rnd.notice_by = actor.user
    rnd.notice_at = uow.now
    review.reviewer = review.reviewer or actor.user
    uow.publish(events.materials_missing(review, rnd, tracked, uow.now), key=str(review.id))
    REVIEW.audit(
        uow,
        review,
        "materials-missing",
        rule="REV-05",
        missing=rnd.notice_missing,
        items=rnd.notice_items,
        due_at=tracked.due_at.isoformat(),
    )
    return review


async def supply(uow: UnitOfWork, *, review_id: uuid.UUID, actor: Principal) -> Review:
    """REV-05: the brigade says the listed materials are in; the review resumes."""
    review = await REVIEW.load_for(uow, review_id, actor)
    require_town_role(actor, review, *HANDLER_ROLES)
    REVIEW.transition(review, Step.SUPPLY_MATERIALS, uow.now)
    check_separation(await duties_of(uow.session, review), person=actor.user, duty=Duty.HANDLING)
    rnd = await current_round(uow.session, review, for_update=True)
    have = set(await material_kinds(uow.session, review))
    still = [k for k in (rnd.notice_missing or []) if MaterialKind(k) not in have]
    if still:
        raise MaterialsStillMissing(
            "upload the materials listed in the notice first",
            zh="请先提交补正通知所列的材料：" + "、".join(MaterialKind(k).label_zh for k in still),
            missing=still,
            rule="REV-05",
        )
    rnd.supplied_at = uow.now
    await REVIEW.satisfy_deadline(uow, review, supply_action(review))
    REVIEW.audit(uow, review, "materials-supplied", rule="REV-05")
    return review
