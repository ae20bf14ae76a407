"""Work orders beyond the happy path: the justice bureau decides a stalemate (INSP-05); the
district government and the competent authority acknowledge a serious report (INSP-08)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from joint_inspection.api.common import BUREAU, order_detail, visit_detail
from joint_inspection.schemas import OrderOut, SeriousAckIn, StalemateIn, VisitOut
from joint_inspection.service import loop
from joint_inspection.service.common import WRITE_ROLES
from xietong_common.reference import OrgKind
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import Allowed
from xietong_common.web.problems import WRITE_ERRORS

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post(
    "/{order_id:uuid}/stalemate-decision",
    response_model=OrderOut,
    summary="INSP-05: the justice bureau decides where the town did not agree a proposal",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=WRITE_ROLES, orgs=BUREAU, rule="INSP-05")],
)
async def stalemate_decision(
    order_id: uuid.UUID, data: StalemateIn, ctx: Context, principal: CurrentPrincipal
) -> OrderOut:
    """The town counter-proposed and the department held to its proposal, or the town let
    its consultation deadline pass: the order goes on (agreed, with the brigade's tasks) or
    is dropped, with the bureau's reason, audited (原则上: consent is not an absolute veto)."""
    async with ctx.db.uow(actor=principal) as uow:
        order = await loop.decide_stalemate(uow, actor=principal, order_id=order_id, data=data)
        return await order_detail(uow.session, order, ctx)


@router.post(
    "/{order_id:uuid}/targets/{target_id:uuid}/serious-report/acknowledgement",
    response_model=VisitOut,
    summary="INSP-08: the district government (or the authority notified) acknowledges a serious report",
    responses=WRITE_ERRORS,
    dependencies=[
        Allowed(roles=WRITE_ROLES, orgs=(OrgKind.DISTRICT_GOV, OrgKind.DEPARTMENT), rule="INSP-08")
    ],
)
async def acknowledge_serious(
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    data: SeriousAckIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> VisitOut:
    """Once each, with what it will do; the report stays on the order for the district
    government to see (`serious_acknowledged_at`, `authority_acknowledged_at`)."""
    async with ctx.db.uow(actor=principal) as uow:
        visit = await loop.acknowledge_serious(
            uow, actor=principal, order_id=order_id, target_id=target_id, response=data.response
        )
        return await visit_detail(uow.session, visit)
