"""INSP-09 shortcomings; one visit instead of many: merge proposals, figures, re-inspections."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from joint_inspection import service as inspection_service
from joint_inspection.api.common import BUREAU, INITIATORS, PARTICIPANTS, SHORTCOMING_ADDRESSEES
from joint_inspection.domain import MergeState
from joint_inspection.errors import InvalidPlan
from joint_inspection.schemas import (
    AckIn,
    EntryCountOut,
    MergeDecisionIn,
    MergeProposalOut,
    OverruleIn,
    ReinspectionOut,
    ShortcomingIn,
    ShortcomingOut,
    VisitFigures,
)
from joint_inspection.service import figures, merges
from joint_inspection.service.common import LEAD_ROLES, SHORTCOMING, WRITE_ROLES
from joint_inspection.service.figures import Period, ShortcomingFilters
from joint_inspection.settings import inspection_settings
from joint_inspection.views import shortcoming_out
from xietong_common.schemas import Day, OrgCode, Page
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed, Grant
from xietong_common.web.deps import IdempotencyKey, Paging
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS

router = APIRouter(tags=["reports"])


@router.post(
    "/orders/{order_id:uuid}/shortcomings",
    response_model=ShortcomingOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-09: record a shortcoming of government services and send it on",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=PARTICIPANTS)],
)
async def report_shortcoming(
    order_id: uuid.UUID,
    data: ShortcomingIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> ShortcomingOut:
    """Found on site; the departments concerned each owe an acknowledgement."""
    async with ctx.db.uow(actor=principal) as uow:
        shortcoming = await inspection_service.report_shortcoming(
            uow,
            ctx=ctx,
            actor=principal,
            order_id=order_id,
            data=data,
            idempotency_key=idempotency_key,
        )
        due = await SHORTCOMING.deadlines_of(uow.session, shortcoming.id)
        return shortcoming_out(shortcoming, due)


@router.get(
    "/shortcomings",
    response_model=Page[ShortcomingOut],
    summary="INSP-09: shortcomings the caller reported or must acknowledge",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_shortcomings(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    department: OrgCode | None = None,
    acknowledged: bool | None = None,
    overdue: bool | None = None,
) -> Page[ShortcomingOut]:
    """Filter by department, acknowledged or not, overdue."""
    filters = ShortcomingFilters(department=department, acknowledged=acknowledged, overdue=overdue)
    async with ctx.db.session() as session:
        listed, total = await figures.list_shortcomings(
            session, principal=principal, filters=filters, paging=paging, now=ctx.clock.now()
        )
    return Page[ShortcomingOut].of(
        [shortcoming_out(x.record, x.deadlines) for x in listed], total=total, paging=paging
    )


@router.get(
    "/shortcomings/{shortcoming_id:uuid}",
    response_model=ShortcomingOut,
    summary="One shortcoming",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_shortcoming(
    shortcoming_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> ShortcomingOut:
    """With each department's acknowledgement."""
    async with ctx.db.session() as session:
        shortcoming = await SHORTCOMING.load_for(session, shortcoming_id, principal, lock=False)
        due = await SHORTCOMING.deadlines_of(session, shortcoming.id)
    return shortcoming_out(shortcoming, due)


@router.post(
    "/shortcomings/{shortcoming_id:uuid}/acknowledge",
    response_model=ShortcomingOut,
    summary="INSP-09: a department concerned acknowledges",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=SHORTCOMING_ADDRESSEES)],
)
async def acknowledge(
    shortcoming_id: uuid.UUID, data: AckIn, ctx: Context, principal: CurrentPrincipal
) -> ShortcomingOut:
    """With what it will do (优化流程、减少环节、精简材料)."""
    async with ctx.db.uow(actor=principal) as uow:
        shortcoming = await inspection_service.acknowledge_shortcoming(
            uow, actor=principal, shortcoming_id=shortcoming_id, response=data.response
        )
        due = await SHORTCOMING.deadlines_of(uow.session, shortcoming.id)
        return shortcoming_out(shortcoming, due)


