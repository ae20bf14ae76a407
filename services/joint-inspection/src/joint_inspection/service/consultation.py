"""Consultation and issue of work orders (INSP-04, INSP-06, INSP-03): the town agrees or
counter-proposes, the department accepts or revises, advance notice is decided, the order is
issued (SEC-04 checked again) or cancelled."""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from joint_inspection import events
from joint_inspection.domain import (
    ConsultationDecision,
    InspectorKind,
    NoticePolicy,
    OrderState,
    OrderStep,
    Readiness,
    VisitState,
    check_issuable,
    order_number,
)
from joint_inspection.domain.loop import unannounced
from joint_inspection.errors import (
    InspectionInvalidTransition,
    OfficerIneligible,
)
from joint_inspection.models import OrderCounter, SelectionEntry, Visit, WorkOrder
from joint_inspection.schemas import (
    ConsultationIn,
    NoticePolicyIn,
)
from joint_inspection.service import merges
from joint_inspection.service.common import (
    CONSULT,
    LEAD_ROLES,
    ORDER,
    WRITE_ROLES,
    agreed_matters,
    end_deadlines,
    issuer_name,
    start_consultation,
)
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ
from xietong_common.context import ServiceContext
from xietong_common.errors import InvalidInput
from xietong_common.mechanisms.roster import eligibility
from xietong_common.reasons import MIN_REASON, is_law_title, is_stated
from xietong_common.uow import UnitOfWork

RUNNING = frozenset({OrderState.ISSUED, OrderState.IN_PROGRESS})


async def consult(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    data: ConsultationIn,
) -> WorkOrder:
    """INSP-04: the town agrees and sets its brigade's tasks, or counter-proposes."""
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_org(order.town)
    actor.require_role(*LEAD_ROLES)
    agree = data.decision is ConsultationDecision.AGREE
    if OrderState(order.state) in RUNNING:
        return await _consent_to_added(uow, order, actor, data)
    if not agree and not (data.counter_proposal or "").strip():
        raise InvalidInput(
            "a counter-proposal says what the town proposes instead",
            zh="提出调整意见须写明调整内容",
            missing=["counter_proposal"],
            rule="INSP-04",
        )
    ORDER.transition(order, OrderStep.AGREE if agree else OrderStep.COUNTER_PROPOSE, uow.now)
    order.brigade_tasks = data.brigade_tasks
    order.counter_proposal = None if agree else data.counter_proposal
    if agree:
        order.agreed_matters = list(order.matter_codes)
    order.consulted_at, order.consulted_by = uow.now, actor.user
    met = await ORDER.satisfy_deadline(uow, order, CONSULT)
    ORDER.audit(
        uow,
        order,
        "order.consulted",
        rule="INSP-04",
        decision=data.decision.value,
        brigade_tasks=data.brigade_tasks,
        late=bool(met and met.overdue_at_satisfaction),
    )
    return order


async def _consent_to_added(
    uow: UnitOfWork, order: WorkOrder, actor: Principal, data: ConsultationIn
) -> WorkOrder:
    """INSP-04 on an issued order a merge added another agency's matters to: the town agrees
    the joint content (the order goes on, now covering them), or they stay unagreed (no visit
    or outcome covers them)."""
    pending = [m for m in order.matter_codes if m not in agreed_matters(order)]
    if not pending:
        raise InspectionInvalidTransition(
            "the town has agreed every matter of this order already",
            zh="本工单的检查事项均已经属地乡镇（街道）同意",
            state=order.state,
            rule="INSP-04",
        )
    if data.decision is not ConsultationDecision.AGREE:
        raise InspectionInvalidTransition(
            "on an issued order the town agrees the added matters or leaves them unagreed "
            "(then they are not inspected); a counter-proposal is for a proposal",
            zh="工单已下达：属地乡镇（街道）可同意新增事项，或不同意（新增事项不予检查）",
            state=order.state,
            rule="INSP-04",
        )
    order.agreed_matters = list(order.matter_codes)
    order.brigade_tasks = data.brigade_tasks
    order.consulted_at, order.consulted_by = uow.now, actor.user
    order.updated_at = uow.now
    met = await ORDER.satisfy_deadline(uow, order, CONSULT)
    ORDER.audit(
        uow,
        order,
        "order.consulted",
        rule="INSP-04",
        decision=data.decision.value,
        brigade_tasks=data.brigade_tasks,
        matters_agreed=pending,
        late=bool(met and met.overdue_at_satisfaction),
    )
    return order


async def accept_counter(uow: UnitOfWork, *, actor: Principal, order_id: uuid.UUID) -> WorkOrder:
    """INSP-04: the department accepts the town's counter-proposal; the order is agreed."""
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_org(order.initiating_org)
    actor.require_role(*LEAD_ROLES)
    ORDER.transition(order, OrderStep.ACCEPT_COUNTER, uow.now)
    order.agreed_matters = list(order.matter_codes)
    ORDER.audit(uow, order, "order.counter-accepted", rule="INSP-04")
    return order


