"""Work orders (检查任务工单, INSP-03/04/06): creation (a town's own, or a department's proposal
to the town), targets, consultation, advance-notice decision, issue and cancellation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from joint_inspection.domain import (
    InspectionMethod,
    NoticePolicy,
    OrderState,
    OrderStep,
    ParticipantRole,
    VisitState,
    check_window,
)
from joint_inspection.errors import OrderIncomplete, TargetNotDrawn, TargetOutsideTown
from joint_inspection.models import SelectionEntry, Visit, WorkOrder
from joint_inspection.schemas import OrderFromSelectionIn, OrderIn, OrderUpdate
from joint_inspection.service import merges
from joint_inspection.service.common import (
    MAX_VISITS,
    ORDER,
    SELECTION,
    WRITE_ROLES,
    add_participant,
    start_consultation,
    targets_for_order,
)
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import Forbidden, InvalidInput
from xietong_common.reasons import MIN_REASON, is_stated
from xietong_common.reference import OrgKind, is_department, is_town
from xietong_common.uow import UnitOfWork

CREATE_SCOPE = "inspection.order.create"
FROM_SELECTION_SCOPE = "inspection.selection.order"


@dataclass(frozen=True)
class NewOrder:
    title: str
    town: str | None
    scenario: str | None
    method: InspectionMethod
    matter_codes: list[str]
    planned_start: datetime
    planned_end: datetime
    proposal: str | None
    target_ids: Sequence[uuid.UUID]
    origin: str = "manual"
    plan_id: uuid.UUID | None = None
    selection_id: uuid.UUID | None = None
    notice_policy: NoticePolicy | None = None


async def new_order(
    uow: UnitOfWork, *, ctx: ServiceContext, actor: Principal, spec: NewOrder
) -> WorkOrder:
    """INSP-03: a town's order starts as its draft; INSP-04: a department's as a proposal to
    the town where the targets are, with what it proposes the town's brigade do."""
    actor.require_role(*WRITE_ROLES)
    check_window(spec.planned_start, spec.planned_end)
    matters = ctx.catalogue.require_all(spec.matter_codes)
    if is_town(actor.org):
        town = spec.town or actor.org
        if town != actor.org:
            raise Forbidden(
                "a town starts inspections in its own town; other towns are reached by referral",
                zh="乡镇（街道）只能在本辖区发起检查",
                rule="INSP-03",
            )
        state = OrderState.DRAFT
    elif is_department(actor.org):
        if spec.town is None:
            raise OrderIncomplete(
                "a department's joint inspection names the town it is consulted with (INSP-04)",
                zh="区级部门发起综合查一次须注明属地乡镇（街道）",
                missing=["town"],
                rule="INSP-04",
            )
        town = spec.town
        if not (spec.proposal or "").strip():
            raise OrderIncomplete(
                "a department's joint inspection is proposed to the town first, with the tasks "
                "proposed for its brigade (INSP-04)",
                zh="区级部门发起综合查一次应提前与属地协商，须提交协商方案（含拟由综合执法大队承担的任务）",
                missing=["proposal"],
                rule="INSP-04",
            )
        state = OrderState.PROPOSED
    else:
        raise Forbidden(
            "joint inspections are started by towns and departments; the justice bureau "
            "coordinates and dispatches (INSP-05)",
            zh="综合查一次由乡镇（街道）或区级部门发起；区司法局负责协调调度",
            rule="INSP-05",
        )
    ctx.directory.require(actor.org)
    ctx.directory.require(town, OrgKind.TOWN)
    order = ORDER.new(
        id=uuid.uuid4(),
        initiating_org=actor.org,
        town=town,
        plan_id=spec.plan_id,
        selection_id=spec.selection_id,
        title=spec.title,
        scenario=spec.scenario,
        method=spec.method.value,
        matter_codes=matters,
        planned_start=spec.planned_start,
        planned_end=spec.planned_end,
        state=state.value,
        proposal=spec.proposal,
        notice_policy=spec.notice_policy.value if spec.notice_policy else None,
        created_at=uow.now,
        created_by=actor.user,
        updated_at=uow.now,
        participants=[],
        inspectors=[],
        support_requests=[],
    )
    if spec.notice_policy is not None and spec.notice_policy.exempt:
        raise OrderIncomplete(
            "an order exempt from advance notice is marked with its reason (PUT notice-policy)",
            zh="免予事先通知的工单须通过“确定是否事先通知”说明理由",
            missing=["notice_exemption_reason"],
            rule="INSP-06",
        )
    add_participant(order, actor.org, ParticipantRole.LEAD, by=actor.user, at=uow.now)
    if town != actor.org:
        add_participant(order, town, ParticipantRole.BRIGADE, by=actor.user, at=uow.now)
    await ORDER.insert(uow, order)  # its participants with it, one INSERT for them
    await add_visits(
        uow, ctx=ctx, actor=actor, order=order, target_ids=spec.target_ids, origin=spec.origin
    )
    if state is OrderState.PROPOSED:
        await start_consultation(uow, ctx, order)
    ORDER.audit(
        uow,
        order,
        "order.proposed" if state is OrderState.PROPOSED else "order.drafted",
        rule="INSP-04" if state is OrderState.PROPOSED else "INSP-03",
        initiating_org=actor.org,
        town=town,
        targets=len(spec.target_ids),
        plan_id=str(spec.plan_id) if spec.plan_id else None,
    )
    return order


