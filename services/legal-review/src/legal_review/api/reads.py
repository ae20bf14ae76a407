"""Reads of 法制审核: the review queue, one review with its rounds, its timeline, files."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from legal_review.api.common import detail
from legal_review.domain import ReviewState
from legal_review.schemas import ReviewDetail, ReviewPage, RoundOut
from legal_review.service import queries
from legal_review.service.common import REVIEW
from legal_review.service.queries import ReviewFilters, SortKey
from legal_review.views import review_out, round_out
from xietong_common.contracts.review import ReviewOpinionKind
from xietong_common.parties import PartyKind
from xietong_common.schemas import OrgCode, TimeBound
from xietong_common.timeline import TimelineEntry
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import Paging
from xietong_common.web.materials import DOWNLOAD_RESPONSES, stream_material
from xietong_common.web.problems import READ_ERRORS, problem_responses

router = APIRouter(prefix="/reviews", tags=["reviews"])


def _filters(
    state: Annotated[list[ReviewState] | None, Query(description="any of these states")] = None,
    town: Annotated[OrgCode | None, Query(examples=["town:lizhi"])] = None,
    opinion: Annotated[
        ReviewOpinionKind | None, Query(description="opinion of the current round")
    ] = None,
    party_kind: PartyKind | None = None,
    due_before: Annotated[
        TimeBound | None, Query(description="an open deadline falls before this time")
    ] = None,
    overdue: Annotated[bool | None, Query(description="an open deadline has passed")] = None,
    sort: Annotated[
        SortKey, Query(description="`due_at`: nearest open deadline first")
    ] = SortKey.CREATED_AT_DESC,
) -> ReviewFilters:
    return ReviewFilters(
        states=state or (),
        town=town,
        opinion=opinion,
        party_kind=party_kind,
        due_before=due_before,
        overdue=overdue,
        sort=sort,
    )


@router.get(
    "",
    response_model=ReviewPage,
    summary="The review queue, with due dates (filters, pagination)",
    responses=problem_responses(401, 422),
    dependencies=[Allowed(roles=ANY)],
)
async def list_reviews(
    ctx: Context,
    principal: CurrentPrincipal,
    filters: Annotated[ReviewFilters, Depends(_filters)],
    paging: Paging,
) -> ReviewPage:
    """A town's review body sees its town's reviews; departments those they review jointly
    (REV-03); a 司法所 the reviews of the town it serves (REV-09); the justice bureau all."""
    async with ctx.db.session() as session:
        shown, total = await queries.queue(
            session, principal=principal, filters=filters, paging=paging, now=ctx.clock.now()
        )
    return ReviewPage.of(
        [review_out(x.review, x.current, x.deadlines) for x in shown], total=total, paging=paging
    )


@router.get(
    "/{review_id:uuid}",
    response_model=ReviewDetail,
    summary="One review with all its rounds",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_review(
    review_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> ReviewDetail:
    """The case's review: current state, every round with its findings and opinion, materials,
    joint opinions, the 司法所's advice, due dates and who answers for what (REV-08)."""
    async with ctx.db.session() as session:
        review = await REVIEW.load_for(session, review_id, principal, lock=False)
        return await detail(session, review)


@router.get(
    "/{review_id:uuid}/rounds",
    response_model=list[RoundOut],
    summary="The case's rounds (REV-07 (2) resubmissions), oldest first",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_rounds(
    review_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> list[RoundOut]:
    """Each submission of the proposed decision with its triggers, findings and opinion."""
    async with ctx.db.session() as session:
        review = await REVIEW.load_for(session, review_id, principal, lock=False)
        return [round_out(r) for r in (await queries.history(session, review)).rounds]


@router.get(
    "/{review_id:uuid}/timeline",
    response_model=list[TimelineEntry],
    summary="The case's timeline: every step and deadline",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_timeline(
    review_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> list[TimelineEntry]:
    """Every audited step with its rule, and every deadline started, met or missed."""
    async with ctx.db.session() as session:
        await REVIEW.load_for(session, review_id, principal, lock=False)
        return await REVIEW.timeline(session, review_id)


@router.get(
    "/{review_id:uuid}/materials/{material_id:uuid}/content",
    response_class=StreamingResponse,
    summary="REV-04: download a material",
    responses={**DOWNLOAD_RESPONSES, **READ_ERRORS},
    dependencies=[Allowed(roles=ANY)],
)
async def download_material(
    review_id: uuid.UUID, material_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> StreamingResponse:
    """The stored file, for those who may see the review."""
    async with ctx.db.session() as session:
        review = await REVIEW.load_for(session, review_id, principal, lock=False)
        material = await queries.material(session, review, material_id)
    return await stream_material(ctx, material)
