"""Review requests from joint inspection (INSP-08/REV-01): what the town owes a submission for."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from legal_review.api.common import TOWN
from legal_review.domain import RequestState
from legal_review.schemas import (
    RequestLinkIn,
    RequestWithdrawIn,
    ReviewRequestOut,
    ReviewRequestPage,
)
from legal_review.service import requests
from legal_review.service.common import HANDLER_ROLES, LEADER_ROLES
from legal_review.service.requests import REQUEST
from legal_review.views import request_out
from xietong_common.timeline import TimelineEntry
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey, Paging
from xietong_common.web.problems import READ_ERRORS, WRITE_ERRORS, problem_responses

router = APIRouter(prefix="/review-requests", tags=["reviews"])


@router.get(
    "",
    response_model=ReviewRequestPage,
    summary="INSP-08/REV-01: the findings of joint inspections that need the town's review",
    responses=problem_responses(401, 422),
    dependencies=[Allowed(roles=ANY)],
)
async def list_requests(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    state: Annotated[
        RequestState | None, Query(description="pending, submitted, decided, withdrawn")
    ] = None,
) -> ReviewRequestPage:
    """A town sees the requests it owes a submission for; a 司法所 those of the town it serves
    (REV-09); the justice bureau all. Newest first."""
    async with ctx.db.session() as session:
        shown, total = await requests.listed(
            session, principal=principal, state=state, paging=paging, now=ctx.clock.now()
        )
    return ReviewRequestPage.of([request_out(x.record) for x in shown], total=total, paging=paging)


@router.get(
    "/{request_id:uuid}",
    response_model=ReviewRequestOut,
    summary="INSP-08/REV-01: one review request, with the review that fulfils it",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_request(
    request_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> ReviewRequestOut:
    """The finding, its party (masked), the REV-01 triggers it hits, and where it stands."""
    async with ctx.db.session() as session:
        return request_out(await REQUEST.load_for(session, request_id, principal, lock=False))


@router.get(
    "/{request_id:uuid}/timeline",
    response_model=list[TimelineEntry],
    summary="INSP-08/REV-01: the request's timeline: received, submitted, decided or withdrawn",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_request_timeline(
    request_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> list[TimelineEntry]:
    """Every audited step of the request with its rule (REV-01, REV-08)."""
    async with ctx.db.session() as session:
        await REQUEST.load_for(session, request_id, principal, lock=False)
        return await REQUEST.timeline(session, request_id)


@router.post(
    "/{request_id:uuid}/review",
    response_model=ReviewRequestOut,
    summary="INSP-08/REV-01: the town's review already submitted fulfils the request",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLER_ROLES, orgs=TOWN, rule="REV-01")],
)
async def link_request(
    request_id: uuid.UUID, data: RequestLinkIn, ctx: Context, principal: CurrentPrincipal
) -> ReviewRequestOut:
    """For a case the brigade submitted before the request arrived (or without naming it):
    its review, not yet decided, of the same matter, fulfils it; the decision names the
    finding."""
    async with ctx.db.uow(actor=principal) as uow:
        request = await requests.link(
            uow, request_id=request_id, review_id=data.review_id, actor=principal
        )
        return request_out(request)


@router.post(
    "/{request_id:uuid}/withdraw",
    response_model=ReviewRequestOut,
    summary="INSP-08/REV-01: the town withdraws the request, with its reason (已撤回)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=LEADER_ROLES, orgs=TOWN, rule="REV-01")],
)
async def withdraw_request(
    request_id: uuid.UUID,
    data: RequestWithdrawIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> ReviewRequestOut:
    """After the finding the town lawfully decided not to pursue a penalty decision at all
    (the facts do not hold up, the case went elsewhere): its leader withdraws the request
    with a reason of at least 8 letters or characters, while no review fulfils it (409
    `review-request-fulfilled` after). Joint inspection's loop takes the withdrawal
    (`review.request-withdrawn`) as its return. A retry with the same Idempotency-Key
    returns the request as the first withdrawal left it."""
    async with ctx.db.uow(actor=principal) as uow:
        request = await requests.withdraw(
            uow,
            request_id=request_id,
            actor=principal,
            reason=data.reason,
            idempotency_key=idempotency_key,
        )
        return request_out(request)
