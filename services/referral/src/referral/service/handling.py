"""The receiver's and the district government's use cases (REF-06..REF-10), and the sweep."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert

from referral import domain, events
from referral.domain import Step
from referral.errors import DirectionNotCovered, ReferralInvalidTransition, TimeLimitMissing
from referral.models import CooperationRequest, ReceiptCounter, Referral
from referral.schemas import AnswerIn, AssignIn, ConcludeIn, CooperationIn, FileIn
from referral.service.common import HANDLING_ROLES, RECEIVING_ROLES, REFERRAL, parties
from referral.settings import referral_settings
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.referral import (
    AnswerDecision,
    CaseProcedure,
)
from xietong_common.errors import NotFound
from xietong_common.reference import DISTRICT_GOV, is_department, is_town
from xietong_common.uow import UnitOfWork

SHANGHAI = ZoneInfo("Asia/Shanghai")
COOPERATION_SCOPE = "referral.cooperation-request"
ANSWER = "answer"  # REF-07: the deadline of the written answer
# ---- the receiver's side (REF-06..REF-10) --------------------------------------------------------


async def _next_receipt_number(uow: UnitOfWork, receiver: str) -> str:
    year = uow.now.astimezone(SHANGHAI).year
    seq = (
        await uow.session.execute(
            insert(ReceiptCounter)
            .values(org=receiver, year=year, last=1)
            .on_conflict_do_update(
                index_elements=[ReceiptCounter.org, ReceiptCounter.year],
                set_={"last": ReceiptCounter.last + 1},
            )
            .returning(ReceiptCounter.last)
        )
    ).scalar_one()
    return domain.receipt_number(receiver, year, seq)


async def receive(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    referral_id: uuid.UUID,
    actor: Principal,
    signer_name: str | None,
) -> Referral:
    """REF-06: the receiving clerk signs the numbered 送达回证; REF-07's clock starts."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    actor.require_org(referral.receiver or "")
    actor.require_role(*RECEIVING_ROLES)
    REFERRAL.transition(referral, Step.RECEIVE, uow.now)
    assert referral.receiver
    referral.received_at = uow.now
    referral.receipt_number = await _next_receipt_number(uow, referral.receiver)
    referral.receipt_signed_by = signer_name or actor.user
    await REFERRAL.satisfy_deadline(uow, referral, Step.RECEIVE.value)
    due = await REFERRAL.start_deadline(
        uow,
        referral,
        ANSWER,
        calendar=ctx.calendar,
        rule=domain.answer_deadline(),
        organisation=referral.receiver,
        counterparty=referral.sender,
        reference=referral.receipt_number,
    )
    uow.publish(events.received(referral, due), key=str(referral.id))
    REFERRAL.audit(uow, referral, "received", rule="REF-06", receipt_number=referral.receipt_number)
    return referral


async def answer(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    referral_id: uuid.UUID,
    actor: Principal,
    data: AnswerIn,
) -> Referral:
    """REF-07: the written answer; REF-08: a jurisdiction dispute goes to the district government."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    actor.require_org(referral.receiver or "")
    actor.require_role(*HANDLING_ROLES)
    step = domain.answer_step(data.decision)
    REFERRAL.transition(referral, step, uow.now)
    assert referral.receiver
    referral.answered_at, referral.answer_decision = uow.now, data.decision.value
    referral.answer_reasons = data.reasons
    met = await REFERRAL.satisfy_deadline(uow, referral, ANSWER)
    late = bool(met and met.overdue_at_satisfaction)
    key = str(referral.id)
    uow.publish(events.answered(referral, late=late), key=key)
    if data.decision is AnswerDecision.ACCEPT:
        await _start_filing_deadline(uow, ctx, referral, organisation=referral.receiver)
    else:
        uow.publish(events.escalated(referral), key=key)
    REFERRAL.audit(
        uow, referral, "answered", rule=step.rule, decision=data.decision.value, late=late
    )
    return referral


async def _start_filing_deadline(
    uow: UnitOfWork, ctx: ServiceContext, referral: Referral, *, organisation: str
) -> None:
    """REF-09: file 'promptly' (a setting in working days)."""
    await REFERRAL.start_deadline(
        uow,
        referral,
        Step.FILE.value,
        calendar=ctx.calendar,
        rule=domain.filing_deadline(referral_settings(ctx).referral_filing_working_days),
        organisation=organisation,
        counterparty=referral.sender,
        reference=referral.receipt_number,
    )


async def assign(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    referral_id: uuid.UUID,
    actor: Principal,
    data: AssignIn,
) -> Referral:
    """REF-08: the district government decides who has jurisdiction over a disputed case."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    actor.require_org(DISTRICT_GOV)
    actor.require_role(*HANDLING_ROLES)
    ctx.directory.require(data.assignee)
    if not (is_town(data.assignee) or is_department(data.assignee)):
        raise DirectionNotCovered(
            "a case is assigned to a town or a department",
            zh="案件只能指定由乡镇(街道)或区级部门管辖",
            rule="REF-08",
        )
    REFERRAL.transition(referral, Step.ASSIGN, uow.now)
    assert referral.receiver
    referral.assignee, referral.assigned_at = data.assignee, uow.now
    referral.assigned_by, referral.assignment_reasons = actor.user, data.reasons
    await _start_filing_deadline(uow, ctx, referral, organisation=data.assignee)
    uow.publish(events.assigned(referral), key=str(referral.id))
    REFERRAL.audit(uow, referral, "assigned", rule="REF-08", assignee=data.assignee)
    return referral


