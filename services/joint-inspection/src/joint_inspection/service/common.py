"""Shared steps of the joint inspection use cases: reference data, loading with access,
transitions, audit."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from joint_inspection.domain import (
    OrderState,
    OrderStep,
    ParticipantRole,
    VisitState,
    VisitStep,
    consultation_deadline,
    next_state,
    next_visit_state,
)
from joint_inspection.errors import UnknownTarget
from joint_inspection.models import OrderParticipant, Plan, Target, Visit, WorkOrder
from joint_inspection.settings import inspection_settings
from xietong_common import deadlines
from xietong_common.auth import Principal, ensure_party
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import FindingOutcome
from xietong_common.errors import NotFound
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG, is_department, is_town
from xietong_common.uow import UnitOfWork

MECHANISM = "joint-inspection"
WRITE_ROLES = ("handler", "leader")
LEAD_ROLES = ("leader",)
MAX_VISITS = 500


# ---- reference data -----------------------------------------------------------------------------


def issuer_name(ctx: ServiceContext, org: str) -> str:
    found = ctx.directory.get(org)
    return found.name_zh if found else org


# ---- subjects of audit rows and deadlines ------------------------------------------------------


def order_subject(order_id: uuid.UUID) -> str:
    return f"inspection:{order_id}"


def plan_subject(plan_id: uuid.UUID) -> str:
    return f"inspection-plan:{plan_id}"


def target_subject(target_id: uuid.UUID) -> str:
    return f"inspection-target:{target_id}"


def shortcoming_subject(shortcoming_id: uuid.UUID) -> str:
    return f"inspection-shortcoming:{shortcoming_id}"


def merge_subject(proposal_id: uuid.UUID) -> str:
    return f"inspection-merge:{proposal_id}"


def audit(uow: UnitOfWork, subject: str, action: str, rule: str, **detail: Any) -> None:
    uow.audit(action=f"inspection.{action}", subject=subject, rule=rule, detail=detail)


# ---- targets ------------------------------------------------------------------------------------


def may_edit_target(principal: Principal, target: Target) -> bool:
    """The town where the target is, or the department that registered it."""
    return principal.org in (target.town, target.created_by_org)


def target_visible(principal: Principal, target: Target) -> bool:
    """Towns see their own town's register; departments, the justice bureau and the district
    government the whole district's (they supervise across towns)."""
    if is_town(principal.org):
        return target.town == principal.org
    return (
        principal.org == OVERSIGHT_ORG
        or principal.org == DISTRICT_GOV
        or is_department(principal.org)
    )


