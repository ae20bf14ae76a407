"""INSP-05..INSP-07 beyond the happy path: the justice bureau decides a consent stalemate;
the loop at a target waits for the referral (or review) its finding started."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from joint_inspection.domain import OrderState, OrderStep
from joint_inspection.domain.loop import StalemateDecision, check_stalemate, stalemate_missing
from joint_inspection.errors import InspectionInvalidTransition
from joint_inspection.models import LoopReturn, Visit, WorkOrder
from joint_inspection.schemas import StalemateIn
from joint_inspection.service.common import CONSULT, ORDER, VISIT, WRITE_ROLES, visit_of
from joint_inspection.service.consultation import release
from xietong_common.auth import Principal
from xietong_common.errors import InvalidInput
from xietong_common.reasons import MIN_REASON, is_stated
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG
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


# ---- INSP-07: the loop waits for what a finding started ------------------------------------


async def _open_visit(
    uow: UnitOfWork, *where: sa.ColumnElement[bool]
) -> tuple[Visit, WorkOrder] | None:
    """The visit matched, with its order, unless there is none or its order is archived.
    The order is locked before the visit, in the order every request locks them."""
    order_id = (await uow.session.execute(sa.select(Visit.order_id).where(*where))).scalar()
    if order_id is None:
        return None
    order = await ORDER.get(uow, order_id)
    if OrderState(order.state) is OrderState.CLOSED:
        return None
    visit = (
        await uow.session.execute(
            sa.select(Visit).where(Visit.order_id == order_id, *where).with_for_update()
        )
    ).scalar_one()
    return visit, order


async def _apply(uow: UnitOfWork, visit: Visit, order: WorkOrder, found: LoopReturn) -> None:
    """The first result returned opens the way to the feedback (INSP-07)."""
    if visit.loop_returned_at is not None:
        return
    visit.loop_result, visit.loop_returned_at = found.detail, found.returned_at
    ORDER.audit(
        uow,
        order,
        "visit.loop-returned",
        rule="INSP-07",
        target_id=str(visit.target_id),
        awaits=visit.awaits,
        returned=found.kind,
        result=found.detail,
    )


async def record_return(
    uow: UnitOfWork, *, ref_kind: str, ref_id: str, kind: str, detail: str, at: datetime
) -> None:
    """INSP-07: a referral (or a review) returned a result, as its owner published it: kept
    whatever order events arrive in (and after the archive), and applied to the open visit
    whose finding started it."""
    await uow.session.execute(
        insert(LoopReturn)
        .values(
            ref_kind=ref_kind,
            ref_id=ref_id,
            kind=kind,
            detail=detail[:2000],
            returned_at=at,
            recorded_at=uow.now,
        )
        .on_conflict_do_nothing()
    )
    try:
        ref = uuid.UUID(ref_id)
    except ValueError:
        return  # not one of this service's findings
    found = await _open_visit(
        uow, Visit.referral_id == ref if ref_kind == "referral" else Visit.finding_id == ref
    )
    if found is None:
        return
    visit, order = found
    row = await uow.session.get(LoopReturn, (ref_kind, ref_id, kind))
    assert row is not None
    await _apply(uow, visit, order, row)


async def link_referral(uow: UnitOfWork, *, finding_id: str, referral_id: uuid.UUID) -> None:
    """INSP-07: the referral service referred the case a finding became; any result it
    already returned (events of other topics may come first) is applied now."""
    try:
        finding = uuid.UUID(finding_id)
    except ValueError:
        return
    found = await _open_visit(uow, Visit.finding_id == finding)
    if found is None:
        return
    visit, order = found
    visit.referral_id = referral_id
    ORDER.audit(
        uow,
        order,
        "visit.referred",
        rule="INSP-07",
        target_id=str(visit.target_id),
        referral_id=str(referral_id),
    )
    earlier = (
        await uow.session.execute(
            sa.select(LoopReturn)
            .where(LoopReturn.ref_kind == "referral", LoopReturn.ref_id == str(referral_id))
            .order_by(LoopReturn.returned_at)
            .limit(1)
        )
    ).scalar()
    if earlier is not None:
        await _apply(uow, visit, order, earlier)


# ---- INSP-08: the serious report acknowledged -----------------------------------------------


async def acknowledge_serious(
    uow: UnitOfWork,
    *,
    actor: Principal,
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    response: str,
) -> Visit:
    """INSP-08: the district government acknowledges the serious report it received, and the
    competent authority the notice it was sent — each once, with what it will do."""
    order = await ORDER.get(uow, order_id)
    visit = await VISIT.find(uow, *visit_of(order, target_id))
    concerned = {DISTRICT_GOV, visit.competent_authority}
    if actor.org not in concerned:
        ORDER.ensure_visible(order, actor)  # 404 to those who may not see the order
        actor.require_org(*sorted(o for o in concerned if o))
    actor.require_role(*WRITE_ROLES)
    if OrderState(order.state) is OrderState.CLOSED:
        ORDER.check(order, OrderStep.HANDLE)  # archived: the same problem as every change
    government = actor.org == DISTRICT_GOV
    done = visit.serious_acknowledged_at if government else visit.authority_acknowledged_at
    if visit.serious_reported_at is None or done is not None:
        raise InspectionInvalidTransition(
            "only a serious report made and not yet acknowledged by the caller is acknowledged",
            zh="只有已报告且本单位尚未确认收悉的严重违法行为或重大隐患报告才能确认收悉",
            rule="INSP-08",
        )
    if not is_stated(response):
        raise InvalidInput(
            f"the acknowledgement says what will be done (at least {MIN_REASON} letters or "
            "characters)",
            zh=f"确认收悉须写明处理意见（至少 {MIN_REASON} 个字）",
            missing=["response"],
            rule="INSP-08",
        )
    if government:
        visit.serious_acknowledged_at, visit.serious_acknowledged_by = uow.now, actor.user
        visit.serious_ack_response = response
    else:
        visit.authority_acknowledged_at, visit.authority_acknowledged_by = uow.now, actor.user
        visit.authority_ack_response = response
    ORDER.audit(
        uow,
        order,
        "visit.serious-acknowledged",
        rule="INSP-08",
        target_id=str(target_id),
        by="district-gov" if government else "competent-authority",
        response=response,
    )
    return visit