async def revise(
    uow: UnitOfWork, *, ctx: ServiceContext, actor: Principal, order_id: uuid.UUID, proposal: str
) -> WorkOrder:
    """INSP-04: the department revises its proposal; the town is consulted again."""
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_org(order.initiating_org)
    actor.require_role(*WRITE_ROLES)
    ORDER.transition(order, OrderStep.REVISE, uow.now)
    order.proposal = proposal
    await start_consultation(uow, ctx, order)
    ORDER.audit(uow, order, "order.revised", rule="INSP-04")
    return order


_CITED_TITLE = re.compile(r"^\s*(《[^《》]+》)")


def cites_law(text: str | None) -> bool:
    """INSP-06: the basis names the law by its title (an article may follow the title)."""
    found = _CITED_TITLE.match(text or "")
    return is_law_title(found.group(1) if found else text)


def exemption_missing(data: NoticePolicyIn) -> list[str]:
    """INSP-06: what an exemption from advance notice lacks to stand: a reason someone can
    rule on, and the law that forbids disclosure (by its title) or the superior and its
    instructing document. One character, or 'the relevant rules', is not a basis."""
    if not data.policy.exempt:
        return []
    missing = [] if is_stated(data.reason) else ["reason"]
    if data.policy is NoticePolicy.LAW_FORBIDS and not cites_law(data.legal_basis):
        missing.append("legal_basis")
    if data.policy is NoticePolicy.SUPERIOR_INSTRUCTION:
        if not data.instructing_authority:
            missing.append("instructing_authority")
        if not is_stated(data.instructing_document):
            missing.append("instructing_document")
    return missing


async def set_notice_policy(
    uow: UnitOfWork, *, actor: Principal, order_id: uuid.UUID, data: NoticePolicyIn
) -> WorkOrder:
    """INSP-06: the targets are told in advance, unless law forbids it, a superior required
    no notice, or the town chose not to (可, 'may') — with the reason (and the law, the
    superior) on record."""
    order = await ORDER.load_for(uow, order_id, actor)
    # INSP-06 可: the town where the targets are may choose not to notify; that discretion
    # is its own, not the initiating department's
    discretion = data.policy is NoticePolicy.TOWN_DISCRETION
    actor.require_org(order.town if discretion else order.initiating_org)
    actor.require_role(*WRITE_ROLES)
    ORDER.check(order, OrderStep.SET_NOTICE)
    missing = exemption_missing(data)
    if missing:
        raise InvalidInput(
            f"an order exempt from advance notice ({data.policy.value}) needs: "
            + ", ".join(missing)
            + f" (a reason of at least {MIN_REASON} letters or characters; the law by its "
            "title, 《…法》; the superior and its instructing document)",
            zh=f"“{data.policy.label_zh}”须写明："
            + "、".join(missing)
            + f"（理由至少 {MIN_REASON} 个字；法律依据须写明法律、法规名称，如《…法》；"
            "上级机关及其要求不事先通知的文件文号或名称）",
            missing=missing,
            rule="INSP-06",
        )
    superior = data.policy is NoticePolicy.SUPERIOR_INSTRUCTION
    order.notice_policy = data.policy.value
    order.notice_exemption_reason = data.reason if data.policy.exempt else None
    order.instructing_authority = data.instructing_authority if superior else None
    order.notice_legal_basis = data.legal_basis if data.policy is NoticePolicy.LAW_FORBIDS else None
    order.notice_instructing_document = data.instructing_document if superior else None
    order.updated_at = uow.now
    ORDER.audit(
        uow,
        order,
        "order.notice-policy",
        rule="INSP-06",
        policy=data.policy.value,
        reason=order.notice_exemption_reason,
        instructing_authority=order.instructing_authority,
        legal_basis=order.notice_legal_basis,
        instructing_document=order.notice_instructing_document,
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
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_org(order.initiating_org)
    actor.require_role(*LEAD_ROLES)
    ORDER.check(order, OrderStep.ISSUE)
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
    ORDER.transition(order, OrderStep.ISSUE, uow.now)
    if order.initiating_org == order.town:
        order.agreed_matters = list(order.matter_codes)  # the town's own order (INSP-04)
    order.number = await _next_number(uow, ctx, order.initiating_org)
    order.issued_at, order.issued_by = uow.now, actor.user
    if not unannounced(order.notice_policy):
        # INSP-06: an unannounced order's planned times reach integrators after its first
        # visit (onsite.record_on_site), never before it
        uow.publish(events.order_issued(order, targets=targets), key=str(order.id))
    ORDER.audit(
        uow,
        order,
        "order.issued",
        rule="INSP-03",
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
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_org(order.initiating_org)
    actor.require_role(*LEAD_ROLES)
    ORDER.transition(order, OrderStep.CANCEL, uow.now)
    order.cancelled_at, order.cancel_reason = uow.now, reason
    await release(uow, order)
    ORDER.audit(uow, order, "order.cancelled", rule="INSP-03", reason=reason)
    return order


async def release(uow: UnitOfWork, order: WorkOrder) -> None:
    """An order that will not be carried out: its deadlines end, its drawn targets are free
    for another order, and merge proposals with it lapse."""
    await end_deadlines(uow, order, reason="order-cancelled")
    await uow.session.execute(
        sa.update(SelectionEntry).where(SelectionEntry.order_id == order.id).values(order_id=None)
    )
    await merges.lapse(uow, order_id=order.id, now=uow.now)
