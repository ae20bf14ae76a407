"""Reads of 法制审核: the review queue, one review with its rounds, its timeline, files."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from legal_review import service as review_service
from legal_review.domain import ReviewState
from legal_review.errors import ReviewNotFound
from legal_review.schemas import ReviewDetail, ReviewPage, RoundOut
from xietong_common.contracts.review import ReviewOpinionKind
from xietong_common.parties import PartyKind
from xietong_common.schemas import OrgCode, TimeBound
from xietong_common.timeline import TimelineEntry
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import Paging
from xietong_common.web.materials import DOWNLOAD_RESPONSES, download
from xietong_common.web.problems import READ_ERRORS, problem_responses

router = APIRouter(prefix="/reviews", tags=["reviews"])


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
    paging: Paging,
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
        Literal["created_at", "-created_at", "updated_at", "-updated_at", "due_at"],
        Query(description="`due_at`: nearest open deadline first"),
    ] = "-created_at",
) -> ReviewPage:
    """A town's review body sees its town's reviews; departments those they review jointly
    (REV-03); a 司法所 the reviews of the town it serves (REV-09); the justice bureau all."""
    async with ctx.db.session() as session:
        return await review_service.queue(
            session,
            principal=principal,
            now=ctx.clock.now(),
            states=[s.value for s in state] if state else None,
            town=town,
            opinion=opinion.value if opinion else None,
            party_kind=party_kind.value if party_kind else None,
            due_before=due_before,
            overdue=overdue,
            paging=paging,
            sort=sort,
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
        return await review_service.detail(session, review_id=review_id, principal=principal)


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
        found = await review_service.detail(session, review_id=review_id, principal=principal)
    return found.rounds


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
        return await review_service.timeline(session, review_id=review_id, principal=principal)


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
        found = await review_service.detail(session, review_id=review_id, principal=principal)
    material = next((m for m in found.materials if m.id == material_id), None)
    if material is None:
        raise ReviewNotFound("no such material", zh="未找到该材料")
    return await download(
        ctx, sha256=material.sha256, content_type=material.content_type, filename=material.filename
    )
