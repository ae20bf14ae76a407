"""The records of joint inspection — the work order (`ORDER`) and its visits (`VISIT`), the
plan (`PLAN`) and its draws (`SELECTION`), the target (`TARGET`), the merge proposal (`MERGE`),
the shortcoming (`SHORTCOMING`) — and the steps their use cases share: participants, the
register's lock, the deadlines an order owes."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from joint_inspection.domain import (
    ORDER_TRANSITIONS,
    PLAN_TRANSITIONS,
    VISIT_TRANSITIONS,
    MergeState,
    OrderState,
    OrderStep,
    ParticipantRole,
    PlanState,
    PlanStep,
    VisitState,
    VisitStep,
    consultation_deadline,
)
from joint_inspection.errors import ConsultationRequired, UnknownTarget
from joint_inspection.models import (
    MergeProposal,
    OrderParticipant,
    Plan,
    Selection,
    Shortcoming,
    ShortcomingAck,
    Target,
    Visit,
    WorkOrder,
)
from joint_inspection.settings import inspection_settings
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.records import Db, RecordKind
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG, is_department
from xietong_common.uow import UnitOfWork

MECHANISM = "joint-inspection"
WRITE_ROLES = ("handler", "leader")
LEAD_ROLES = ("leader",)
MAX_VISITS = 500


# ---- work orders and their visits ---------------------------------------------------------------


def participants(order: WorkOrder) -> set[str]:
    """Every organisation taking part (the lead, the town's brigade, departments…)."""
    return {p.org for p in order.participants}


def _order_parties(order: WorkOrder) -> set[str]:
    """Who sees an order: its participants, the departments asked for support, and the
    district government once a serious finding is recorded (INSP-08)."""
    return (
        participants(order)
        | {order.initiating_org, order.town}
        | {s.department for s in order.support_requests}
        | ({DISTRICT_GOV} if order.serious_found else set())
    )


ORDER: RecordKind[WorkOrder, OrderState, OrderStep] = RecordKind(
    model=WorkOrder,
    subject="inspection",
    actions="inspection",
    mechanism=MECHANISM,
    name="work order",
    name_zh="检查任务工单",
    parties=_order_parties,
    transitions=ORDER_TRANSITIONS,
    sort={"planned_start": WorkOrder.planned_start, "created_at": WorkOrder.created_at},
    collections=(WorkOrder.participants, WorkOrder.inspectors, WorkOrder.support_requests),
    documents=True,
)
"""检查任务工单: targets, number, method and inspectors of one joint inspection (INSP-03..08);
the justice bureau reads every order (INSP-05)."""

VISIT: RecordKind[Visit, VisitState, VisitStep] = RecordKind(
    model=Visit,
    subject="inspection-visit",
    actions="inspection",
    mechanism=MECHANISM,
    name="target of this work order",
    name_zh="本工单中的检查对象",
    parties=lambda _: (),
    transitions=VISIT_TRANSITIONS,
)
"""One target of a work order and its closed loop (INSP-06..08). A visit is reached through
its order (`ORDER.load_for` first, then `VISIT.find`) and audited under it."""


def visit_of(order: WorkOrder, target_id: uuid.UUID) -> tuple[sa.ColumnElement[bool], ...]:
    """`VISIT.find(uow, *visit_of(order, target_id))`: the order's visit to a target."""
    return (Visit.order_id == order.id, Visit.target_id == target_id)


async def visits_of(db: Db, order_id: uuid.UUID) -> list[Visit]:
    session = db.session if isinstance(db, UnitOfWork) else db
    return list(
        (
            await session.execute(
                sa.select(Visit)
                .where(Visit.order_id == order_id)
                .order_by(Visit.added_at, Visit.id)
            )
        ).scalars()
    )


def add_participant(
    order: WorkOrder,
    org: str,
    role: ParticipantRole,
    *,
    by: str,
    at: datetime,
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


def agreed_matters(order: WorkOrder) -> list[str]:
    """INSP-04: the matters the town agreed (an order issued before they were recorded: all)."""
    return list(order.agreed_matters if order.agreed_matters is not None else order.matter_codes)


def check_agreed(order: WorkOrder, codes: Sequence[str]) -> None:
    """INSP-04: a visit or an outcome covers only matters the town agreed; others wait for it
    (a merge added them) or are not this inspection's."""
    agreed = agreed_matters(order)
    stray = [c for c in dict.fromkeys(codes) if c not in agreed]
    if stray:
        raise ConsultationRequired(
            f"{', '.join(stray)} are not matters the town ({order.town}) agreed for this "
            "inspection: the town is consulted first (INSP-04)",
            zh=f"{'、'.join(stray)} 不是属地乡镇（街道）同意的本次检查事项，须先与 {order.town} 协商",
            matter_codes=stray,
            agreed_matters=agreed,
            rule="INSP-04",
        )


def require_participant(principal: Principal, order: WorkOrder) -> None:
    """Only those taking part act on the inspection."""
    principal.require_org(*sorted(participants(order)))


def issuer_name(ctx: ServiceContext, org: str) -> str:
    found = ctx.directory.get(org)
    return found.name_zh if found else org


# ---- plans and their draws ----------------------------------------------------------------------

PLAN: RecordKind[Plan, PlanState, PlanStep] = RecordKind(
    model=Plan,
    subject="inspection-plan",
    actions="inspection",
    mechanism=MECHANISM,
    name="plan",
    name_zh="检查计划",
    parties=lambda p: (p.town,),
    transitions=PLAN_TRANSITIONS,
    sort={"created_at": Plan.created_at},
)
"""检查工作计划: a town's plan for one application scenario (INSP-01), its adjustments and
draws (INSP-02), audited under it."""

SELECTION: RecordKind[Selection, Any, Any] = RecordKind(
    model=Selection,
    subject="inspection-selection",
    actions="inspection",
    mechanism=MECHANISM,
    name="selection",
    name_zh="抽取记录",
    parties=lambda s: (s.plan.town,),
)
"""One recorded draw of a plan round (INSP-02), seen by whoever sees its plan; it is audited
under its plan (`inspection.selection.drawn`)."""


# ---- the register of targets --------------------------------------------------------------------


def _reads_register(org: str) -> bool:
    """Departments, the justice bureau and the district government read the whole district's
    register (they supervise across towns); a town reads its own."""
    return org in (OVERSIGHT_ORG, DISTRICT_GOV) or is_department(org)


TARGET: RecordKind[Target, Any, Any] = RecordKind(
    model=Target,
    subject="inspection-target",
    actions="inspection",
    mechanism=MECHANISM,
    name="target",
    name_zh="监管对象",
    parties=lambda t: (t.town,),
    readers=_reads_register,
    sort={"created_at": Target.created_at},
)
"""监管对象 (INSP-02): an enterprise, organisation or person in the register, with its risk
signals, audited under it."""


def may_edit_target(principal: Principal, target: Target) -> bool:
    """The town where the target is, or the department that registered it."""
    return principal.org in (target.town, target.created_by_org)


async def targets_for_order(
    uow: UnitOfWork, ids: Sequence[uuid.UUID], principal: Principal
) -> list[Target]:
    """The targets named, each visible to the caller and still supervised."""
    wanted = list(dict.fromkeys(ids))
    found = {
        t.id: t
        for t in (
            await uow.session.execute(sa.select(Target).where(Target.id.in_(wanted)))
        ).scalars()
    }
    missing = [
        str(i)
        for i in wanted
        if i not in found or not TARGET.visible_to(found[i], principal.org) or not found[i].active
    ]
    if missing:
        raise UnknownTarget(
            f"{len(missing)} target(s) are not in the register or no longer supervised",
            zh=f"有 {len(missing)} 个监管对象不在名录中或已注销",
            target_ids=missing[:50],
        )
    return [found[i] for i in wanted]


async def lock_register(
    uow: UnitOfWork, ctx: ServiceContext, town: str, *, exclusive: bool = False
) -> datetime:
    """Changes to a town's register (targets, signals) take this lock shared; a draw takes it
    exclusively. Each reads the clock only once it holds the lock, so every change recorded
    before a draw's time was committed before the draw read the register, and every later
    one carries a later time: a re-run 'as of the draw' sees what the draw saw (INSP-02)."""
    key = zlib.crc32(f"joint-inspection:register:{town}".encode())
    lock = sa.func.pg_advisory_xact_lock if exclusive else sa.func.pg_advisory_xact_lock_shared
    await uow.session.execute(sa.select(lock(key)))
    return ctx.clock.now()


# ---- merge proposals and shortcomings -----------------------------------------------------------

MERGE: RecordKind[MergeProposal, MergeState, Any] = RecordKind(
    model=MergeProposal,
    subject="inspection-merge",
    actions="inspection",
    mechanism=MECHANISM,
    name="merge proposal",
    name_zh="合并建议",
    parties=lambda m: (m.org_a, m.org_b, m.town),
    sort={"proposed_at": MergeProposal.proposed_at},
    # Its last change: the decision, else the proposal (an acceptance by one side alone
    # carries no time of its own).
    changed=sa.func.coalesce(MergeProposal.decided_at, MergeProposal.proposed_at),
)
"""A proposal to merge two agencies' inspections of the same targets into one joint visit
(进一次门、查多项事); the justice bureau decides for both (INSP-05)."""

SHORTCOMING: RecordKind[Shortcoming, Any, Any] = RecordKind(
    model=Shortcoming,
    subject="inspection-shortcoming",
    actions="inspection",
    mechanism=MECHANISM,
    name="shortcoming",
    name_zh="政务服务短板记录",
    parties=lambda s: (s.reporting_org, s.town, *s.departments),
    sort={"reported_at": Shortcoming.reported_at},
    # Its last change: the report, or a department's acknowledgement since.
    changed=sa.func.greatest(
        Shortcoming.reported_at,
        sa.select(sa.func.max(ShortcomingAck.acknowledged_at))
        .where(ShortcomingAck.shortcoming_id == Shortcoming.id)
        .scalar_subquery(),
    ),
)
"""政务服务短板 (INSP-09): found on site, sent to the departments concerned, each of which
owes an acknowledgement."""


# ---- deadlines an order owes --------------------------------------------------------------------

CONSULT = "consult"


def support_action(request_id: uuid.UUID) -> str:
    """INSP-03: the department asked for support owes its answer."""
    return f"support:{request_id}"


async def start_consultation(uow: UnitOfWork, ctx: ServiceContext, order: WorkOrder) -> None:
    """INSP-04: the town owes an answer to the proposal (a setting in working days)."""
    await ORDER.cancel_deadline(uow, order, CONSULT, reason="proposal-changed")
    await ORDER.start_deadline(
        uow,
        order,
        CONSULT,
        calendar=ctx.calendar,
        rule=consultation_deadline(inspection_settings(ctx).inspection_consultation_working_days),
        organisation=order.town,
        counterparty=order.initiating_org,
        reference=order.number,
    )


async def end_deadlines(uow: UnitOfWork, order: WorkOrder, *, reason: str) -> None:
    """An order that will not go on (cancelled, merged away): what it was owed is not owed
    (a deadline already missed stays a breach)."""
    await ORDER.close_deadline(uow, order, CONSULT, reason=reason)
    for request in order.support_requests:
        if request.accepted is None:
            await ORDER.close_deadline(uow, order, support_action(request.id), reason=reason)
