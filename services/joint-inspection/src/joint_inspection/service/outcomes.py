"""What an inspection finds at a target and how it is handled (INSP-08): findings to referral
with the REV-01 check, past findings as risk signals (INSP-02), serious findings reported to
the district government, and the result feedback (INSP-07)."""

from __future__ import annotations

import uuid

from joint_inspection import events
from joint_inspection.domain import (
    OrderStep,
    OutcomeFacts,
    VisitStep,
    check_outcome,
    jurisdiction,
    needs_finding_event,
    serious_report_deadline,
    signal_weight,
)
from joint_inspection.domain.loop import Awaits, check_loop_returned, feedback_recipients
from joint_inspection.errors import (
    InspectionInvalidTransition,
    OutcomeIncomplete,
    SeriousReportMissing,
)
from joint_inspection.models import RiskSignal, Visit, WorkOrder
from joint_inspection.schemas import OutcomeIn
from joint_inspection.service.common import (
    ORDER,
    TARGET,
    VISIT,
    WRITE_ROLES,
    check_agreed,
    lock_register,
    participants,
    visit_of,
)
from joint_inspection.service.onsite import not_future, open_for
from joint_inspection.service.targets import china_day
from joint_inspection.settings import inspection_settings
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import FindingOutcome
from xietong_common.errors import InvalidInput
from xietong_common.mechanisms.review_triggers import evaluate_triggers
from xietong_common.parties import PartyKind
from xietong_common.reasons import MIN_REASON, is_stated
from xietong_common.reference import DISTRICT_GOV, is_town
from xietong_common.uow import UnitOfWork


def serious_report_action(visit: Visit) -> str:
    """INSP-08: the initiating unit owes the report of this serious finding."""
    return f"serious-report:{visit.id}"


async def record_outcome(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    data: OutcomeIn,
) -> Visit:
    """INSP-08: no problem → recorded; a problem, no violation → the guidance given; a
    violation → `inspection.finding` (within jurisdiction with the REV-01 check, and where
    the town handles it and a review is required, `inspection.review-requested` to legal
    review; outside it the referral service drafts the referral), and the loop waits for
    either; serious → the competent authority notified and the report to the district
    government owed 'promptly'."""
    order = await open_for(uow, actor, order_id, OrderStep.HANDLE)
    visit = await VISIT.find(uow, *visit_of(order, target_id))
    target = await TARGET.get(uow, visit.target_id, lock=False)
    VISIT.transition(visit, VisitStep.HANDLE, uow.now)
    within: bool | None = None
    holder: str | None = None
    if data.matter_code:
        check_agreed(order, [data.matter_code])
        matter = ctx.catalogue.require(data.matter_code)
        found = jurisdiction(
            town_level=matter.town_level,
            owner=matter.owner,
            town=order.town,
            participants=participants(order),
        )
        within, holder = found.within, found.holder
    if data.competent_authority and ctx.directory.get(data.competent_authority) is None:
        # INSP-08: the authority notified is an organisation that acknowledges the notice
        raise OutcomeIncomplete(
            f"{data.competent_authority!r} is not an organisation in the directory: the "
            "competent authority notified is named by its code, and acknowledges the notice",
            zh=f"“{data.competent_authority}”不是机构名录中的机构：通报的主管部门须填写机构代码，并由其确认收悉",
            outcome=data.outcome.value,
            missing=["competent_authority"],
            rule="INSP-08",
        )
    check_outcome(
        OutcomeFacts(
            outcome=data.outcome,
            description=data.description,
            handling=data.handling,
            guidance=data.guidance,
            matter_code=data.matter_code,
            proposed_decision_given=data.proposed_decision is not None,
            serious_scope=data.serious_scope,
            competent_authority=data.competent_authority,
        ),
        within_jurisdiction=within,
    )
    serious = data.outcome is FindingOutcome.SERIOUS
    if data.authority_notified_at:
        not_future(data.authority_notified_at, uow.now, "authority_notified_at", "通报时间")
    visit.outcome, visit.description = data.outcome.value, data.description
    visit.guidance, visit.matter_code = data.guidance, data.matter_code
    visit.within_jurisdiction, visit.handling_org = within, holder
    visit.handling = data.handling or (
        f"不属本次参加单位管辖，由 {order.town} 移送 {holder}（移送服务起草移送函）"
        if within is False
        else None
    )
    if within and data.proposed_decision is not None:
        hits = evaluate_triggers(data.proposed_decision.proposed(PartyKind(target.party_kind)))
        visit.proposed_decision = data.proposed_decision.model_dump(mode="json")
        visit.review_required = bool(hits)
        visit.review_triggers = [
            {"trigger": h.trigger.value, "label_zh": h.trigger.label_zh, "reason": h.reason}
            for h in hits
        ]
    if serious:
        visit.serious_scope = data.serious_scope.value if data.serious_scope else None
        visit.competent_authority = data.competent_authority
        visit.authority_notified_at = data.authority_notified_at or uow.now
        assert visit.inspected_at
        await ORDER.start_deadline(
            uow,
            order,
            serious_report_action(visit),
            calendar=ctx.calendar,
            rule=serious_report_deadline(inspection_settings(ctx).inspection_serious_report_hours),
            organisation=order.initiating_org,
            counterparty=DISTRICT_GOV,
            started_at=visit.inspected_at,
            reference=order.number,
        )
    visit.outcome_at, visit.outcome_by = uow.now, actor.user
    await _past_finding_signal(uow, ctx, order, visit, actor)
    if needs_finding_event(data.outcome, data.matter_code):
        visit.finding_id = uuid.uuid4()
        uow.publish(events.finding(order, visit, target), key=str(order.id))
        if within is False:
            # INSP-07: the referral service drafts the referral; the loop waits for it
            visit.awaits = Awaits.REFERRAL.value
        elif visit.review_required and holder and is_town(holder):
            # REV-01: the town's review body reviews before the town decides; the loop waits
            visit.awaits = Awaits.REVIEW.value
            uow.publish(events.review_requested(order, visit, target), key=str(order.id))
            ORDER.audit(
                uow,
                order,
                "visit.review-requested",
                rule="REV-01",
                target_id=str(target_id),
                finding_id=str(visit.finding_id),
                handling_org=holder,
                triggers=[t["trigger"] for t in visit.review_triggers or []],
            )
    ORDER.audit(
        uow,
        order,
        "visit.outcome",
        rule="INSP-08",
        target_id=str(target_id),
        outcome=data.outcome.value,
        matter_code=data.matter_code,
        within_jurisdiction=within,
        handling_org=holder,
        review_required=visit.review_required,
        finding_id=str(visit.finding_id) if visit.finding_id else None,
        awaits=visit.awaits,
    )
    return visit


