"""Plans (INSP-01), their adjustments by signals and the recorded draws (INSP-02)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from joint_inspection import service as inspection_service
from joint_inspection.api.common import TOWN, order_detail
from joint_inspection.domain import PlanState
from joint_inspection.schemas import (
    MAX_RULES,
    AdjustmentIn,
    AdjustmentOut,
    CommitIn,
    CommitmentOut,
    DrawIn,
    EntryOut,
    OrderFromSelectionIn,
    OrderOut,
    PlanIn,
    PlanOut,
    PlanUpdate,
    RerunIn,
    RerunOut,
    RoundReportOut,
    ScenarioOut,
    SelectionExportOut,
    SelectionOut,
    TimelineEntry,
)
from joint_inspection.service import publication, queries
from joint_inspection.service.common import LEAD_ROLES, PLAN, SELECTION, WRITE_ROLES
from joint_inspection.service.scenarios import scenarios as scenario_catalogue
from joint_inspection.views import entry_out
from xietong_common.schemas import OrgCode, Page
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey, Paging
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS

router = APIRouter(tags=["plans"])


@router.post(
    "/plans",
    response_model=PlanOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-01: draft a town's inspection plan for an application scenario",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=TOWN, rule="INSP-01")],
)
async def create_plan(
    data: PlanIn, ctx: Context, principal: CurrentPrincipal, idempotency_key: IdempotencyKey = None
) -> PlanOut:
    """Frequency and proportion by type of target or by supervision level; the share of
    守法诚信 targets still drawn; the matters inspected."""
    async with ctx.db.uow(actor=principal) as uow:
        plan = await inspection_service.create_plan(
            uow, ctx=ctx, actor=principal, data=data, idempotency_key=idempotency_key
        )
        return PlanOut.of(plan)


@router.get(
    "/plans",
    response_model=Page[PlanOut],
    summary="The caller's plans",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_plans(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    state: PlanState | None = None,
    town: OrgCode | None = None,
) -> Page[PlanOut]:
    """A town's own plans; the justice bureau sees every town's."""
    async with ctx.db.session() as session:
        listed, total = await queries.list_plans(
            session, principal=principal, state=state, town=town, paging=paging, now=ctx.clock.now()
        )
    return Page[PlanOut].of([PlanOut.of(x.record) for x in listed], total=total, paging=paging)


@router.get(
    "/scenarios",
    response_model=list[ScenarioOut],
    summary="INSP-01: the application-scenario catalogue (应用场景)",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_scenarios(ctx: Context, principal: CurrentPrincipal) -> list[ScenarioOut]:
    """Each scenario's departments, matters, target industries and checklist (一张检查单),
    from the operator's data file; a plan made for one draws only its targets."""
    return [ScenarioOut.model_validate(s.model_dump()) for s in scenario_catalogue(ctx).values()]


@router.get(
    "/plans/{plan_id:uuid}",
    response_model=PlanOut,
    summary="One plan",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_plan(plan_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> PlanOut:
    """The plan with its rules."""
    async with ctx.db.session() as session:
        return PlanOut.of(await PLAN.load_for(session, plan_id, principal, lock=False))


@router.patch(
    "/plans/{plan_id:uuid}",
    response_model=PlanOut,
    summary="Edit a draft plan",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=TOWN, rule="INSP-01")],
)
async def update_plan(
    plan_id: uuid.UUID, data: PlanUpdate, ctx: Context, principal: CurrentPrincipal
) -> PlanOut:
    """Only a draft; an adopted plan changes by a recorded adjustment."""
    async with ctx.db.uow(actor=principal) as uow:
        plan = await inspection_service.update_plan(
            uow, ctx=ctx, actor=principal, plan_id=plan_id, data=data
        )
        return PlanOut.of(plan)


