"""The visit at each target (INSP-06, INSP-07): advance notice, the on-site record by the
order's inspectors (SEC-04 checked again), re-inspections flagged, and the materials filed."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from joint_inspection import events
from joint_inspection.domain import (
    InspectorKind,
    MaterialKind,
    NoticePolicy,
    OrderState,
    OrderStep,
    VisitState,
    VisitStep,
    check_inspectors_on_site,
    check_notice_allowed,
    check_notice_before_visit,
)
from joint_inspection.domain.loop import unannounced
from joint_inspection.domain.scenarios import check_checklist
from joint_inspection.errors import (
    ImplausibleTime,
    InspectionInvalidTransition,
    MatterNotOwn,
    OfficerIneligible,
)
from joint_inspection.models import (
    OrderInspector,
    OrderMaterial,
    Plan,
    Target,
    Visit,
    WorkOrder,
)
from joint_inspection.schemas import AdvanceNoticeIn, OnSiteIn
from joint_inspection.service.common import (
    ORDER,
    TARGET,
    VISIT,
    WRITE_ROLES,
    agreed_matters,
    check_agreed,
    require_participant,
    visit_of,
)
from joint_inspection.service.staffing import (
    check_roster_identity,
    check_seconded,
    own_matters,
    roster_identity,
)
from joint_inspection.settings import inspection_settings
from xietong_common import materials
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import InvalidInput
from xietong_common.uow import UnitOfWork

MAX_CLOCK_SKEW = timedelta(minutes=10)
MATERIAL_SCOPE = "inspection.order.material"


def not_future(at: datetime, now: datetime, what: str, zh: str) -> None:
    if at > now + MAX_CLOCK_SKEW:
        raise ImplausibleTime(f"{what} lies in the future", zh=f"{zh}晚于当前时间")


async def open_for(
    uow: UnitOfWork, actor: Principal, order_id: uuid.UUID, step: OrderStep
) -> WorkOrder:
    order = await ORDER.load_for(uow, order_id, actor)
    require_participant(actor, order)
    actor.require_role(*WRITE_ROLES)
    ORDER.check(order, step)
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
    order = await open_for(uow, actor, order_id, OrderStep.RECORD)
    check_notice_allowed(NoticePolicy(order.notice_policy) if order.notice_policy else None)
    visit = await VISIT.find(uow, *visit_of(order, target_id))
    if VisitState(visit.state) is not VisitState.PENDING:
        raise InspectionInvalidTransition(
            "the target was inspected already; a notice comes before the visit",
            zh="该检查对象已检查，事先通报应在检查之前",
            rule="INSP-06",
        )
    not_future(data.notified_at, uow.now, "notified_at", "通报时间")
    assert order.issued_at
    if data.notified_at < order.issued_at:
        raise ImplausibleTime(
            "a notice of an inspection is given after its order was issued, not before",
            zh="事先通报时间早于工单下达时间",
            issued_at=order.issued_at.isoformat(),
            rule="INSP-06",
        )
    if data.inspection_time < data.notified_at:
        raise ImplausibleTime(
            "the inspection time told is before the notice", zh="通报的检查时间早于通报时间"
        )
    visit.notified_at, visit.notice_time = data.notified_at, data.inspection_time
    visit.notice_basis, visit.notice_method = data.basis, data.method
    visit.notice_channel, visit.notice_by = data.channel, actor.user
    ORDER.audit(
        uow,
        order,
        "visit.notified",
        rule="INSP-06",
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
    order = await open_for(uow, actor, order_id, OrderStep.VISIT)
    visit = await VISIT.find(uow, *visit_of(order, target_id))
    VISIT.transition(visit, VisitStep.VISIT, uow.now)
    not_future(data.inspected_at, uow.now, "inspected_at", "检查时间")
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
    matters = ctx.catalogue.require_all(data.matters_checked or agreed_matters(order))
    check_agreed(order, matters)
    present = {i.id: i for i in order.inspectors if i.id in set(data.inspector_ids)}
    if len(present) != len(set(data.inspector_ids)):
        raise InvalidInput(
            "every inspector named must be an inspector of this order",
            zh="现场检查人员须为本工单安排的检查人员",
            rule="INSP-03",
        )
    officers = set()
    for inspector in present.values():
        officers.add(
            await _check_on_site(uow, ctx, order, inspector, matters, at=data.inspected_at)
        )
    # INSP-03: the minimum counts officers (one roster id or certificate is one officer)
    check_inspectors_on_site(
        len(officers), inspection_settings(ctx).inspection_min_inspectors_on_site
    )
    checklist = await _plan_checklist(uow, order)
    if checklist is not None:  # INSP-01: the scenario's checklist, item by item
        visit.checklist = check_checklist(
            checklist,
            [(a.code, a.result.value, a.note) for a in data.checklist]
            if data.checklist is not None
            else None,
        )
    before = ORDER.transition(order, OrderStep.VISIT, uow.now)
    if before is OrderState.ISSUED and unannounced(order.notice_policy):
        # INSP-06: an unannounced order is published once its first visit is made
        uow.publish(
            events.order_issued(order, targets=await live_visits(uow, order)), key=str(order.id)
        )
    visit.inspected_at, visit.inspected_by_org = data.inspected_at, actor.org
    visit.inspector_ids = [str(i) for i in present]
    visit.onsite_record, visit.matters_checked = data.record, matters
    visit.target_snapshot = target_snapshot(await TARGET.get(uow, visit.target_id, lock=False))
    earlier = await _repeat_of(uow, ctx, order, visit, data.inspected_at)
    visit.repeat_of = earlier.id if earlier else None
    ORDER.audit(
        uow,
        order,
        "visit.inspected",
        rule="INSP-07",
        target_id=str(target_id),
        inspectors=visit.inspector_ids,
        repeat_of=str(earlier.id) if earlier else None,
    )
    return visit


async def _plan_checklist(uow: UnitOfWork, order: WorkOrder) -> list[dict[str, Any]] | None:
    """The checklist of the catalogue scenario the order's plan was made for, if any."""
    if order.plan_id is None:
        return None
    found: list[dict[str, Any]] | None = (
        await uow.session.execute(sa.select(Plan.checklist).where(Plan.id == order.plan_id))
    ).scalar_one_or_none()
    return found