async def _past_finding_signal(
    uow: UnitOfWork, ctx: ServiceContext, order: WorkOrder, visit: Visit, actor: Principal
) -> None:
    """INSP-02: what an inspection found is itself a signal on the target."""
    settings = inspection_settings(ctx)
    weight = signal_weight(
        FindingOutcome(visit.outcome or FindingOutcome.NO_PROBLEM.value),
        violation=settings.inspection_finding_signal_weight,
        guidance=settings.inspection_guidance_signal_weight,
    )
    if weight is None:
        return
    assert visit.inspected_at
    now = await lock_register(uow, ctx, order.town)
    uow.session.add(
        RiskSignal(
            id=uuid.uuid4(),
            target_id=visit.target_id,
            kind="past-finding",
            source=f"综合查一次 {order.number or order.id}",
            observed_on=china_day(visit.inspected_at),
            weight=min(weight, 100),
            description=visit.description or "",
            visit_id=visit.id,
            recorded_at=now,
            recorded_by=actor.user,
            recorded_by_org=actor.org,
        )
    )


async def report_serious(
    uow: UnitOfWork,
    *,
    actor: Principal,
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    report: str,
) -> Visit:
    """INSP-08: the initiating unit reports the serious finding to the district government
    (`inspection.serious-reported`); a report past the 'promptly' setting is recorded late."""
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_org(order.initiating_org)
    actor.require_role(*WRITE_ROLES)
    ORDER.check(order, OrderStep.HANDLE)
    visit = await VISIT.find(uow, *visit_of(order, target_id))
    if visit.outcome != FindingOutcome.SERIOUS.value or visit.serious_reported_at is not None:
        raise InspectionInvalidTransition(
            "only a serious finding not yet reported is reported to the district government",
            zh="只有尚未报告的严重违法行为或重大隐患才报告区政府",
            rule="INSP-08",
        )
    target = await TARGET.get(uow, visit.target_id, lock=False)
    visit.serious_report, visit.serious_reported_at = report, uow.now
    met = await ORDER.satisfy_deadline(uow, order, serious_report_action(visit))
    late = bool(met and met.overdue_at_satisfaction)
    uow.publish(
        events.serious_reported(order, visit, target, due=met, late=late), key=str(order.id)
    )
    ORDER.audit(
        uow,
        order,
        "visit.serious-reported",
        rule="INSP-08",
        target_id=str(target_id),
        reported_to="district-gov",
        late=late,
    )
    return visit


async def feed_back(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    result: str,
) -> Visit:
    """INSP-07: the result feedback closes the loop at the target: a result someone can read,
    once the referral or review the finding started returned, delivered to the target's
    record and the departments concerned (`inspection.fed-back`)."""
    order = await open_for(uow, actor, order_id, OrderStep.HANDLE)
    visit = await VISIT.find(uow, *visit_of(order, target_id))
    if visit.outcome == FindingOutcome.SERIOUS.value and visit.serious_reported_at is None:
        raise SeriousReportMissing(
            "report the serious finding to the district government before the feedback",
            zh="请先将严重违法行为或重大隐患报告区政府，再反馈结果",
            rule="INSP-08",
        )
    VISIT.transition(visit, VisitStep.FEED_BACK, uow.now)
    check_loop_returned(visit.awaits, visit.loop_returned_at)
    if not is_stated(result):
        raise InvalidInput(
            f"the result fed back says what was found and how it was handled (at least "
            f"{MIN_REASON} letters or characters)",
            zh=f"结果反馈须写明检查结果及处理情况（至少 {MIN_REASON} 个字）",
            missing=["result"],
            rule="INSP-07",
        )
    owners = [
        ctx.catalogue.require(code).owner
        for code in dict.fromkeys([*(visit.matters_checked or []), visit.matter_code])
        if code
    ]
    visit.feedback_to = feedback_recipients(
        town=order.town,
        initiating_org=order.initiating_org,
        matter_owners=owners,
        handling_org=visit.handling_org,
    )
    visit.feedback, visit.fed_back_at, visit.fed_back_by = result, uow.now, actor.user
    target = await TARGET.get(uow, visit.target_id, lock=False)
    uow.publish(events.fed_back(order, visit, target), key=str(order.id))
    ORDER.audit(
        uow,
        order,
        "visit.fed-back",
        rule="INSP-07",
        target_id=str(target_id),
        recipients=visit.feedback_to,
        loop_result=visit.loop_result,
    )
    return visit
