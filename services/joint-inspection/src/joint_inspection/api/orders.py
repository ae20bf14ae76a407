"""Work orders (INSP-03..INSP-06): create, list, consult, staff, dispatch, notice, issue."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from joint_inspection import service as inspection_service
from joint_inspection.api.common import (
    BUREAU,
    DEPARTMENT,
    INITIATORS,
    PARTICIPANTS,
    TOWN,
    order_detail,
)
from joint_inspection.domain import OrderState
from joint_inspection.schemas import (
    CancelIn,
    ConsultationIn,
    DispatchIn,
    InspectorIn,
    InspectorOut,
    NoticePolicyIn,
    OrderIn,
    OrderOut,
    OrderSummary,
    OrderUpdate,
    ReviseIn,
    SupportAnswerIn,
    SupportIn,
    SupportOut,
    TargetsIn,
    TimelineEntry,
)
from joint_inspection.service import queries
from joint_inspection.service.common import LEAD_ROLES, ORDER, WRITE_ROLES
from joint_inspection.service.queries import OrderFilters, SortKey
from joint_inspection.views import order_summary
from xietong_common.schemas import Code, OrgCode, Page, TimeBound
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey, Paging
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post(
    "",
    response_model=OrderOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-03/04: a town's work order, or a department's proposal to the town",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS, rule="INSP-05")],
)
async def create_order(
    data: OrderIn, ctx: Context, principal: CurrentPrincipal, idempotency_key: IdempotencyKey = None
) -> OrderOut:
    """A town's order starts as a draft; a department's as a proposal the town must agree,
    setting its brigade's tasks, before it can be issued (INSP-04)."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.create_order(
            uow, ctx=ctx, actor=principal, data=data, idempotency_key=idempotency_key
        )
        return await order_detail(uow.session, order, ctx)


async def _filters(
    state: Annotated[list[OrderState] | None, Query(description="one or more states")] = None,
    town: OrgCode | None = None,
    initiating_org: OrgCode | None = None,
    matter_code: Code | None = None,
    plan_id: uuid.UUID | None = None,
    planned_from: TimeBound | None = None,
    planned_to: TimeBound | None = None,
    due_before: Annotated[TimeBound | None, Query(description="an open deadline before")] = None,
    overdue: bool | None = None,
    sort: SortKey = SortKey.CREATED_AT_DESC,
) -> OrderFilters:
    return OrderFilters(
        states=state or (),
        town=town,
        initiating_org=initiating_org,
        matter_code=matter_code,
        plan_id=plan_id,
        planned_from=planned_from,
        planned_to=planned_to,
        due_before=due_before,
        overdue=overdue,
        sort=sort,
    )


@router.get(
    "",
    response_model=Page[OrderSummary],
    summary="Work orders the caller takes part in (the justice bureau: all, INSP-05)",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_orders(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    filters: Annotated[OrderFilters, Depends(_filters)],
) -> Page[OrderSummary]:
    """Towns see their own, departments those they take part in, the justice bureau all."""
    async with ctx.db.session() as session:
        listed, total = await queries.list_orders(
            session, principal=principal, filters=filters, paging=paging, now=ctx.clock.now()
        )
        counts = await queries.visit_counts(session, [x.record.id for x in listed])
    return Page[OrderSummary].of(
        [order_summary(x, counts.get(x.record.id, 0)) for x in listed], total=total, paging=paging
    )


@router.get(
    "/{order_id:uuid}",
    response_model=OrderOut,
    summary="One work order",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_order(order_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> OrderOut:
    """Its targets and their closed loop, participants, inspectors, deadlines."""
    async with ctx.db.session() as session:
        order = await ORDER.load_for(session, order_id, principal, lock=False)
        return await order_detail(session, order, ctx)


@router.get(
    "/{order_id:uuid}/timeline",
    response_model=list[TimelineEntry],
    summary="The order's timeline: every action with its rule, every deadline",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def timeline(
    order_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> list[TimelineEntry]:
    """From the hash-chained audit log."""
    async with ctx.db.session() as session:
        await ORDER.load_for(session, order_id, principal, lock=False)
        return await ORDER.timeline(session, order_id)


@router.patch(
    "/{order_id:uuid}",
    response_model=OrderOut,
    summary="Edit a draft, or a proposal not yet answered",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS)],
)
async def update_order(
    order_id: uuid.UUID, data: OrderUpdate, ctx: Context, principal: CurrentPrincipal
) -> OrderOut:
    """Title, method, matters, window, proposal."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.update_order(
            uow, ctx=ctx, actor=principal, order_id=order_id, data=data
        )
        return await order_detail(uow.session, order, ctx)


@router.post(
    "/{order_id:uuid}/targets",
    response_model=OrderOut,
    summary="INSP-03: add targets (same town; overlaps with other agencies proposed for merging)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS)],
)
async def add_targets(
    order_id: uuid.UUID, data: TargetsIn, ctx: Context, principal: CurrentPrincipal
) -> OrderOut:
    """Before issue; at most 500 targets an order."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.add_targets(
            uow, ctx=ctx, actor=principal, order_id=order_id, target_ids=data.target_ids
        )
        return await order_detail(uow.session, order, ctx)


@router.delete(
    "/{order_id:uuid}/targets/{target_id:uuid}",
    response_model=OrderOut,
    summary="Remove a target before issue",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS)],
)
async def remove_target(
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    ctx: Context,
    principal: CurrentPrincipal,
    reason: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="INSP-02: why a drawn target is dropped (required for one)",
            examples=["该店已于3月停业注销，待核实后另行安排"],
        ),
    ] = None,
) -> OrderOut:
    """A drawn target removed goes back to its draw, free for another order, with a reason."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.remove_target(
            uow, actor=principal, order_id=order_id, target_id=target_id, reason=reason
        )
        return await order_detail(uow.session, order, ctx)


@router.post(
    "/{order_id:uuid}/consultation",
    response_model=OrderOut,
    summary="INSP-04: the town agrees and sets its brigade's tasks, or counter-proposes",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=LEAD_ROLES, orgs=TOWN, rule="INSP-04")],
)
async def consult(
    order_id: uuid.UUID, data: ConsultationIn, ctx: Context, principal: CurrentPrincipal
) -> OrderOut:
    """The town's leader answers the department's proposal."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.consult(
            uow, ctx=ctx, actor=principal, order_id=order_id, data=data
        )
        return await order_detail(uow.session, order, ctx)