async def _check_on_site(
    uow: UnitOfWork,
    ctx: ServiceContext,
    order: WorkOrder,
    inspector: OrderInspector,
    matters: list[str],
    *,
    at: datetime,
) -> str:
    """SEC-04/INSP-03 at the time of the visit: an officer found on a roster that day is
    judged as seconded whatever his label (his own department's empowered matters, in this
    town, with a valid certificate); a department's officer acts on its own matters only.
    Returns who he is (his roster id, else his certificate, else his id)."""
    found = await roster_identity(
        uow, officer_id=inspector.officer_id, certificate=inspector.certificate_number, at=at
    )
    seconded = inspector.kind == InspectorKind.SECONDED.value
    if seconded or found:
        check_roster_identity(inspector.officer_id, inspector.certificate_number, found)
        own = [m for m in inspector.matter_codes if m in matters]
        if not own:
            raise OfficerIneligible(
                f"seconded officer {inspector.officer_id} may inspect none of the matters checked",
                zh=f"下沉人员 {inspector.officer_id} 不得检查本次所查事项",
                officer_id=inspector.officer_id,
                rule="SEC-04",
            )
        await check_seconded(
            uow,
            ctx,
            officer_id=inspector.officer_id,
            matters=own,
            town=order.town,
            every=seconded,
            at=at,
        )
        return f"roster:{inspector.officer_id}"
    if inspector.kind == InspectorKind.DEPARTMENT.value and not own_matters(
        ctx, inspector.org, [m for m in inspector.matter_codes if m in matters]
    ):
        raise MatterNotOwn(
            f"{inspector.name} ({inspector.org}) may inspect none of the matters checked: "
            "a department's officer inspects its own matters",
            zh=f"{inspector.name}（{inspector.org}）不得检查本次所查事项：区级部门执法人员"
            "只能检查本部门的事项",
            officer_id=inspector.officer_id,
            rule="INSP-03",
        )
    if inspector.certificate_number:
        return f"certificate:{inspector.certificate_number}"
    return f"id:{inspector.officer_id}"


async def add_material(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    target_id: uuid.UUID | None,
    kind: MaterialKind,
    title: str | None,
    upload: materials.Upload,
    idempotency_key: str | None = None,
) -> OrderMaterial:
    """INSP-07: a record of the inspection (text, photos and video, clues, evidence, electronic
    documents), stored by SHA-256 after the size and type checks. A retry with the same
    Idempotency-Key and file returns the material the first upload added."""
    order = await open_for(uow, actor, order_id, OrderStep.RECORD)
    visit = await VISIT.find(uow, *visit_of(order, target_id), lock=False) if target_id else None
    stored = await materials.store_material(ctx, upload, fallback=f"{kind.value}.bin")
    material, added = await materials.add_material(
        uow,
        OrderMaterial(
            order_id=order.id,
            visit_id=visit.id if visit else None,
            kind=kind.value,
            title=(title or upload.filename or kind.label_zh).strip() or kind.label_zh,
            uploaded_by_org=actor.org,
        ),
        stored,
        by=actor,
        claim=materials.Claim(
            MATERIAL_SCOPE,
            idempotency_key,
            {"order_id": str(order.id), "target_id": str(target_id) if target_id else None},
        ),
    )
    if added:
        ORDER.audit(
            uow,
            order,
            "material.added",
            rule="INSP-07",
            material_id=str(material.id),
            kind=kind.value,
            target_id=str(target_id) if target_id else None,
            sha256=stored.sha256,
            size=stored.size,
        )
    return material


async def live_visits(uow: UnitOfWork, order: WorkOrder) -> int:
    """The order's targets (not those merged away into another order)."""
    return int(
        (
            await uow.session.execute(
                sa.select(sa.func.count())
                .select_from(Visit)
                .where(Visit.order_id == order.id, Visit.state != VisitState.MERGED.value)
            )
        ).scalar_one()
    )


def target_snapshot(target: Target) -> dict[str, Any]:
    """INSP-07: who was inspected, as the register said at the visit (the archive keeps it
    whatever the register says later)."""
    return {
        "id": str(target.id),
        "name": target.name,
        "party_kind": target.party_kind,
        "credit_code": target.credit_code,
        "identity_masked": target.identity_masked,
        "industry": target.industry,
        "supervision_level": target.supervision_level,
        "town": target.town,
        "address": target.address,
        "version": target.version,
    }
