"""The closed loop at each target (INSP-06..INSP-08): advance notice, on-site record and
materials, outcome and handling (findings, REV-01 check, serious reports), result feedback,
and closing the order into its archive (立卷归档)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import UploadFile

from joint_inspection import events
from joint_inspection.domain import (
    InspectorKind,
    MaterialKind,
    NoticePolicy,
    OrderStep,
    OutcomeFacts,
    VisitState,
    VisitStep,
    check_closable,
    check_inspectors_on_site,
    check_notice_allowed,
    check_notice_before_visit,
    check_outcome,
    jurisdiction,
    needs_finding_event,
    serious_report_deadline,
    signal_weight,
)
from joint_inspection.errors import (
    ImplausibleTime,
    InspectionInvalidTransition,
    OfficerIneligible,
    SeriousReportMissing,
)
from joint_inspection.models import OrderMaterial, RiskSignal, Target, Visit, WorkOrder
from joint_inspection.schemas import AdvanceNoticeIn, OnSiteIn, OutcomeIn
from joint_inspection.service.common import (
    LEAD_ROLES,
    MECHANISM,
    WRITE_ROLES,
    apply_step,
    audit,
    check_matters,
    check_step,
    load_order,
    load_visit,
    order_subject,
    participants,
    require_participant,
    visit_step,
    visits_of,
)
from joint_inspection.service.staffing import check_seconded
from joint_inspection.service.targets import china_day
from joint_inspection.settings import inspection_settings
from xietong_common import deadlines
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import FindingOutcome
from xietong_common.errors import InvalidInput
from xietong_common.materials import store_material
from xietong_common.parties import PartyKind
from xietong_common.review_triggers import evaluate_triggers
from xietong_common.uow import UnitOfWork

MAX_CLOCK_SKEW = timedelta(minutes=10)


def _not_future(at: datetime, now: datetime, what: str, zh: str) -> None:
    if at > now + MAX_CLOCK_SKEW:
        raise ImplausibleTime(f"{what} lies in the future", zh=f"{zh}晚于当前时间")


async def _open_for(
    uow: UnitOfWork, actor: Principal, order_id: uuid.UUID, step: OrderStep
) -> WorkOrder:
    order = await load_order(uow.session, order_id, actor, lock=True)
    require_participant(actor, order)
    actor.require_role(*WRITE_ROLES)
    check_step(order, step)
    return order


async def record_notice(
    uow: UnitOfWork,
    *,
    actor: Principal,
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    data: AdvanceNoticeIn,
) -> Visit:
    """INSP-06: the target was told the time, basis and method of the inspection."""
    order = await _open_for(uow, actor, order_id, OrderStep.RECORD)
    check_notice_allowed(NoticePolicy(order.notice_policy) if order.notice_policy else None)
    visit = await load_visit(uow, order, target_id)
    if VisitState(visit.state) is not VisitState.PENDING:
        raise InspectionInvalidTransition(
            "the target was inspected already; a notice comes before the visit",
            zh="该检查对象已检查，事先通报应在检查之前",
            rule="INSP-06",
        )
    _not_future(data.notified_at, uow.now, "notified_at", "通报时间")
    if data.inspection_time < data.notified_at:
        raise ImplausibleTime(
            "the inspection time told is before the notice", zh="通报的检查时间早于通报时间"
        )
    visit.notified_at, visit.notice_time = data.notified_at, data.inspection_time
    visit.notice_basis, visit.notice_method = data.basis, data.method
    visit.notice_channel, visit.notice_by = data.channel, actor.user
    audit(
        uow,
        order_subject(order.id),
        "visit.notified",
        "INSP-06",
        target_id=str(target_id),
        notified_at=data.notified_at.isoformat(),
        inspection_time=data.inspection_time.isoformat(),
    )
    return visit


async def _repeat_of(
    uow: UnitOfWork, ctx: ServiceContext, order: WorkOrder, visit: Visit, at: datetime
) -> Visit | None:
    """One visit instead of many: the nearest inspection of this target by another party
    within the window either side of this one (whichever is recorded second is flagged)."""
    window = timedelta(days=inspection_settings(ctx).inspection_merge_window_days)
    row = (
        await uow.session.execute(
            sa.select(Visit)
            .join(WorkOrder, WorkOrder.id == Visit.order_id)
            .where(
                Visit.target_id == visit.target_id,
                Visit.id != visit.id,
                Visit.inspected_at.is_not(None),
                Visit.inspected_at <= at + window,
                Visit.inspected_at >= at - window,
                WorkOrder.initiating_org != order.initiating_org,
            )
            .order_by(sa.func.abs(sa.extract("epoch", Visit.inspected_at - at)), Visit.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    return row


async def record_on_site(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    target_id: uuid.UUID,
    data: OnSiteIn,
) -> Visit:
    """INSP-07: the on-site record, by the order's inspectors (seconded ones checked again,
    SEC-04), after the advance notice unless the order is exempt (INSP-06)."""
    order = await _open_for(uow, actor, order_id, OrderStep.VISIT)
    visit = await load_visit(uow, order, target_id)
    visit_step(visit, VisitStep.VISIT)
    _not_future(data.inspected_at, uow.now, "inspected_at", "检查时间")
    assert order.issued_at
    if data.inspected_at < order.issued_at:
        raise ImplausibleTime(
            "an inspection is made after its order was issued", zh="检查时间早于工单下达时间"
        )
    check_notice_before_visit(
        policy=NoticePolicy(order.notice_policy) if order.notice_policy else None,
        notified_at=visit.notified_at,
        inspected_at=data.inspected_at,
    )
    matters = check_matters(ctx, data.matters_checked or order.matter_codes)
    present = {i.id: i for i in order.inspectors if i.id in set(data.inspector_ids)}
    if len(present) != len(set(data.inspector_ids)):
        raise InvalidInput(
            "every inspector named must be an inspector of this order",
            zh="现场检查人员须为本工单安排的检查人员",
            rule="INSP-03",
        )
    check_inspectors_on_site(
        len(present), inspection_settings(ctx).inspection_min_inspectors_on_site
    )
    for inspector in present.values():
        if inspector.kind != InspectorKind.SECONDED.value:
            continue
        own = [m for m in inspector.matter_codes if m in matters]
        if not own:
            raise OfficerIneligible(
                f"seconded officer {inspector.officer_id} may inspect none of the matters checked",
                zh=f"下沉人员 {inspector.officer_id} 不得检查本次所查事项",
                officer_id=inspector.officer_id,
                rule="SEC-04",
            )
        await check_seconded(
            uow, ctx, officer_id=inspector.officer_id, matters=own, town=order.town, every=True
        )
    apply_step(order, OrderStep.VISIT, uow.now)
    visit.inspected_at, visit.inspected_by_org = data.inspected_at, actor.org
    visit.inspector_ids = [str(i) for i in present]
    visit.onsite_record, visit.matters_checked = data.record, matters
    earlier = await _repeat_of(uow, ctx, order, visit, data.inspected_at)
    visit.repeat_of = earlier.id if earlier else None
    audit(
        uow,
        order_subject(order.id),
        "visit.inspected",
        "INSP-07",
        target_id=str(target_id),
        inspectors=visit.inspector_ids,
        repeat_of=str(earlier.id) if earlier else None,
    )
    return visit


async def add_material(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    target_id: uuid.UUID | None,
    kind: MaterialKind,
    title: str,
    upload: UploadFile,
) -> OrderMaterial:
    """INSP-07: a record of the inspection (text, photos and video, clues, evidence, electronic
    documents), stored by SHA-256 after the size and type checks."""
    order = await _open_for(uow, actor, order_id, OrderStep.RECORD)
    visit = await load_visit(uow, order, target_id, lock=False) if target_id else None
    blob = await store_material(ctx, upload, fallback=f"{kind.value}.bin")
    material = OrderMaterial(
        id=uuid.uuid4(),
        order_id=order.id,
        visit_id=visit.id if visit else None,
        kind=kind.value,
        title=title,
        filename=blob.filename,
        content_type=blob.content_type,
        size=blob.size,
        sha256=blob.sha256,
        uploaded_at=uow.now,
        uploaded_by=actor.user,
        uploaded_by_org=actor.org,
    )
    uow.session.add(material)
    await uow.session.flush()
    audit(
        uow,
        order_subject(order.id),
        "material.added",
        "INSP-07",
        material_id=str(material.id),
        kind=kind.value,
        target_id=str(target_id) if target_id else None,
        sha256=blob.sha256,
        size=blob.size,
    )
    return material


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
    violation → `inspection.finding` (within jurisdiction with the REV-01 check; outside it
    the referral service drafts the referral); serious → the competent authority notified and
    the report to the district government owed 'promptly'."""
    order = await _open_for(uow, actor, order_id, OrderStep.HANDLE)
    visit = await load_visit(uow, order, target_id)
    target = await uow.session.get(Target, visit.target_id)
    assert target is not None
    visit_step(visit, VisitStep.HANDLE)
    within: bool | None = None
    holder: str | None = None
    if data.matter_code:
        check_matters(ctx, [data.matter_code])
        matter = ctx.catalogue.require(data.matter_code)
        found = jurisdiction(
            town_level=matter.town_level,
            owner=matter.owner,
            town=order.town,
            participants=participants(order),
        )
        within, holder = found.within, found.holder
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
        _not_future(data.authority_notified_at, uow.now, "authority_notified_at", "通报时间")
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
        await deadlines.start(
            uow,
            calendar=ctx.calendar,
            subject=order_subject(order.id),
            action=f"serious-report:{visit.id}",
            rule=serious_report_deadline(inspection_settings(ctx).inspection_serious_report_hours),
            organisation=order.initiating_org,
            started_at=visit.inspected_at,
        )
    visit.outcome_at, visit.outcome_by = uow.now, actor.user
    await _past_finding_signal(uow, ctx, order, visit, actor)
    if needs_finding_event(data.outcome, data.matter_code):
        visit.finding_id = uuid.uuid4()
        uow.publish(events.finding(order, visit, target), key=str(order.id))
    audit(
        uow,
        order_subject(order.id),
        "visit.outcome",
        "INSP-08",
        target_id=str(target_id),
        outcome=data.outcome.value,
        matter_code=data.matter_code,
        within_jurisdiction=within,
        handling_org=holder,
        review_required=visit.review_required,
        finding_id=str(visit.finding_id) if visit.finding_id else None,
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
            recorded_at=uow.now,
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
    order = await load_order(uow.session, order_id, actor, lock=True)
    actor.require_org(order.initiating_org)
    actor.require_role(*WRITE_ROLES)
    check_step(order, OrderStep.HANDLE)
    visit = await load_visit(uow, order, target_id)
    if visit.outcome != FindingOutcome.SERIOUS.value or visit.serious_reported_at is not None:
        raise InspectionInvalidTransition(
            "only a serious finding not yet reported is reported to the district government",
            zh="只有尚未报告的严重违法行为或重大隐患才报告区政府",
            rule="INSP-08",
        )
    target = await uow.session.get(Target, visit.target_id)
    assert target is not None
    visit.serious_report, visit.serious_reported_at = report, uow.now
    met = await deadlines.satisfy(
        uow,
        subject=order_subject(order.id),
        action=f"serious-report:{visit.id}",
        at=uow.now,
        mechanism=MECHANISM,
    )
    late = bool(met and met.overdue_at_satisfaction)
    uow.publish(
        events.serious_reported(order, visit, target, due=met, late=late), key=str(order.id)
    )
    audit(
        uow,
        order_subject(order.id),
        "visit.serious-reported",
        "INSP-08",
        target_id=str(target_id),
        reported_to="district-gov",
        late=late,
    )
    return visit


async def feed_back(
    uow: UnitOfWork, *, actor: Principal, order_id: uuid.UUID, target_id: uuid.UUID, result: str
) -> Visit:
    """INSP-07: the result feedback closes the loop at the target."""
    order = await _open_for(uow, actor, order_id, OrderStep.HANDLE)
    visit = await load_visit(uow, order, target_id)
    if visit.outcome == FindingOutcome.SERIOUS.value and visit.serious_reported_at is None:
        raise SeriousReportMissing(
            "report the serious finding to the district government before the feedback",
            zh="请先将严重违法行为或重大隐患报告区政府，再反馈结果",
            rule="INSP-08",
        )
    visit_step(visit, VisitStep.FEED_BACK)
    visit.feedback, visit.fed_back_at, visit.fed_back_by = result, uow.now, actor.user
    audit(uow, order_subject(order.id), "visit.fed-back", "INSP-07", target_id=str(target_id))
    return visit


def _manifest(
    order: WorkOrder, visits: list[Visit], materials: list[OrderMaterial]
) -> dict[str, Any]:
    def plain(obj: Any) -> dict[str, Any]:
        return {
            c.key: (
                v.isoformat()
                if isinstance(v, datetime)
                else str(v)
                if isinstance(v, uuid.UUID)
                else v
            )
            for c in sa.inspect(type(obj)).columns
            if (v := getattr(obj, c.key)) is not None
        }

    record = plain(order)
    record.pop("archive_manifest", None)
    record.pop("archive_digest", None)
    return {
        "order": record,
        "participants": [plain(p) for p in order.participants],
        "inspectors": [plain(i) for i in order.inspectors],
        "support_requests": [plain(s) for s in order.support_requests],
        "visits": [plain(v) for v in visits],
        "materials": [plain(m) for m in materials],
    }


async def close(
    uow: UnitOfWork, *, ctx: ServiceContext, actor: Principal, order_id: uuid.UUID
) -> WorkOrder:
    """INSP-07: every target has its outcome and feedback; the order is archived (立卷归档),
    its manifest digested, and nothing about it changes again."""
    order = await load_order(uow.session, order_id, actor, lock=True)
    actor.require_org(order.initiating_org)
    actor.require_role(*LEAD_ROLES)
    check_step(order, OrderStep.CLOSE)
    visits = await visits_of(uow.session, order.id)
    check_closable((str(v.target_id), VisitState(v.state)) for v in visits)
    subject = order_subject(order.id)
    for request in order.support_requests:
        if request.accepted is None:
            await deadlines.cancel(uow, subject=subject, action=f"support:{request.id}")
    materials = list(
        (
            await uow.session.execute(
                sa.select(OrderMaterial)
                .where(OrderMaterial.order_id == order.id)
                .order_by(OrderMaterial.uploaded_at, OrderMaterial.id)
            )
        ).scalars()
    )
    order.closed_at, order.closed_by = uow.now, actor.user
    apply_step(order, OrderStep.CLOSE, uow.now)
    manifest = _manifest(order, visits, materials)
    canonical = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    order.archive_manifest = manifest
    order.archive_digest = hashlib.sha256(canonical.encode()).hexdigest()
    targets = {
        t.id: t
        for t in (
            await uow.session.execute(
                sa.select(Target).where(Target.id.in_([v.target_id for v in visits]))
            )
        ).scalars()
    }
    plan_scenario = order.scenario
    uow.publish(
        events.closed(order, [(v, targets[v.target_id]) for v in visits], scenario=plan_scenario),
        key=str(order.id),
    )
    audit(
        uow,
        subject,
        "order.closed",
        "INSP-07",
        number=order.number,
        archive_digest=order.archive_digest,
        visits=len(visits),
        materials=len(materials),
    )
    return order