async def file(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    referral_id: uuid.UUID,
    actor: Principal,
    data: FileIn,
) -> Referral:
    """REF-09: the handling party files the case and the procedure's time limit starts."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    handler = parties(referral).handler or ""
    actor.require_org(handler)
    actor.require_role(*HANDLING_ROLES)
    REFERRAL.transition(referral, Step.FILE, uow.now)
    referral.filed_at, referral.case_number = uow.now, data.case_number
    referral.procedure = data.procedure.value
    met = await REFERRAL.satisfy_deadline(uow, referral, Step.FILE.value)
    if data.no_time_limit_reason and (
        data.procedure is not CaseProcedure.OTHER or data.time_limit_days is not None
    ):
        raise TimeLimitMissing(
            "no_time_limit_reason is for a procedure `other` filed without time_limit_days",
            zh="仅按“其他程序”立案且未载明期限时，才说明无法定期限的理由(no_time_limit_reason)",
            rule="REF-09",
        )
    rule = domain.conclusion_deadline(
        data.procedure,
        days=data.time_limit_days,
        ordinary_days=referral_settings(ctx).referral_ordinary_procedure_days,
        no_limit_reason=data.no_time_limit_reason,
    )
    referral.no_time_limit_reason = data.no_time_limit_reason
    flag = domain.procedure_flag(data.procedure, days=data.time_limit_days)
    referral.procedure_flag = flag.value if flag else None
    if flag:
        REFERRAL.audit(
            uow,
            referral,
            "procedure-flagged",
            rule="REF-09",
            flag=flag.value,
            procedure=data.procedure.value,
            no_time_limit_reason=data.no_time_limit_reason,
        )
    due = None
    if rule is not None:
        due = await REFERRAL.start_deadline(
            uow,
            referral,
            Step.CONCLUDE.value,
            calendar=ctx.calendar,
            rule=rule,
            organisation=handler,
            counterparty=referral.sender,
            reference=data.case_number,
        )
    late = bool(met and met.overdue_at_satisfaction)
    uow.publish(
        events.filed(referral, handler=handler, conclude_due=due, late=late),
        key=str(referral.id),
    )
    REFERRAL.audit(
        uow,
        referral,
        "filed",
        rule="REF-09",
        case_number=data.case_number,
        procedure=data.procedure.value,
        time_limit=rule.label_zh if rule else None,
        no_time_limit_reason=data.no_time_limit_reason,
        late=late,
    )
    return referral


async def conclude(
    uow: UnitOfWork, *, referral_id: uuid.UUID, actor: Principal, data: ConcludeIn
) -> Referral:
    """REF-09: the case is concluded (办结); a conclusion past the limit is recorded."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    handler = parties(referral).handler or ""
    actor.require_org(handler)
    actor.require_role(*HANDLING_ROLES)
    REFERRAL.transition(referral, Step.CONCLUDE, uow.now)
    referral.concluded_at, referral.outcome = uow.now, data.outcome
    referral.outcome_kind = data.outcome_kind.value
    referral.decision_number = data.decision_number
    # REF-09: a case may end while suspended (e.g. the filing withdrawn); the clock then stops.
    referral.suspended_at, referral.suspension = None, None
    await REFERRAL.satisfy_deadline(uow, referral, Step.CONCLUDE.value)
    uow.publish(events.concluded(referral, handler=handler), key=str(referral.id))
    REFERRAL.audit(
        uow,
        referral,
        "concluded",
        rule="REF-09",
        outcome_kind=data.outcome_kind.value,
        decision_number=data.decision_number,
    )
    return referral