@router.get(
    "/merge-proposals",
    response_model=Page[MergeProposalOut],
    summary="One visit instead of many: proposals to merge inspections of the same target",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_merges(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    state: MergeState | None = None,
    town: OrgCode | None = None,
) -> Page[MergeProposalOut]:
    """The caller's (as an initiator or the town); the justice bureau sees all."""
    async with ctx.db.session() as session:
        listed, total = await figures.list_merges(
            session, principal=principal, state=state, town=town, paging=paging, now=ctx.clock.now()
        )
    return Page[MergeProposalOut].of(
        [MergeProposalOut.of(x.record) for x in listed], total=total, paging=paging
    )


@router.post(
    "/merge-proposals/{proposal_id:uuid}/decision",
    response_model=MergeProposalOut,
    summary="Accept or decline merging into one joint visit (INSP-05: the justice bureau decides for both)",
    responses=WRITE_ERRORS,
    dependencies=[
        Allowed(Grant(LEAD_ROLES, INITIATORS), Grant(WRITE_ROLES, BUREAU), rule="INSP-05")
    ],
)
async def decide(
    proposal_id: uuid.UUID, data: MergeDecisionIn, ctx: Context, principal: CurrentPrincipal
) -> MergeProposalOut:
    """Both initiators accept → one joint order; a decline gives its reason."""
    async with ctx.db.uow(actor=principal) as uow:
        proposal = await inspection_service.decide_merge(
            uow,
            ctx=ctx,
            actor=principal,
            proposal_id=proposal_id,
            choice=data.choice,
            reason=data.reason,
        )
        return MergeProposalOut.of(proposal)


@router.post(
    "/merge-proposals/{proposal_id:uuid}/overrule",
    response_model=MergeProposalOut,
    summary="INSP-05: the justice bureau overrules a declined merge, with its reason",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=BUREAU, rule="INSP-05")],
)
async def overrule(
    proposal_id: uuid.UUID, data: OverruleIn, ctx: Context, principal: CurrentPrincipal
) -> MergeProposalOut:
    """A decline does not end a merge for good: the bureau, which coordinates, merges the
    two orders into one joint visit after all."""
    async with ctx.db.uow(actor=principal) as uow:
        proposal = await merges.overrule_decline(
            uow, ctx=ctx, actor=principal, proposal_id=proposal_id, reason=data.reason
        )
        return MergeProposalOut.of(proposal)


@router.get(
    "/figures/visits",
    response_model=list[VisitFigures],
    summary="One visit instead of many: visits planned, merged and saved per town and period",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def visit_figures(
    ctx: Context,
    principal: CurrentPrincipal,
    start: Day,
    end: Day,
    period: Period = Period.MONTH,
    town: OrgCode | None = None,
) -> list[VisitFigures]:
    """Towns see their own; the justice bureau and the district government all towns."""
    if end < start or (end - start).days > 5 * 366:
        raise InvalidPlan(
            "the period runs from start to end, at most five years",
            zh="统计期间须起止有序且不超过五年",
        )
    async with ctx.db.session() as session:
        rows = await figures.visit_figures(
            session, principal=principal, town=town, start=start, end=end, period=period
        )
    return [VisitFigures(**r) for r in rows]


@router.get(
    "/figures/entries",
    response_model=list[EntryCountOut],
    summary="入企检查次数: visits per target in a year, against the cap (a setting)",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def entry_figures(
    ctx: Context,
    principal: CurrentPrincipal,
    year: Annotated[int, Query(ge=2000, le=2100, examples=[2024])],
    town: OrgCode | None = None,
) -> list[EntryCountOut]:
    """The targets visited that year, most visited first (at most 1,000), flagged over the
    cap; towns see their own, departments those of their orders, the justice bureau and the
    district government all."""
    async with ctx.db.session() as session:
        rows = await figures.entries_for(
            session,
            town=town,
            principal=principal,
            year=year,
            cap=inspection_settings(ctx).inspection_entry_cap_per_year,
        )
    return [EntryCountOut(**r) for r in rows]


@router.get(
    "/reinspections",
    response_model=Page[ReinspectionOut],
    summary="Re-inspections of a target by another party within the window (flagged)",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_reinspections(
    ctx: Context, principal: CurrentPrincipal, paging: Paging, town: OrgCode | None = None
) -> Page[ReinspectionOut]:
    """Newest first."""
    async with ctx.db.session() as session:
        rows, total = await figures.reinspections(
            session, principal=principal, town=town, paging=paging
        )
    return Page[ReinspectionOut].of(
        [ReinspectionOut(**r) for r in rows],
        total=total,
        paging=paging,
    )
