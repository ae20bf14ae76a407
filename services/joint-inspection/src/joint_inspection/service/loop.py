"""INSP-05..INSP-07 beyond the happy path: the justice bureau decides a consent stalemate."""

from __future__ import annotations

import uuid

from joint_inspection.domain import OrderState, OrderStep
from joint_inspection.domain.loop import StalemateDecision, check_stalemate, stalemate_missing
from joint_inspection.models import WorkOrder
from joint_inspection.schemas import StalemateIn
from joint_inspection.service.common import CONSULT, ORDER, WRITE_ROLES
from joint_inspection.service.consultation import release
from xietong_common.auth import Principal
from xietong_common.errors import InvalidInput
from xietong_common.reasons import MIN_REASON
from xietong_common.reference import OVERSIGHT_ORG
from xietong_common.uow import UnitOfWork


async def decide_stalemate(
    uow: UnitOfWork, *, actor: Principal, order_id: uuid.UUID, data: StalemateIn
) -> WorkOrder:
    """INSP-05: where the town did not agree a department's proposal (it counter-proposed and
    the department held to its own, or it let the consultation deadline pass), the justice
    bureau decides with a reason: the order goes on as agreed, with the brigade's tasks, or
    is dropped. The town's missed answer stays a breach on record."""
    actor.require_org(OVERSIGHT_ORG)
    actor.require_role(*WRITE_ROLES)
    order = await ORDER.load_for(uow, order_id, actor)
    ORDER.check(order, OrderStep.BUREAU_DECIDE)
    state = ORDER.state_of(order)
    consult = next(
        (
            d
            for d in await ORDER.deadlines_of(uow.session, order.id)
            if d.action == CONSULT and d.satisfied_at is None
        ),
        None,
    )
    check_stalemate(state, consult.due_at if consult else None, uow.now)
    missing = stalemate_missing(data.decision, data.reason, data.brigade_tasks)
    if missing:
        raise InvalidInput(
            "the justice bureau's decision needs: "
            + ", ".join(missing)
            + f" (a reason of at least {MIN_REASON} letters or characters)",
            zh="司法局协调决定须写明：" + "、".join(missing) + f"（理由至少 {MIN_REASON} 个字）",
            missing=missing,
            rule="INSP-05",
        )
    await ORDER.close_deadline(uow, order, CONSULT, reason="bureau-decided")
    order.bureau_decision = data.decision.value
    order.bureau_decision_reason = data.reason
    order.bureau_decided_at, order.bureau_decided_by = uow.now, actor.user
    if data.decision is StalemateDecision.PROCEED:
        ORDER.transition(order, OrderStep.BUREAU_DECIDE, uow.now)
        order.agreed_matters = list(order.matter_codes)
        order.brigade_tasks = data.brigade_tasks
        order.counter_proposal = None
    else:
        ORDER.transition(order, OrderStep.CANCEL, uow.now)
        order.cancelled_at = uow.now
        order.cancel_reason = f"司法局协调决定不予开展：{data.reason}"
        await release(uow, order)
    ORDER.audit(
        uow,
        order,
        "order.stalemate-decided",
        rule="INSP-05",
        decision=data.decision.value,
        reason=data.reason,
        town_answer=state.value,
        brigade_tasks=order.brigade_tasks,
        state=OrderState(order.state).value,
    )
    return order