async def load_target(
    session: AsyncSession, target_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> Target:
    query = sa.select(Target).where(Target.id == target_id)
    if lock:
        query = query.with_for_update()
    target = (await session.execute(query)).scalar_one_or_none()
    if target is None or not target_visible(principal, target):
        raise NotFound("no such target", zh="未找到该监管对象")
    return target


async def targets_for_order(
    session: AsyncSession, ids: Sequence[uuid.UUID], principal: Principal
) -> list[Target]:
    """The targets named, each visible to the caller and still supervised."""
    wanted = list(dict.fromkeys(ids))
    found = {
        t.id: t
        for t in (await session.execute(sa.select(Target).where(Target.id.in_(wanted)))).scalars()
    }
    missing = [
        str(i)
        for i in wanted
        if i not in found or not target_visible(principal, found[i]) or not found[i].active
    ]
    if missing:
        raise UnknownTarget(
            f"{len(missing)} target(s) are not in the register or no longer supervised",
            zh=f"有 {len(missing)} 个监管对象不在名录中或已注销",
            target_ids=missing[:50],
        )
    return [found[i] for i in wanted]


# ---- plans --------------------------------------------------------------------------------------


async def load_plan(
    session: AsyncSession, plan_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> Plan:
    """A town's plan: the town and the justice bureau see it; others get 404."""
    query = sa.select(Plan).where(Plan.id == plan_id)
    if lock:
        query = query.with_for_update()
    plan = (await session.execute(query)).scalar_one_or_none()
    if plan is None:
        raise NotFound("no such plan", zh="未找到该检查计划")
    ensure_party(principal, [plan.town], what="plan")
    return plan


# ---- work orders ----------------------------------------------------------------------------------


def participants(order: WorkOrder) -> set[str]:
    """Every organisation taking part (the lead, the town's brigade, departments…)."""
    return {p.org for p in order.participants}


def parties(order: WorkOrder) -> set[str]:
    """Who sees an order: its participants and the departments asked for support."""
    return (
        participants(order)
        | {order.initiating_org, order.town}
        | {s.department for s in order.support_requests}
    )


async def has_serious(session: AsyncSession, order_id: uuid.UUID) -> bool:
    return bool(
        (
            await session.execute(
                sa.select(sa.func.count())
                .select_from(Visit)
                .where(Visit.order_id == order_id, Visit.outcome == FindingOutcome.SERIOUS.value)
            )
        ).scalar_one()
    )


async def load_order(
    session: AsyncSession, order_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> WorkOrder:
    """The order, if the caller takes part in it (the justice bureau sees all, INSP-05; the
    district government those with a serious finding reported to it); else 404."""
    query = sa.select(WorkOrder).where(WorkOrder.id == order_id)
    if lock:
        query = query.with_for_update()
    order = (await session.execute(query)).scalar_one_or_none()
    if order is None:
        raise NotFound("no such work order", zh="未找到该检查任务工单")
    readers = [OVERSIGHT_ORG]
    if principal.org == DISTRICT_GOV and await has_serious(session, order.id):
        readers.append(DISTRICT_GOV)
    ensure_party(principal, parties(order), readers=readers, what="work order")
    return order


def apply_step(order: WorkOrder, step: OrderStep, now: Any) -> OrderState:
    """The domain's transition table on the order; returns the state before."""
    before = OrderState(order.state)
    order.state = next_state(before, step).value
    order.updated_at = now
    return before


def check_step(order: WorkOrder, step: OrderStep) -> None:
    next_state(OrderState(order.state), step)


def add_participant(
    order: WorkOrder,
    org: str,
    role: ParticipantRole,
    *,
    by: str,
    at: Any,
    instructions: str | None = None,
) -> bool:
    """Add `org` to the order (False if it already takes part)."""
    if org in participants(order):
        return False
    order.participants.append(
        OrderParticipant(
            order_id=order.id,
            org=org,
            role=role.value,
            instructions=instructions,
            joined_at=at,
            joined_by=by,
        )
    )
    return True


async def visits_of(session: AsyncSession, order_id: uuid.UUID) -> list[Visit]:
    return list(
        (
            await session.execute(
                sa.select(Visit)
                .where(Visit.order_id == order_id)
                .order_by(Visit.added_at, Visit.id)
            )
        ).scalars()
    )


async def load_visit(
    uow: UnitOfWork, order: WorkOrder, target_id: uuid.UUID, *, lock: bool = True
) -> Visit:
    query = sa.select(Visit).where(Visit.order_id == order.id, Visit.target_id == target_id)
    if lock:
        query = query.with_for_update()
    visit = (await uow.session.execute(query)).scalar_one_or_none()
    if visit is None:
        raise NotFound("the target is not in this work order", zh="该监管对象不在本工单中")
    return visit


def visit_step(visit: Visit, step: VisitStep) -> None:
    visit.state = next_visit_state(VisitState(visit.state), step).value


def require_participant(principal: Principal, order: WorkOrder) -> None:
    """Only those taking part act on the inspection."""
    principal.require_org(*sorted(participants(order)))


# ---- the register's lock: a draw sees exactly what was recorded before it ------------------------


async def lock_register(
    uow: UnitOfWork, ctx: ServiceContext, town: str, *, exclusive: bool = False
) -> Any:
    """Changes to a town's register (targets, signals) take this lock shared; a draw takes it
    exclusively. Each reads the clock only once it holds the lock, so every change recorded
    before a draw's time was committed before the draw read the register, and every later
    one carries a later time: a re-run 'as of the draw' sees what the draw saw (INSP-02)."""
    key = zlib.crc32(f"joint-inspection:register:{town}".encode())
    lock = sa.func.pg_advisory_xact_lock if exclusive else sa.func.pg_advisory_xact_lock_shared
    await uow.session.execute(sa.select(lock(key)))
    return ctx.clock.now()


# ---- deadlines an order owes ---------------------------------------------------------------------

CONSULT = "consult"


async def start_consultation(uow: UnitOfWork, ctx: ServiceContext, order: WorkOrder) -> None:
    """INSP-04: the town owes an answer to the proposal (a setting in working days)."""
    subject = order_subject(order.id)
    await deadlines.cancel(uow, subject=subject, action=CONSULT)
    await deadlines.start(
        uow,
        calendar=ctx.calendar,
        subject=subject,
        action=CONSULT,
        rule=consultation_deadline(inspection_settings(ctx).inspection_consultation_working_days),
        organisation=order.town,
        started_at=uow.now,
    )


async def end_deadlines(uow: UnitOfWork, order: WorkOrder) -> None:
    """An order that will not go on (cancelled, merged away): what it was owed is not owed."""
    subject = order_subject(order.id)
    await deadlines.cancel(uow, subject=subject, action=CONSULT)
    for request in order.support_requests:
        if request.accepted is None:
            await deadlines.cancel(uow, subject=subject, action=f"support:{request.id}")
