"""Work orders (检查任务工单, INSP-03/04/06): creation (a town's own, or a department's proposal
to the town), targets, consultation, advance-notice decision, issue and cancellation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from joint_inspection import events
from joint_inspection.domain import (
    ConsultationDecision,
    InspectionMethod,
    InspectorKind,
    NoticePolicy,
    OrderState,
    OrderStep,
    ParticipantRole,
    Readiness,
    VisitState,
    check_issuable,
    check_window,
    order_number,
)
from joint_inspection.errors import (
    OfficerIneligible,
    OrderIncomplete,
    TargetOutsideTown,
)
from joint_inspection.models import OrderCounter, SelectionEntry, Visit, WorkOrder
from joint_inspection.schemas import (
    ConsultationIn,
    NoticePolicyIn,
    OrderIn,
    OrderUpdate,
)
from joint_inspection.service import merges
from joint_inspection.service.common import (
    CONSULT,
    LEAD_ROLES,
    MAX_VISITS,
    MECHANISM,
    WRITE_ROLES,
    add_participant,
    apply_step,
    audit,
    check_matters,
    check_org,
    check_step,
    end_deadlines,
    issuer_name,
    load_order,
    order_subject,
    start_consultation,
    targets_for_order,
)
from xietong_common import deadlines, idempotency
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ
from xietong_common.context import ServiceContext
from xietong_common.errors import Forbidden, InvalidInput
from xietong_common.reference import OrgKind
from xietong_common.roster import eligibility
from xietong_common.uow import UnitOfWork

CREATE_SCOPE = "inspection.order.create"


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
    matters = check_matters(ctx, spec.matter_codes)
    if actor.is_town:
        town = spec.town or actor.org
        if town != actor.org:
            raise Forbidden(
                "a town starts inspections in its own town; other towns are reached by referral",
                zh="乡镇（街道）只能在本辖区发起检查",
                rule="INSP-03",
            )
        state = OrderState.DRAFT
    elif actor.is_department:
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
    check_org(ctx, actor.org)
    check_org(ctx, town, OrgKind.TOWN)
    order = WorkOrder(
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
    uow.session.add(order)
    await uow.session.flush()
    await add_visits(
        uow, ctx=ctx, actor=actor, order=order, target_ids=spec.target_ids, origin=spec.origin
    )
    if state is OrderState.PROPOSED:
        await start_consultation(uow, ctx, order)
    audit(
        uow,
        order_subject(order.id),
        "order.proposed" if state is OrderState.PROPOSED else "order.drafted",
        "INSP-04" if state is OrderState.PROPOSED else "INSP-03",
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
    targets = await targets_for_order(uow.session, target_ids, actor)
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


async def create(
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
        return await load_order(uow.session, uuid.UUID(replay), actor)
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


async def update(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    data: OrderUpdate,
) -> WorkOrder:
    """Edit a draft, or a proposal the town has not answered yet."""
    order = await load_order(uow.session, order_id, actor, lock=True)
    actor.require_org(order.initiating_org)
    actor.require_role(*WRITE_ROLES)
    check_step(order, OrderStep.EDIT)
    given = data.model_fields_set
    for name in given - {"method", "matter_codes"}:
        value = getattr(data, name)
        if value is not None:
            setattr(order, name, value)
    if data.method is not None:
        order.method = data.method.value
    if data.matter_codes is not None:
        order.matter_codes = check_matters(ctx, data.matter_codes)
    check_window(order.planned_start, order.planned_end)
    order.updated_at = uow.now
    audit(uow, order_subject(order.id), "order.edited", "INSP-03", fields=sorted(given))
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
    order = await load_order(uow.session, order_id, actor, lock=True)
    actor.require_org(order.initiating_org)
    actor.require_role(*WRITE_ROLES)
    check_step(order, OrderStep.EDIT)
    added = await add_visits(
        uow, ctx=ctx, actor=actor, order=order, target_ids=target_ids, origin="manual"
    )
    order.updated_at = uow.now
    audit(uow, order_subject(order.id), "order.targets-added", "INSP-03", added=added)
    return order


async def remove_target(
    uow: UnitOfWork, *, actor: Principal, order_id: uuid.UUID, target_id: uuid.UUID
) -> WorkOrder:
    order = await load_order(uow.session, order_id, actor, lock=True)
    actor.require_org(order.initiating_org)
    actor.require_role(*WRITE_ROLES)
    check_step(order, OrderStep.EDIT)
    await uow.session.execute(
        sa.delete(Visit).where(Visit.order_id == order.id, Visit.target_id == target_id)
    )
    await uow.session.execute(
        sa.update(SelectionEntry)
        .where(SelectionEntry.order_id == order.id, SelectionEntry.target_id == target_id)
        .values(order_id=None)
    )
    order.updated_at = uow.now
    audit(uow, order_subject(order.id), "order.target-removed", "INSP-03", target_id=str(target_id))
    return order


async def consult(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    data: ConsultationIn,
) -> WorkOrder:
    """INSP-04: the town agrees and sets its brigade's tasks, or counter-proposes."""
    order = await load_order(uow.session, order_id, actor, lock=True)
    actor.require_org(order.town)
    actor.require_role(*LEAD_ROLES)
    agree = data.decision is ConsultationDecision.AGREE
    if not agree and not (data.counter_proposal or "").strip():
        raise InvalidInput(
            "a counter-proposal says what the town proposes instead",
            zh="提出调整意见须写明调整内容",
            missing=["counter_proposal"],
            rule="INSP-04",
        )
    apply_step(order, OrderStep.AGREE if agree else OrderStep.COUNTER_PROPOSE, uow.now)
    order.brigade_tasks = data.brigade_tasks
    order.counter_proposal = None if agree else data.counter_proposal
    order.consulted_at, order.consulted_by = uow.now, actor.user
    met = await deadlines.satisfy(
        uow, subject=order_subject(order.id), action=CONSULT, at=uow.now, mechanism=MECHANISM
    )
    audit(
        uow,
        order_subject(order.id),
        "order.consulted",
        "INSP-04",
        decision=data.decision.value,
        brigade_tasks=data.brigade_tasks,
        late=bool(met and met.overdue_at_satisfaction),
    )
    return order