async def request_cooperation(
    uow: UnitOfWork,
    *,
    referral_id: uuid.UUID,
    actor: Principal,
    data: CooperationIn,
    idempotency_key: str | None = None,
) -> CooperationRequest:
    """REF-10: the handling party asks the sender to cooperate (once per Idempotency-Key)."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    handler = parties(referral).handler or ""
    actor.require_org(handler)
    actor.require_role(*HANDLING_ROLES)
    replay = await idempotency.claim(
        uow,
        scope=COOPERATION_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"referral_id": str(referral.id), **data.model_dump(mode="json")},
    )
    if replay is not None:
        return next(c for c in referral.cooperation_requests if str(c.id) == replay)
    REFERRAL.check(referral, Step.REQUEST_COOPERATION)
    request = data.request
    item = CooperationRequest(
        id=uuid.uuid4(),
        referral_id=referral.id,
        requesting_org=handler,
        requested_org=referral.sender,
        request=request,
        requested_at=uow.now,
        requested_by=actor.user,
    )
    referral.cooperation_requests.append(item)
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=COOPERATION_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(item.id)
    )
    uow.publish(events.cooperation_requested(referral, item), key=str(referral.id))
    REFERRAL.audit(uow, referral, "cooperation-requested", rule="REF-10", request_id=str(item.id))
    return item


async def answer_cooperation(
    uow: UnitOfWork,
    *,
    referral_id: uuid.UUID,
    request_id: uuid.UUID,
    actor: Principal,
    answer_text: str,
) -> CooperationRequest:
    """REF-10: the sender assists and records its answer."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    actor.require_org(referral.sender)
    actor.require_role(*HANDLING_ROLES)
    item = next((c for c in referral.cooperation_requests if c.id == request_id), None)
    if item is None:
        raise NotFound("no such cooperation request", zh="未找到该协助请求")
    if item.answered_at is not None:
        raise ReferralInvalidTransition(
            "this cooperation request is already answered", zh="该协助请求已答复"
        )
    item.answer, item.answered_at, item.answered_by = answer_text, uow.now, actor.user
    REFERRAL.audit(uow, referral, "cooperation-answered", rule="REF-10", request_id=str(item.id))
    return item


async def cooperation_not_given(
    uow: UnitOfWork,
    *,
    referral_id: uuid.UUID,
    request_id: uuid.UUID,
    actor: Principal,
    reason: str,
) -> CooperationRequest:
    """REF-10: the handling party records, once and with its reason, that the sender did not
    give the cooperation it asked for (answered it is given: nothing to record). Published for
    oversight (SUP-01), which counts it against the sender."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    item = next((c for c in referral.cooperation_requests if c.id == request_id), None)
    if item is None:
        raise NotFound("no such cooperation request", zh="未找到该协助请求")
    actor.require_org(item.requesting_org)
    actor.require_role(*HANDLING_ROLES)
    if item.answered_at is not None or item.not_given_at is not None:
        raise ReferralInvalidTransition(
            "this cooperation request is answered or recorded as not given already",
            zh="该协助请求已答复或已记录未予协助",
        )
    item.not_given_at, item.not_given_reason, item.not_given_by = uow.now, reason, actor.user
    uow.publish(events.cooperation_not_given(referral, item), key=str(referral.id))
    REFERRAL.audit(
        uow,
        referral,
        "cooperation-not-given",
        rule="REF-10",
        request_id=str(item.id),
        reason=reason,
    )
    return item
