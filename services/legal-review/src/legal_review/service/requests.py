"""INSP-08/REV-01: review requests from joint inspection. A violation an inspection found within
the town's jurisdiction, whose proposed decision hits a REV-01 trigger, arrives as a request
the town's review body sees (and its 司法所, REV-09, and the justice bureau); the town's
brigade fulfils it by submitting the review naming it (one review per request), and the head's
decision, naming the finding, is what the inspection's loop waits for."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from legal_review import events
from legal_review.domain import RequestState, ReviewState
from legal_review.errors import (
    ImplausibleTime,
    InvalidReviewTransition,
    NotAReviewParty,
    ReviewRequestFulfilled,
    ReviewRequestIsWithdrawn,
    ReviewRequestMismatch,
    ReviewRequestNotFound,
    ReviewRequestReasonMissing,
)
from legal_review.models import Review, ReviewRequest
from legal_review.service.common import (
    HANDLER_ROLES,
    LEADER_ROLES,
    MECHANISM,
    REVIEW,
    require_town_role,
    serving_justice_office,
)
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import InspectionReviewRequested
from xietong_common.listing import Listed, ListFilters
from xietong_common.pagination import PageParams
from xietong_common.reasons import MIN_REASON, is_stated
from xietong_common.records import RecordKind
from xietong_common.reference import OVERSIGHT_ORG, OrgKind, is_town, kind_of_code
from xietong_common.uow import UnitOfWork

MAX_CLOCK_SKEW = timedelta(minutes=10)
WITHDRAW_SCOPE = "review-request.withdraw"

REQUEST: RecordKind[ReviewRequest, RequestState, Any] = RecordKind(
    model=ReviewRequest,
    subject="review-request",
    mechanism=MECHANISM,
    name="review request",
    name_zh="法制审核提请",
    # The town that owes the submission, and the 司法所 serving it (REV-09); the justice
    # bureau reads them all.
    parties=lambda r: [r.town, r.town_justice_office],
    not_found=ReviewRequestNotFound,
    sort={"created_at": ReviewRequest.created_at, "updated_at": ReviewRequest.updated_at},
)


async def receive(
    uow: UnitOfWork, *, ctx: ServiceContext, event: InspectionReviewRequested
) -> ReviewRequest | None:
    """INSP-08/REV-01: joint inspection's finding becomes a tracked request of the town, with
    the checks a submission makes: legal review of major decisions is a town's (二(四)), of a
    town and a matter the reference data knows, found at a time that has passed. A request
    already kept (the same finding re-published) is kept once."""
    if not is_town(event.handling_org):
        raise NotAReviewParty(
            f"{event.handling_org!r} is not a town: legal review of major decisions is a "
            "town's duty (二(四))",
            zh=f"“{event.handling_org}”不是乡镇(街道)：重大执法决定法制审核由乡镇(街道)送审(二(四))",
            rule="REV-01",
        )
    ctx.directory.require(event.handling_org, OrgKind.TOWN)
    ctx.directory.require(event.place_town, OrgKind.TOWN)
    ctx.catalogue.require(event.matter_code)
    if event.found_at > uow.now + MAX_CLOCK_SKEW:
        raise ImplausibleTime(
            "found_at lies in the future",
            zh="发现违法行为的时间(found_at)晚于当前时间",
            found_at=event.found_at.isoformat(),
        )
    request_id = uuid.uuid4()
    added = (
        await uow.session.execute(
            insert(ReviewRequest)
            .values(
                id=request_id,
                finding_id=event.finding_id,
                inspection_id=event.inspection_id,
                order_number=event.order_number,
                visit_id=event.visit_id,
                target_id=event.target_id,
                town=event.handling_org,
                town_justice_office=serving_justice_office(ctx.directory, event.handling_org),
                place_town=event.place_town,
                matter_code=event.matter_code,
                matters_checked=list(event.matters_checked),
                found_at=event.found_at,
                facts=event.description,
                handling=event.handling,
                party=event.target.model_dump(mode="json"),
                triggers=[t.model_dump(mode="json") for t in event.triggers],
                state=RequestState.PENDING.value,
                requested_at=event.requested_at,
                created_at=uow.now,
                updated_at=uow.now,
            )
            .on_conflict_do_nothing(index_elements=[ReviewRequest.finding_id])
            .returning(ReviewRequest.id)
        )
    ).first()
    if added is None:
        return None
    request = await REQUEST.get(uow, request_id)
    REQUEST.audit(
        uow,
        request,
        "received",
        rule="REV-01",
        finding_id=event.finding_id,
        inspection_id=event.inspection_id,
        town=event.handling_org,
        matter_code=event.matter_code,
        triggers=[t.trigger for t in event.triggers],
    )
    return request


async def claim(
    uow: UnitOfWork, *, request_id: uuid.UUID, actor: Principal, matter_code: str
) -> ReviewRequest:
    """INSP-08/REV-01: the town's submission names the request it fulfils: the town's own
    (another's is not found), not yet fulfilled (one review per request), of its matter."""
    request = await REQUEST.get(uow, request_id)  # locked to the end of the submission
    if request.town != actor.org:
        raise REQUEST.missing()
    _require_not_withdrawn(request)
    if request.review_id is not None:
        raise ReviewRequestFulfilled(
            f"review request {request.id} was submitted as review {request.review_id}: the "
            "case goes on in that review",
            zh=f"该法制审核提请已于审核 {request.review_id} 中送审，应在原审核中继续",
            review_id=str(request.review_id),
            rule="REV-01",
        )
    if request.matter_code != matter_code:
        raise ReviewRequestMismatch(
            f"the review request is of matter {request.matter_code}, not {matter_code}",
            zh=f"该法制审核提请的执法事项为 {request.matter_code}，与送审事项 {matter_code} 不一致",
            matter_code=request.matter_code,
            rule="INSP-08",
        )
    return request


def fulfil(uow: UnitOfWork, request: ReviewRequest, review: Review, actor: Principal) -> None:
    """The request is submitted as this review (audited under the request)."""
    request.review_id, request.state = review.id, RequestState.SUBMITTED.value
    request.submitted_by, request.submitted_at = actor.user, uow.now
    request.updated_at = uow.now
    REQUEST.audit(
        uow,
        request,
        "submitted",
        rule="REV-01",
        review_id=str(review.id),
        finding_id=request.finding_id,
    )


async def link(
    uow: UnitOfWork, *, request_id: uuid.UUID, review_id: uuid.UUID, actor: Principal
) -> ReviewRequest:
    """INSP-08/REV-01: the town's review of the case, submitted before the request arrived or
    without naming it, fulfils the request (the case is not submitted twice, REV-02): the
    town's own, not yet decided, of the request's matter, fulfilling no other request."""
    # The review is locked before the request, in the order the head's decision locks them.
    review = await REVIEW.load_for(uow, review_id, actor)
    require_town_role(actor, review, *HANDLER_ROLES)
    request = await claim(uow, request_id=request_id, actor=actor, matter_code=review.matter_code)
    if review.finding_id is not None:
        raise ReviewRequestFulfilled(
            f"review {review.id} already fulfils the review request of finding "
            f"{review.finding_id}: one review per request",
            zh=f"审核 {review.id} 已对应另一法制审核提请（检查发现 {review.finding_id}）",
            review_id=str(review.id),
            rule="REV-01",
        )
    if REVIEW.state_of(review) is ReviewState.DECIDED:
        raise InvalidReviewTransition(
            "the review is decided: a request is linked to a review that has yet to decide, "
            "so that its decision names the finding",
            zh="该审核已作出决定，只能将法制审核提请对应尚未作出决定的审核",
            state=review.state,
            rule="REV-01",
        )
    review.finding_id, review.updated_at = request.finding_id, uow.now
    REVIEW.audit(
        uow,
        review,
        "request-linked",
        rule="REV-01",
        request_id=str(request.id),
        finding_id=request.finding_id,
    )
    fulfil(uow, request, review, actor)
    return request


def _require_not_withdrawn(request: ReviewRequest) -> None:
    if request.withdrawn_at is not None:
        raise ReviewRequestIsWithdrawn(
            f"review request {request.id} was withdrawn by the town: {request.withdrawal_reason}",
            zh=f"该法制审核提请已由乡镇(街道)撤回：{request.withdrawal_reason}",
            withdrawn_at=request.withdrawn_at.isoformat(),
            rule="REV-01",
        )


async def withdraw(
    uow: UnitOfWork,
    *,
    request_id: uuid.UUID,
    actor: Principal,
    reason: str,
    idempotency_key: str | None = None,
) -> ReviewRequest:
    """INSP-08/REV-01: after the finding the town lawfully decided not to pursue a penalty
    decision at all (the facts do not hold up, the case went elsewhere): its leader withdraws
    the request with a reason someone can rule on, before any review fulfilled it (a review
    submitted goes on to its decision). Joint inspection's loop takes the withdrawal
    (`review.request-withdrawn`) as its return. A retry with the same Idempotency-Key
    returns the request as the first withdrawal left it."""
    request = await REQUEST.load_for(uow, request_id, actor)  # locked; 司法所 read only
    if request.town != actor.org:
        raise REQUEST.missing()
    actor.require_role(*LEADER_ROLES)
    replay = await idempotency.claim(
        uow,
        scope=WITHDRAW_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"request_id": str(request_id), "reason": reason},
    )
    if replay is not None:
        return request
    _require_not_withdrawn(request)
    if request.review_id is not None:
        raise ReviewRequestFulfilled(
            f"review request {request.id} was submitted as review {request.review_id}: the "
            "review goes on to the head's decision, which closes the inspection's loop",
            zh=f"该法制审核提请已于审核 {request.review_id} 中送审，不能撤回，应由负责人作出决定",
            review_id=str(request.review_id),
            rule="REV-01",
        )
    reason = reason.strip()
    if not is_stated(reason):
        raise ReviewRequestReasonMissing(
            f"reason: withdrawing a review request needs a written reason of at least "
            f"{MIN_REASON} letters or characters",
            zh=f"reason：撤回法制审核提请应当书面说明理由（不少于{MIN_REASON}个字）",
            missing=["reason"],
            rule="REV-01",
        )
    before = request.state
    request.state = RequestState.WITHDRAWN.value
    request.withdrawn_at, request.withdrawn_by = uow.now, actor.user
    request.withdrawal_reason, request.updated_at = reason, uow.now
    uow.publish(events.request_withdrawn(request), key=request.inspection_id)
    REQUEST.audit(
        uow,
        request,
        "withdrawn",
        rule="REV-01",
        finding_id=request.finding_id,
        inspection_id=request.inspection_id,
        previous_state=before,
        reason=reason,
        related_rules=["INSP-08"],
    )
    await idempotency.remember(
        uow, scope=WITHDRAW_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(request.id)
    )
    return request