async def accept_counter(uow: UnitOfWork, *, actor: Principal, order_id: uuid.UUID) -> WorkOrder:
    """INSP-04: the department accepts the town's counter-proposal; the order is agreed."""
    order = await load_order(uow.session, order_id, actor, lock=True)
    actor.require_org(order.initiating_org)
    actor.require_role(*LEAD_ROLES)
    apply_step(order, OrderStep.ACCEPT_COUNTER, uow.now)
    audit(uow, order_subject(order.id), "order.counter-accepted", "INSP-04")
    return order


async def revise(
    uow: UnitOfWork, *, ctx: ServiceContext, actor: Principal, order_id: uuid.UUID, proposal: str
) -> WorkOrder:
    """INSP-04: the department revises its proposal; the town is consulted again."""
    order = await load_order(uow.session, order_id, actor, lock=True)
    actor.require_org(order.initiating_org)
    actor.require_role(*WRITE_ROLES)
    apply_step(order, OrderStep.REVISE, uow.now)
    order.proposal = proposal
    await start_consultation(uow, ctx, order)
    audit(uow, order_subject(order.id), "order.revised", "INSP-04")
    return order


async def set_notice_policy(
    uow: UnitOfWork, *, actor: Principal, order_id: uuid.UUID, data: NoticePolicyIn
) -> WorkOrder:
    """INSP-06: the targets are told in advance, unless law forbids it or a superior required
    no notice — with the reason (and the superior) on record."""
    order = await load_order(uow.session, order_id, actor, lock=True)
    actor.require_org(order.initiating_org)
    actor.require_role(*WRITE_ROLES)
    check_step(order, OrderStep.SET_NOTICE)
    missing = []
    if data.policy.exempt and not data.reason:
        missing.append("reason")
    if data.policy is NoticePolicy.SUPERIOR_INSTRUCTION and not data.instructing_authority:
        missing.append("instructing_authority")
    if missing:
        raise InvalidInput(
            f"an order exempt from advance notice ({data.policy.value}) needs: "
            + ", ".join(missing),
            zh=f"“{data.policy.label_zh}”须写明：" + "、".join(missing),
            missing=missing,
            rule="INSP-06",
        )
    order.notice_policy = data.policy.value
    order.notice_exemption_reason = data.reason if data.policy.exempt else None
    order.instructing_authority = (
        data.instructing_authority if data.policy is NoticePolicy.SUPERIOR_INSTRUCTION else None
    )
    order.updated_at = uow.now
    audit(
        uow,
        order_subject(order.id),
        "order.notice-policy",
        "INSP-06",
        policy=data.policy.value,
        reason=order.notice_exemption_reason,
        instructing_authority=order.instructing_authority,
    )
    return order


