"""Shared pieces of the joint inspection routes: the kinds of organisation of each step, and
the detail responses several routes answer with."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from joint_inspection.domain import OPEN_STATES, OrderState
from joint_inspection.models import Target, Visit, WorkOrder
from joint_inspection.schemas import (
    EntryCountOut,
    OrderOut,
    PriorInspectionOut,
    TargetOut,
    VisitOut,
)
from joint_inspection.service import figures, queries
from joint_inspection.service.common import ORDER, TARGET
from joint_inspection.service.targets import risk_policy, risks
from joint_inspection.settings import inspection_settings
from joint_inspection.views import order_out, target_out, visit_out
from xietong_common.calendar import CHINA_TZ
from xietong_common.reference import OrgKind
from xietong_common.web import Context

# The kinds of organisation a step is for (Allowed(orgs=...)); whether the caller is THE
# initiator, town or participant of the record is the use case's check.
TOWN = (OrgKind.TOWN,)  # INSP-01/02: the town's plan and draws; INSP-04: it is consulted
DEPARTMENT = (OrgKind.DEPARTMENT,)  # INSP-03: a department asked to support answers
INITIATORS = (OrgKind.TOWN, OrgKind.DEPARTMENT)  # INSP-03/04: who starts an order, registers
PARTICIPANTS = INITIATORS  # the justice bureau dispatches (INSP-05), it does not take part
BUREAU = (OrgKind.JUSTICE_BUREAU,)  # INSP-05: coordinates and dispatches
SHORTCOMING_ADDRESSEES = (OrgKind.TOWN, OrgKind.DEPARTMENT, OrgKind.DISTRICT_GOV)  # INSP-09


async def order_detail(session: AsyncSession, order: WorkOrder, ctx: Context) -> OrderOut:
    """The order as its participants see it: visits, materials, people, deadlines."""
    visits = await queries.order_visits(session, order.id)
    deadlines = await ORDER.deadlines_of(session, order.id)
    issued = await ORDER.documents_of(session, order)
    now = ctx.clock.now()
    out = order_out(order, visits, deadlines, now, issued)
    if OrderState(order.state) not in OPEN_STATES:
        return out
    # one visit instead of many: what its targets went through lately, and how often
    settings = inspection_settings(ctx)
    prior = await figures.prior_inspections(
        session, order, since=now - timedelta(days=settings.inspection_prior_inspection_days)
    )
    capped = await figures.cap_reached(
        session,
        order,
        year=now.astimezone(CHINA_TZ).year,
        cap=settings.inspection_entry_cap_per_year,
    )
    return out.model_copy(
        update={
            "prior_inspections": [PriorInspectionOut(**p) for p in prior],
            "entry_cap_reached": [EntryCountOut(**c) for c in capped],
        }
    )


async def visit_detail(session: AsyncSession, visit: Visit) -> VisitOut:
    target = await TARGET.get(session, visit.target_id, lock=False)
    materials = [
        m for m in await queries.order_materials(session, visit.order_id) if m.visit_id == visit.id
    ]
    return visit_out(visit, target, materials)


async def target_detail(session: AsyncSession, target: Target, ctx: Context) -> TargetOut:
    found = await risks(session, [target], policy=risk_policy(ctx), at=ctx.clock.now())
    return target_out(target, found[target.id])