async def decided(uow: UnitOfWork, review: Review, at: datetime) -> None:
    """REV-08: the head decided the review that fulfils a request: the request is answered."""
    if review.finding_id is None:
        return
    request = (
        await uow.session.execute(
            sa.select(ReviewRequest).where(ReviewRequest.review_id == review.id).with_for_update()
        )
    ).scalar_one_or_none()
    if request is None:
        return
    request.state, request.decided_at, request.updated_at = (
        RequestState.DECIDED.value,
        at,
        uow.now,
    )
    REQUEST.audit(
        uow,
        request,
        "decided",
        rule="REV-08",
        review_id=str(review.id),
        outcome=review.decision_outcome,
    )


def _visible_to(principal: Principal) -> sa.ColumnElement[bool]:
    if principal.org == OVERSIGHT_ORG:
        return sa.true()
    if kind_of_code(principal.org) is OrgKind.JUSTICE_OFFICE:
        return ReviewRequest.town_justice_office == principal.org  # REV-09
    return ReviewRequest.town == principal.org


async def listed(
    session: AsyncSession,
    *,
    principal: Principal,
    state: RequestState | None,
    paging: PageParams,
    now: datetime,
) -> tuple[list[Listed[ReviewRequest]], int]:
    """The review requests the caller sees, newest first."""
    return await REQUEST.page(
        session,
        _visible_to(principal),
        filters=ListFilters(states=(state,) if state else ()),
        paging=paging,
        now=now,
    )
