"""INSP-02 双随机: an order's inspectors drawn at random from the town's pool, with recusal,
committed before they are drawn."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from joint_inspection.api.common import TOWN
from joint_inspection.schemas import InspectorDrawOut, InspectorPoolIn, RecusalIn
from joint_inspection.service import inspector_draws
from joint_inspection.service.common import WRITE_ROLES
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.problems import READ_ERRORS, WRITE_ERRORS

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post(
    "/{order_id:uuid}/inspector-pool",
    response_model=InspectorDrawOut,
    status_code=status.HTTP_201_CREATED,
    summary="INSP-02 双随机: freeze the inspector pool, with recusals; commit to the seed",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=TOWN, rule="INSP-02")],
)
async def commit_inspector_pool(
    order_id: uuid.UUID,
    data: InspectorPoolIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> InspectorDrawOut:
    """Each candidate checked as an assignment is (SEC-04 on the roster); one who recused
    himself from a target of the order, or is not eligible, is left out with the reason. The
    pool's digest and the seed's SHA-256 go into the audit chain; one pool per order."""
    async with ctx.db.uow(actor=principal) as uow:
        draw = await inspector_draws.commit_pool(
            uow,
            ctx=ctx,
            actor=principal,
            order_id=order_id,
            data=data,
            idempotency_key=idempotency_key,
        )
        return InspectorDrawOut.model_validate(inspector_draws.draw_out(draw))


@router.post(
    "/{order_id:uuid}/inspector-draw",
    response_model=InspectorDrawOut,
    summary="INSP-02 双随机: draw the order's inspectors from the frozen pool (seed revealed)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=TOWN, rule="INSP-02")],
)
async def draw_inspectors(
    order_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> InspectorDrawOut:
    """The pool ranked by the revealed seed (`domain.selection.rank_officers`); the first
    `count` are assigned to the order. Once."""
    async with ctx.db.uow(actor=principal) as uow:
        draw = await inspector_draws.draw_inspectors(uow, actor=principal, order_id=order_id)
        return InspectorDrawOut.model_validate(inspector_draws.draw_out(draw))


@router.post(
    "/{order_id:uuid}/inspector-draw/recusals",
    response_model=InspectorDrawOut,
    summary="INSP-02: a drawn inspector recuses himself; the next by lot takes his place",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=TOWN, rule="INSP-02")],
)
async def recuse_inspector(
    order_id: uuid.UUID, data: RecusalIn, ctx: Context, principal: CurrentPrincipal
) -> InspectorDrawOut:
    """A conflict with a target found after the draw (回避): the officer leaves the order with
    the reason recorded; the next officer in the draw's order, not one the town picks, joins."""
    async with ctx.db.uow(actor=principal) as uow:
        draw = await inspector_draws.recuse_drawn(
            uow, actor=principal, order_id=order_id, data=data
        )
        return InspectorDrawOut.model_validate(inspector_draws.draw_out(draw))


@router.get(
    "/{order_id:uuid}/inspector-draw",
    response_model=InspectorDrawOut,
    summary="INSP-02 双随机: the order's inspector pool and draw",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_inspector_draw(
    order_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> InspectorDrawOut:
    """The seed only once the draw revealed it."""
    async with ctx.db.session() as session:
        draw = await inspector_draws.inspector_draw(session, actor=principal, order_id=order_id)
        return InspectorDrawOut.model_validate(inspector_draws.draw_out(draw))