@router.post(
    "/{order_id:uuid}/accept-counter",
    response_model=OrderOut,
    summary="INSP-04: the department accepts the town's counter-proposal",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=LEAD_ROLES, orgs=INITIATORS)],
)
async def accept_counter(
    order_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> OrderOut:
    """The order is then agreed and may be issued."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.accept_counter(uow, actor=principal, order_id=order_id)
        return await order_detail(uow.session, order, ctx)


@router.post(
    "/{order_id:uuid}/revise",
    response_model=OrderOut,
    summary="INSP-04: the department revises its proposal (the town is consulted again)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS)],
)
async def revise(
    order_id: uuid.UUID, data: ReviseIn, ctx: Context, principal: CurrentPrincipal
) -> OrderOut:
    """Back to the town for its agreement."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.revise(
            uow, ctx=ctx, actor=principal, order_id=order_id, proposal=data.proposal
        )
        return await order_detail(uow.session, order, ctx)


@router.put(
    "/{order_id:uuid}/notice-policy",
    response_model=OrderOut,
    summary="INSP-06: announce in advance, or not (by law or a superior's instruction) with the reason",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS)],
)
async def set_notice_policy(
    order_id: uuid.UUID, data: NoticePolicyIn, ctx: Context, principal: CurrentPrincipal
) -> OrderOut:
    """Decided before the order is issued."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.set_notice_policy(
            uow, actor=principal, order_id=order_id, data=data
        )
        return await order_detail(uow.session, order, ctx)


@router.post(
    "/{order_id:uuid}/inspectors",
    response_model=InspectorOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-03: assign an inspector (seconded officers checked on the roster, SEC-04)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=PARTICIPANTS)],
)
async def add_inspector(
    order_id: uuid.UUID,
    data: InspectorIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> InspectorOut:
    """The town assigns its brigade and seconded officers (统一指挥调度); an ineligible
    officer is refused with the reasons; a department assigns its own officers."""
    async with ctx.db.uow(actor=principal) as uow:
        inspector = await inspection_service.add_inspector(
            uow,
            ctx=ctx,
            actor=principal,
            order_id=order_id,
            data=data,
            idempotency_key=idempotency_key,
        )
        return InspectorOut.of(inspector)


@router.post(
    "/{order_id:uuid}/support-requests",
    response_model=SupportOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-03: ask another department to support",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=INITIATORS)],
)
async def request_support(
    order_id: uuid.UUID,
    data: SupportIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> SupportOut:
    """The department owes a yes or no with its reason (working days, a setting)."""
    async with ctx.db.uow(actor=principal) as uow:
        request = await inspection_service.request_support(
            uow,
            ctx=ctx,
            actor=principal,
            order_id=order_id,
            data=data,
            idempotency_key=idempotency_key,
        )
        return SupportOut.of(request)


@router.post(
    "/{order_id:uuid}/support-requests/{request_id:uuid}/answer",
    response_model=SupportOut,
    summary="INSP-03: the department answers yes or no, with its reason",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=DEPARTMENT)],
)
async def answer_support(
    order_id: uuid.UUID,
    request_id: uuid.UUID,
    data: SupportAnswerIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> SupportOut:
    """Yes makes it a participant."""
    async with ctx.db.uow(actor=principal) as uow:
        request = await inspection_service.answer_support(
            uow, actor=principal, order_id=order_id, request_id=request_id, data=data
        )
        return SupportOut.of(request)


@router.post(
    "/{order_id:uuid}/dispatch",
    response_model=OrderOut,
    summary="INSP-05: the justice bureau dispatches an agency to the inspection",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=BUREAU, rule="INSP-05")],
)
async def dispatch(
    order_id: uuid.UUID, data: DispatchIn, ctx: Context, principal: CurrentPrincipal
) -> OrderOut:
    """With its instructions; the agency takes part from then on."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.dispatch(
            uow, ctx=ctx, actor=principal, order_id=order_id, data=data
        )
        return await order_detail(uow.session, order, ctx)


@router.post(
    "/{order_id:uuid}/issue",
    response_model=OrderOut,
    summary="INSP-03: issue the work order (已下达)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=LEAD_ROLES, orgs=INITIATORS)],
)
async def issue(order_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> OrderOut:
    """Targets, method and inspectors fixed, advance notice decided, a department's order
    agreed by the town; `inspection.order-issued` is published."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.issue(uow, ctx=ctx, actor=principal, order_id=order_id)
        return await order_detail(uow.session, order, ctx)


@router.post(
    "/{order_id:uuid}/cancel",
    response_model=OrderOut,
    summary="Cancel an order not yet under way, with the reason",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=LEAD_ROLES, orgs=INITIATORS)],
)
async def cancel(
    order_id: uuid.UUID, data: CancelIn, ctx: Context, principal: CurrentPrincipal
) -> OrderOut:
    """Its drawn targets are free for another order."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await inspection_service.cancel(
            uow, actor=principal, order_id=order_id, reason=data.reason
        )
        return await order_detail(uow.session, order, ctx)