async def _next_number(uow: UnitOfWork, ctx: ServiceContext, org: str) -> str:
    year = uow.now.astimezone(CHINA_TZ).year
    seq = (
        await uow.session.execute(
            insert(OrderCounter)
            .values(org=org, year=year, last=1)
            .on_conflict_do_update(
                index_elements=[OrderCounter.org, OrderCounter.year],
                set_={"last": OrderCounter.last + 1},
            )
            .returning(OrderCounter.last)
        )
    ).scalar_one()
    return order_number(issuer_name(ctx, org), year, seq)


async def issue(
    uow: UnitOfWork, *, ctx: ServiceContext, actor: Principal, order_id: uuid.UUID
) -> WorkOrder:
    """INSP-03: issue the order with its targets, method and inspectors fixed (INSP-04: a
    department's only once the town agreed; INSP-06 decided; SEC-04 checked again now)."""
    order = await load_order(uow.session, order_id, actor, lock=True)
    actor.require_org(order.initiating_org)
    actor.require_role(*LEAD_ROLES)
    check_step(order, OrderStep.ISSUE)
    targets = (
        await uow.session.execute(
            sa.select(sa.func.count())
            .select_from(Visit)
            .where(Visit.order_id == order.id, Visit.state != VisitState.MERGED.value)
        )
    ).scalar_one()
    check_issuable(
        Readiness(
            targets=targets,
            inspectors=len(order.inspectors),
            matters=len(order.matter_codes),
            notice_policy=NoticePolicy(order.notice_policy) if order.notice_policy else None,
            exemption_reason=order.notice_exemption_reason,
        )
    )
    await _recheck_seconded(uow, ctx, order)
    apply_step(order, OrderStep.ISSUE, uow.now)
    order.number = await _next_number(uow, ctx, order.initiating_org)
    order.issued_at, order.issued_by = uow.now, actor.user
    uow.publish(events.order_issued(order, targets=targets), key=str(order.id))
    audit(
        uow,
        order_subject(order.id),
        "order.issued",
        "INSP-03",
        number=order.number,
        targets=targets,
        inspectors=len(order.inspectors),
        notice_policy=order.notice_policy,
    )
    return order


async def _recheck_seconded(uow: UnitOfWork, ctx: ServiceContext, order: WorkOrder) -> None:
    """SEC-04 on the day of issue: a certificate may have expired since the assignment."""
    failed = []
    for inspector in order.inspectors:
        if inspector.kind != InspectorKind.SECONDED.value:
            continue
        for code in inspector.matter_codes:
            answer = await eligibility(
                uow.session,
                catalogue=ctx.catalogue,
                officer_id=inspector.officer_id,
                matter_code=code,
                town=order.town,
                at=uow.now,
            )
            if not answer.eligible:
                failed.append({"matter_code": code, **answer.as_dict()})
    if failed:
        raise OfficerIneligible(
            "a seconded officer of this order may no longer act on its matters: "
            + "; ".join("; ".join(f["reasons_en"]) for f in failed),
            zh="本工单的下沉人员已不符合执法条件："
            + "；".join("；".join(f["reasons_zh"]) for f in failed),
            checks=failed,
            rule="SEC-04",
        )


async def cancel(
    uow: UnitOfWork, *, actor: Principal, order_id: uuid.UUID, reason: str
) -> WorkOrder:
    """Cancel an order not yet under way; its drawn targets may go into another order."""
    order = await load_order(uow.session, order_id, actor, lock=True)
    actor.require_org(order.initiating_org)
    actor.require_role(*LEAD_ROLES)
    apply_step(order, OrderStep.CANCEL, uow.now)
    order.cancelled_at, order.cancel_reason = uow.now, reason
    await release(uow, order)
    audit(uow, order_subject(order.id), "order.cancelled", "INSP-03", reason=reason)
    return order


async def release(uow: UnitOfWork, order: WorkOrder) -> None:
    """An order that will not be carried out: its deadlines end, its drawn targets are free
    for another order, and merge proposals with it lapse."""
    await end_deadlines(uow, order)
    await uow.session.execute(
        sa.update(SelectionEntry).where(SelectionEntry.order_id == order.id).values(order_id=None)
    )
    await merges.lapse(uow, order_id=order.id, now=uow.now)