@router.post(
    "/plans/{plan_id:uuid}/adopt",
    response_model=PlanOut,
    summary="INSP-01: adopt the plan (印发实施)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=LEAD_ROLES, orgs=TOWN, rule="INSP-01")],
)
async def adopt_plan(plan_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> PlanOut:
    """The town's leader adopts it; `inspection.planned` is published."""
    async with ctx.db.uow(actor=principal) as uow:
        return PlanOut.of(
            await inspection_service.adopt_plan(uow, ctx=ctx, actor=principal, plan_id=plan_id)
        )


@router.post(
    "/plans/{plan_id:uuid}/commitments",
    response_model=CommitmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-02: commit a plan's next round late (register frozen now, seed's hash audited)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=LEAD_ROLES, orgs=TOWN, rule="INSP-02")],
)
async def commit_round(
    plan_id: uuid.UUID,
    ctx: Context,
    principal: CurrentPrincipal,
    data: CommitIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> CommitmentOut:
    """For a plan adopted before rounds were committed, or naming no catalogue scenario (given
    here, INSP-01); audited as committed late. A committed round is never committed again."""
    async with ctx.db.uow(actor=principal) as uow:
        commitment = await inspection_service.commit_late(
            uow,
            ctx=ctx,
            actor=principal,
            plan_id=plan_id,
            data=data or CommitIn(),
            idempotency_key=idempotency_key,
        )
        return CommitmentOut.of(commitment, late=True)


@router.get(
    "/plans/{plan_id:uuid}/timeline",
    response_model=list[TimelineEntry],
    summary="The plan's timeline: adoption, adjustments and every draw with its seed",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def plan_timeline(
    plan_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> list[TimelineEntry]:
    """From the hash-chained audit log (INSP-01, INSP-02)."""
    async with ctx.db.session() as session:
        await PLAN.load_for(session, plan_id, principal, lock=False)
        return await PLAN.timeline(session, plan_id)


@router.post(
    "/plans/{plan_id:uuid}/adjustments",
    response_model=AdjustmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-02: a signal adjusts the plan, with the reason",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=TOWN, rule="INSP-01")],
)
async def adjust_plan(
    plan_id: uuid.UUID,
    data: AdjustmentIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> AdjustmentOut:
    """Add the target behind a recent signal to the next draw, or change a rule."""
    async with ctx.db.uow(actor=principal) as uow:
        adjustment = await inspection_service.adjust_plan(
            uow,
            ctx=ctx,
            actor=principal,
            plan_id=plan_id,
            data=data,
            idempotency_key=idempotency_key,
        )
        return AdjustmentOut.of(adjustment)


@router.get(
    "/plans/{plan_id:uuid}/adjustments",
    response_model=Page[AdjustmentOut],
    summary="The plan's adjustments",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_adjustments(
    plan_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, paging: Paging
) -> Page[AdjustmentOut]:
    """What changed, when, by whom and why."""
    async with ctx.db.session() as session:
        await PLAN.load_for(session, plan_id, principal, lock=False)
        rows, total = await queries.list_adjustments(session, plan_id=plan_id, paging=paging)
    return Page[AdjustmentOut].of([AdjustmentOut.of(a) for a in rows], total=total, paging=paging)


@router.post(
    "/plans/{plan_id:uuid}/selections",
    response_model=SelectionOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-02: draw a round's targets (seeded, risk-weighted, recorded)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=TOWN, rule="INSP-02")],
)
async def draw(
    plan_id: uuid.UUID,
    data: DrawIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> SelectionOut:
    """The service makes the seed and records it with every candidate's rank; one draw per
    round, so nobody draws until the list suits them."""
    async with ctx.db.uow(actor=principal) as uow:
        selection = await inspection_service.draw(
            uow,
            ctx=ctx,
            actor=principal,
            plan_id=plan_id,
            round_number=data.round,
            idempotency_key=idempotency_key,
        )
        return SelectionOut.of(selection)


@router.get(
    "/plans/{plan_id:uuid}/selections",
    response_model=Page[SelectionOut],
    summary="The plan's draws",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_selections(
    plan_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, paging: Paging
) -> Page[SelectionOut]:
    """One per round drawn."""
    async with ctx.db.session() as session:
        await PLAN.load_for(session, plan_id, principal, lock=False)
        rows, total = await queries.list_selections(session, plan_id=plan_id, paging=paging)
    return Page[SelectionOut].of([SelectionOut.of(s) for s in rows], total=total, paging=paging)


@router.get(
    "/selections/{selection_id:uuid}",
    response_model=SelectionOut,
    summary="One draw: seed, algorithm, inputs, digest",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_selection(
    selection_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> SelectionOut:
    """Everything needed to re-run it."""
    async with ctx.db.session() as session:
        return SelectionOut.of(
            await SELECTION.load_for(session, selection_id, principal, lock=False)
        )


@router.get(
    "/selections/{selection_id:uuid}/entries",
    response_model=Page[EntryOut],
    summary="INSP-02: the ranked list of every candidate",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_entries(
    selection_id: uuid.UUID,
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    drawn: bool | None = None,
    rule_position: Annotated[
        int | None, Query(ge=0, le=MAX_RULES - 1, description="the plan rule's position")
    ] = None,
) -> Page[EntryOut]:
    """Group, risk, 守法诚信 flag, tier, key and rank of each; whether it was drawn."""
    async with ctx.db.session() as session:
        await SELECTION.load_for(session, selection_id, principal, lock=False)
        rows, total = await queries.entries(
            session,
            selection_id=selection_id,
            drawn=drawn,
            rule_position=rule_position,
            paging=paging,
        )
    return Page[EntryOut].of([entry_out(e, name) for e, name in rows], total=total, paging=paging)


@router.post(
    "/selections/{selection_id:uuid}/rerun",
    response_model=RerunOut,
    summary="INSP-02: re-run the draw on the register as it stood (same seed, same targets)",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def rerun(
    selection_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, data: RerunIn | None = None
) -> RerunOut:
    """With the recorded seed it must match the record; another seed shows another draw."""
    async with ctx.db.session(transaction=True) as session:  # the rerun's SET LOCAL
        selection = await SELECTION.load_for(session, selection_id, principal, lock=False)
        result = await inspection_service.rerun(
            session, selection=selection, seed=data.seed if data else None
        )
    return RerunOut(
        selection_id=selection.id,
        seed=result.seed,
        recorded_seed=result.seed == selection.seed,
        candidates=result.candidates,
        drawn=result.drawn,
        digest=result.digest,
        matches=not result.differences and result.digest == selection.digest,
        differences=result.differences,
        drawn_targets=result.drawn_targets,
    )


@router.get(
    "/selections/{selection_id:uuid}/export.json",
    response_model=SelectionExportOut,
    summary="INSP-02: the draw's frozen snapshot and ranked list, to recompute it offline",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def export_selection(
    selection_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> SelectionExportOut:
    """The seed (revealed), its commitment and the snapshot's digest (audited before the
    draw), the snapshot header and every target of it with its rank: anyone recomputes the
    draw with `domain/selection.py` alone (docs/joint-inspection.md)."""
    async with ctx.db.session() as session:
        selection = await SELECTION.load_for(session, selection_id, principal, lock=False)
        return SelectionExportOut.model_validate(await publication.export(session, selection))


CSV_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "one row per target of the snapshot: " + ", ".join(publication.CSV_COLUMNS),
    }
}


@router.get(
    "/selections/{selection_id:uuid}/export.csv",
    response_class=Response,
    summary="INSP-02: the draw's frozen snapshot and ranked list as CSV",
    responses=CSV_OK | READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def export_selection_csv(
    selection_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> Response:
    """The JSON export's entries, one row each (its header and parameters are in the JSON)."""
    async with ctx.db.session() as session:
        selection = await SELECTION.load_for(session, selection_id, principal, lock=False)
        data = await publication.export(session, selection)
    return Response(
        publication.export_csv(data),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="selection-{selection_id}.csv"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/selections/{selection_id:uuid}/report",
    response_model=RoundReportOut,
    summary="INSP-02: the round's drawn-vs-inspected report (for the justice bureau)",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def round_report(
    selection_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> RoundReportOut:
    """Each drawn target: inspected, in a work order and not inspected yet, dropped from its
    order (with the reason), or never put into an order."""
    async with ctx.db.session() as session:
        selection = await SELECTION.load_for(session, selection_id, principal, lock=False)
        return RoundReportOut.model_validate(await publication.round_report(session, selection))


@router.post(
    "/selections/{selection_id:uuid}/orders",
    response_model=OrderOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-03: a work order from drawn targets",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=TOWN, rule="INSP-02")],
)
async def order_from_selection(
    selection_id: uuid.UUID,
    data: OrderFromSelectionIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> OrderOut:
    """Those named (each drawn, in no other order), or the next ones by rank."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.order_from_selection(
            uow,
            ctx=ctx,
            actor=principal,
            selection_id=selection_id,
            data=data,
            idempotency_key=idempotency_key,
        )
        return await order_detail(uow.session, order, ctx)