async def add_visits(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order: WorkOrder,
    target_ids: Sequence[uuid.UUID],
    origin: str,
) -> int:
    """Targets of the order's town join it (each once); overlaps with other agencies' plans
    for the same targets are proposed for merging (one visit instead of many)."""
    if not target_ids:
        return 0
    targets = await targets_for_order(uow, target_ids, actor)
    outside = [str(t.id) for t in targets if t.town != order.town]
    if outside:
        raise TargetOutsideTown(
            f"{len(outside)} target(s) are not in {order.town}",
            zh=f"有 {len(outside)} 个监管对象不在 {order.town}",
            target_ids=outside[:50],
        )
    count = (
        await uow.session.execute(
            sa.select(sa.func.count()).select_from(Visit).where(Visit.order_id == order.id)
        )
    ).scalar_one()
    if count + len(targets) > MAX_VISITS:
        raise OrderIncomplete(
            f"a work order holds at most {MAX_VISITS} targets; split it",
            zh=f"一张工单最多 {MAX_VISITS} 个检查对象，请拆分",
            rule="INSP-03",
        )
    rows = [
        {
            "id": uuid.uuid4(),
            "order_id": order.id,
            "target_id": t.id,
            "origin": origin,
            "state": VisitState.PENDING.value,
            "added_at": uow.now,
        }
        for t in targets
    ]
    added = (
        await uow.session.execute(
            insert(Visit).on_conflict_do_nothing().returning(Visit.target_id), rows
        )
    ).scalars()
    new = list(added)
    await merges.detect(uow, ctx=ctx, order=order, target_ids=new)
    return len(new)


async def create_order(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    data: OrderIn,
    idempotency_key: str | None = None,
) -> WorkOrder:
    """INSP-03/04: a town's draft order, or a department's proposal to the town."""
    replay = await idempotency.claim(
        uow, scope=CREATE_SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    if replay is not None:
        return await ORDER.load_for(uow, uuid.UUID(replay), actor)
    order = await new_order(
        uow,
        ctx=ctx,
        actor=actor,
        spec=NewOrder(
            title=data.title,
            town=data.town,
            scenario=data.scenario,
            method=data.method,
            matter_codes=list(data.matter_codes),
            planned_start=data.planned_start,
            planned_end=data.planned_end,
            proposal=data.proposal,
            target_ids=data.target_ids,
        ),
    )
    await idempotency.remember(
        uow, scope=CREATE_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(order.id)
    )
    return order


async def update_order(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    data: OrderUpdate,
) -> WorkOrder:
    """Edit a draft, or a proposal the town has not answered yet."""
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_org(order.initiating_org)
    actor.require_role(*WRITE_ROLES)
    ORDER.check(order, OrderStep.EDIT)
    given = data.model_fields_set
    for name in given - {"method", "matter_codes"}:
        value = getattr(data, name)
        if value is not None:
            setattr(order, name, value)
    if data.method is not None:
        order.method = data.method.value
    if data.matter_codes is not None:
        order.matter_codes = ctx.catalogue.require_all(data.matter_codes)
    check_window(order.planned_start, order.planned_end)
    order.updated_at = uow.now
    ORDER.audit(uow, order, "order.edited", rule="INSP-03", fields=sorted(given))
    if given & {"planned_start", "planned_end"}:
        # one visit instead of many: the new dates may meet another order's
        pending = (
            await uow.session.execute(
                sa.select(Visit.target_id).where(
                    Visit.order_id == order.id, Visit.state == VisitState.PENDING.value
                )
            )
        ).scalars()
        await merges.detect(uow, ctx=ctx, order=order, target_ids=list(pending))
    return order


async def add_targets(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    target_ids: Sequence[uuid.UUID],
) -> WorkOrder:
    """INSP-03: the order fixes its targets before it is issued (a proposal before the town
    answers it: changing an agreed proposal means revising it)."""
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_org(order.initiating_org)
    actor.require_role(*WRITE_ROLES)
    ORDER.check(order, OrderStep.EDIT)
    added = await add_visits(
        uow, ctx=ctx, actor=actor, order=order, target_ids=target_ids, origin="manual"
    )
    order.updated_at = uow.now
    ORDER.audit(uow, order, "order.targets-added", rule="INSP-03", added=added)
    return order


async def remove_target(
    uow: UnitOfWork,
    *,
    actor: Principal,
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    reason: str | None = None,
) -> WorkOrder:
    """INSP-03: a target leaves an order before it is issued. A drawn one (INSP-02) goes back
    to its draw, free for another order, only with a reason someone can rule on, kept on its
    draw entry: dropping a drawn target is how a favoured one would be left alone."""
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_org(order.initiating_org)
    actor.require_role(*WRITE_ROLES)
    ORDER.check(order, OrderStep.EDIT)
    drawn = (
        await uow.session.execute(
            sa.select(sa.func.count())
            .select_from(SelectionEntry)
            .where(SelectionEntry.order_id == order.id, SelectionEntry.target_id == target_id)
        )
    ).scalar_one()
    if drawn and not is_stated(reason):
        raise InvalidInput(
            f"a drawn target is dropped from its order with a reason of at least {MIN_REASON} "
            "letters or characters (INSP-02)",
            zh=f"抽取的检查对象移出工单须说明理由（至少 {MIN_REASON} 个字）",
            missing=["reason"],
            rule="INSP-02",
        )
    await uow.session.execute(
        sa.delete(Visit).where(Visit.order_id == order.id, Visit.target_id == target_id)
    )
    await uow.session.execute(
        sa.update(SelectionEntry)
        .where(SelectionEntry.order_id == order.id, SelectionEntry.target_id == target_id)
        .values(order_id=None, dropped_reason=reason, dropped_at=uow.now)
    )
    order.updated_at = uow.now
    ORDER.audit(
        uow,
        order,
        "order.target-removed",
        rule="INSP-02" if drawn else "INSP-03",
        target_id=str(target_id),
        reason=reason,
    )
    return order


async def order_from_selection(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    selection_id: uuid.UUID,
    data: OrderFromSelectionIn,
    idempotency_key: str | None = None,
) -> WorkOrder:
    """INSP-03: a plan round becomes a work order of drawn targets (each in one order only)."""
    selection = await SELECTION.load_for(uow, selection_id, actor, lock=False)
    plan = selection.plan
    actor.require_role(*WRITE_ROLES)
    actor.require_org(plan.town)
    replay = await idempotency.claim(
        uow,
        scope=FROM_SELECTION_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"selection": str(selection_id), **data.model_dump(mode="json")},
    )
    if replay is not None:
        return await ORDER.get(uow, uuid.UUID(replay))
    e = SelectionEntry
    query = (
        sa.select(e)
        .where(e.selection_id == selection.id, e.drawn, e.order_id.is_(None))
        .order_by(e.rule_position, e.clean, e.rank)
        .with_for_update()
    )
    if data.target_ids:
        query = query.where(e.target_id.in_(data.target_ids))
    else:
        query = query.limit(data.limit)
    entries = list((await uow.session.execute(query)).scalars())
    if not entries or (data.target_ids and len(entries) != len(set(data.target_ids))):
        taken = {x.target_id for x in entries}
        raise TargetNotDrawn(
            "these targets were not drawn in this selection, or are in a work order already",
            zh="这些监管对象未被本次抽取选中，或已列入工单",
            target_ids=[str(t) for t in (data.target_ids or []) if t not in taken][:50],
            rule="INSP-02",
        )
    order = await new_order(
        uow,
        ctx=ctx,
        actor=actor,
        spec=NewOrder(
            title=data.title,
            town=plan.town,
            scenario=plan.scenario,
            method=data.method,
            matter_codes=list(plan.matter_codes),
            planned_start=data.planned_start,
            planned_end=data.planned_end,
            proposal=None,
            target_ids=[x.target_id for x in entries],
            origin="selection",
            plan_id=plan.id,
            selection_id=selection.id,
            notice_policy=data.notice_policy,
        ),
    )
    for entry in entries:
        entry.order_id = order.id
    await idempotency.remember(
        uow,
        scope=FROM_SELECTION_SCOPE,
        org=actor.org,
        key=idempotency_key,
        resource_id=str(order.id),
    )
    return order
