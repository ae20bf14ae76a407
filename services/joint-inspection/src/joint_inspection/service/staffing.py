"""Who inspects (INSP-03, INSP-05): the town's brigade and the officers seconded to it under
the town's command (SEC-04 checked), departments' own officers, support asked of other
departments, agencies dispatched by the justice bureau."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from joint_inspection import events
from joint_inspection.domain import InspectorKind, OrderStep, ParticipantRole, support_deadline
from joint_inspection.errors import MatterNotOwn, OfficerIneligible, TownCommand
from joint_inspection.models import OrderInspector, SupportRequest, WorkOrder
from joint_inspection.schemas import DispatchIn, InspectorIn, SupportAnswerIn, SupportIn
from joint_inspection.service.common import (
    ORDER,
    WRITE_ROLES,
    add_participant,
    participants,
    support_action,
)
from joint_inspection.settings import inspection_settings
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import Conflict, Forbidden, InvalidInput, NotFound
from xietong_common.mechanisms import roster
from xietong_common.mechanisms.roster import eligibility
from xietong_common.reference import OVERSIGHT_ORG, OrgKind, is_department
from xietong_common.uow import UnitOfWork


def _matters(order: WorkOrder, wanted: list[str] | None) -> list[str]:
    if wanted is None:
        return list(order.matter_codes)
    stray = [m for m in wanted if m not in order.matter_codes]
    if stray:
        raise InvalidInput(
            f"{', '.join(stray)} are not matters of this inspection",
            zh=f"{'、'.join(stray)} 不是本次检查的事项",
            matter_codes=stray,
        )
    return list(dict.fromkeys(wanted))


def own_matters(ctx: ServiceContext, org: str, matters: list[str]) -> list[str]:
    """INSP-03: the matters of `matters` that are the department's own (its powers)."""
    return [m for m in matters if (c := ctx.catalogue.get(m)) is not None and c.owner == org]


def _department_matters(
    ctx: ServiceContext, org: str, matters: list[str], named: bool
) -> list[str]:
    """INSP-03: a department's own officer acts on his department's matters only; named ones
    that are not are refused, and by default he gets the order's matters that are."""
    own = own_matters(ctx, org, matters)
    stray = [m for m in matters if m not in own]
    if named and stray:
        raise MatterNotOwn(
            f"{', '.join(stray)} are not matters of {org}: its officers inspect its own matters",
            zh=f"{'、'.join(stray)} 不是 {org} 的事项，本部门执法人员只能检查本部门的事项",
            matter_codes=stray,
            rule="INSP-03",
        )
    return own


async def roster_identity(
    uow: UnitOfWork, *, officer_id: str, certificate: str | None, at: datetime
) -> set[str]:
    """SEC-04: the roster officers this person is on the day, found by his id or by his
    certificate (执法证号). Anyone found is a seconded officer, whatever he is called."""
    day = roster.china_day(at)
    found = (
        set(await roster.officers_with_certificate(uow.session, certificate, day))
        if certificate
        else set()
    )
    if await roster.officer_entries(uow.session, officer_id, day):
        found.add(officer_id)
    return found


def check_roster_identity(officer_id: str, certificate: str | None, found: set[str]) -> None:
    """SEC-04: a certificate on a roster belongs to the officer listed with it; it cannot be
    carried under another id (the disguise assistance refuses too, ASSIST-02)."""
    others = sorted(found - {officer_id})
    if others and officer_id not in found:
        raise OfficerIneligible(
            f"certificate {certificate} belongs to the seconded officer(s) {', '.join(others)}",
            zh=f"执法证号 {certificate} 属于下沉人员 {'、'.join(others)}",
            officer_id=officer_id,
            roster_officers=others,
            rule="SEC-04",
        )


async def check_seconded(
    uow: UnitOfWork,
    ctx: ServiceContext,
    *,
    officer_id: str,
    matters: list[str],
    town: str,
    every: bool,
    at: datetime,
) -> tuple[list[str], list[dict[str, Any]]]:
    """SEC-04 for each matter on the day `at` (of the assignment, or of the visit): (the
    matters he may inspect, every check with its reasons). `every`: each matter must pass
    (they were named); else at least one must."""
    allowed: list[str] = []
    checks: list[dict[str, Any]] = []
    for code in matters:
        answer = await eligibility(
            uow.session,
            catalogue=ctx.catalogue,
            officer_id=officer_id,
            matter_code=code,
            town=town,
            at=at,
        )
        checks.append(
            {
                "matter_code": code,
                **answer.as_dict(),
                "name": answer.name,
                "certificate_number": answer.certificate_number,
            }
        )
        if answer.eligible:
            allowed.append(code)
    refused = [c for c in checks if not c["eligible"]]
    if (every and refused) or not allowed:
        shown = refused or checks
        raise OfficerIneligible(
            f"seconded officer {officer_id} may not inspect "
            + "; ".join(f"{c['matter_code']} ({', '.join(c['reasons_en'])})" for c in shown),
            zh=f"下沉人员 {officer_id} 不得检查："
            + "；".join(f"{c['matter_code']}（{'，'.join(c['reasons_zh'])}）" for c in shown),
            officer_id=officer_id,
            checks=checks,
            rule="SEC-04",
        )
    return allowed, checks


INSPECTOR_SCOPE = "inspection.order.inspector"
SUPPORT_SCOPE = "inspection.order.support"


async def add_inspector(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    data: InspectorIn,
    idempotency_key: str | None = None,
) -> OrderInspector:
    """INSP-03: assign an inspector. The town assigns its brigade and the seconded officers
    (统一指挥调度), each checked on the roster for each matter (SEC-04); a participating
    department assigns its own officers."""
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_role(*WRITE_ROLES)
    ORDER.check(order, OrderStep.STAFF)
    replay = await idempotency.claim(
        uow,
        scope=INSPECTOR_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"order": str(order_id), **data.model_dump(mode="json")},
    )
    if replay is not None:
        return next(i for i in order.inspectors if str(i.id) == replay)
    matters = _matters(order, data.matter_codes)
    found = await roster_identity(
        uow, officer_id=data.officer_id, certificate=data.certificate_number, at=uow.now
    )
    # SEC-04: an officer found on a roster is seconded, whatever the label he is given
    kind = InspectorKind.SECONDED if found else data.kind
    checks: list[dict[str, Any]] | None = None
    if kind in (InspectorKind.BRIGADE, InspectorKind.SECONDED) and actor.org != order.town:
        raise TownCommand(
            f"only {order.town} assigns its brigade and the officers seconded to it: they take "
            "the town's unified command (INSP-03)"
            + (f"; {data.officer_id} is on a secondment roster" if found else ""),
            zh=f"综合执法大队人员和下沉人员由 {order.town} 统一指挥调度"
            + (f"；{data.officer_id} 在下沉人员名单中" if found else ""),
            rule="INSP-03",
        )
    if kind is InspectorKind.SECONDED:
        check_roster_identity(data.officer_id, data.certificate_number, found)
        matters, checks = await check_seconded(
            uow,
            ctx,
            officer_id=data.officer_id,
            matters=matters,
            town=order.town,
            every=data.matter_codes is not None,
            at=uow.now,
        )
        first = next(c for c in checks if c["eligible"])
        name, org = first["name"] or data.officer_id, first["department"]
        certificate = first["certificate_number"] or data.certificate_number
        if data.certificate_number and data.certificate_number != certificate:
            raise OfficerIneligible(
                f"the roster gives {data.officer_id} certificate {certificate}, "
                f"not {data.certificate_number}",
                zh=f"名单中 {data.officer_id} 的执法证号为 {certificate}，"
                f"不是 {data.certificate_number}",
                officer_id=data.officer_id,
                rule="SEC-04",
            )
    else:
        if kind is InspectorKind.DEPARTMENT and not (
            is_department(actor.org) and actor.org in participants(order)
        ):
            raise Forbidden(
                "a department assigns its own officers to an inspection it takes part in",
                zh="区级部门只能为其参加的检查安排本部门执法人员",
                rule="INSP-03",
            )
        if not data.name:
            raise InvalidInput(
                "the inspector's name is needed", zh="须填写检查人员姓名", missing=["name"]
            )
        if kind is InspectorKind.DEPARTMENT:
            matters = _department_matters(
                ctx, actor.org, matters, named=data.matter_codes is not None
            )
        name, org, certificate = data.name, actor.org, data.certificate_number
    if any(i.officer_id == data.officer_id for i in order.inspectors):
        raise Conflict(
            f"{data.officer_id} is already an inspector of this order",
            zh=f"{data.officer_id} 已是本工单的检查人员",
        )
    if certificate and any(i.certificate_number == certificate for i in order.inspectors):
        raise Conflict(
            f"certificate {certificate} is already an inspector's of this order: one officer, "
            "one place on it",
            zh=f"执法证号 {certificate} 已是本工单检查人员的证号，同一人不能重复安排",
            certificate_number=certificate,
            rule="INSP-03",
        )
    inspector = OrderInspector(
        id=uuid.uuid4(),
        order_id=order.id,
        kind=kind.value,
        officer_id=data.officer_id,
        name=name,
        org=org,
        certificate_number=certificate,
        matter_codes=matters,
        eligibility=checks,
        assigned_at=uow.now,
        assigned_by=actor.user,
    )
    order.inspectors.append(inspector)
    order.updated_at = uow.now
    await uow.session.flush()
    await idempotency.remember(
        uow,
        scope=INSPECTOR_SCOPE,
        org=actor.org,
        key=idempotency_key,
        resource_id=str(inspector.id),
    )
    ORDER.audit(
        uow,
        order,
        "order.inspector-assigned",
        rule="SEC-04" if kind is InspectorKind.SECONDED else "INSP-03",
        inspector_id=str(inspector.id),
        officer_id=data.officer_id,
        kind=kind.value,
        named_as=data.kind.value,
        org=org,
        matter_codes=matters,
    )
    return inspector


async def request_support(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    data: SupportIn,
    idempotency_key: str | None = None,
) -> SupportRequest:
    """INSP-03: ask another department to support; it answers within a set number of days."""
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_org(order.initiating_org, order.town)
    actor.require_role(*WRITE_ROLES)
    ORDER.check(order, OrderStep.STAFF)
    replay = await idempotency.claim(
        uow,
        scope=SUPPORT_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"order": str(order_id), **data.model_dump(mode="json")},
    )
    if replay is not None:
        return next(s for s in order.support_requests if str(s.id) == replay)
    ctx.directory.require(data.department, OrgKind.DEPARTMENT)
    pending = [
        s for s in order.support_requests if s.department == data.department and s.accepted is None
    ]
    if data.department in participants(order) or pending:
        raise Conflict(
            f"{data.department} takes part already or has not answered yet",
            zh=f"{data.department} 已参加或尚未答复",
        )
    request = SupportRequest(
        id=uuid.uuid4(),
        order_id=order.id,
        department=data.department,
        request=data.request,
        requested_at=uow.now,
        requested_by=actor.user,
    )
    order.support_requests.append(request)
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=SUPPORT_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(request.id)
    )
    await ORDER.start_deadline(
        uow,
        order,
        support_action(request.id),
        calendar=ctx.calendar,
        rule=support_deadline(inspection_settings(ctx).inspection_support_answer_working_days),
        organisation=data.department,
        counterparty=actor.org,
        reference=order.number,
    )
    ORDER.audit(
        uow,
        order,
        "order.support-requested",
        rule="INSP-03",
        request_id=str(request.id),
        department=data.department,
    )
    return request


async def answer_support(
    uow: UnitOfWork,
    *,
    actor: Principal,
    order_id: uuid.UUID,
    request_id: uuid.UUID,
    data: SupportAnswerIn,
) -> SupportRequest:
    """INSP-03: the department asked answers yes or no, with its reason either way."""
    order = await ORDER.load_for(uow, order_id, actor)
    request = next((s for s in order.support_requests if s.id == request_id), None)
    if request is None:
        raise NotFound("no such support request", zh="未找到该支持请求")
    actor.require_org(request.department)
    actor.require_role(*WRITE_ROLES)
    ORDER.check(order, OrderStep.STAFF)
    if request.accepted is not None:
        raise Conflict("this request was answered already", zh="该支持请求已答复")
    request.accepted, request.answer_reason = data.accept, data.reason
    request.answered_at, request.answered_by = uow.now, actor.user
    if data.accept:
        add_participant(
            order, request.department, ParticipantRole.SUPPORT, by=actor.user, at=uow.now
        )
    met = await ORDER.satisfy_deadline(uow, order, support_action(request.id))
    late = bool(met and met.overdue_at_satisfaction)
    if not data.accept:  # SUP-01: a refusal to support is held to account
        uow.publish(events.support_refused(order, request, late=late), key=str(order.id))
    ORDER.audit(
        uow,
        order,
        "order.support-answered",
        rule="INSP-03",
        request_id=str(request.id),
        accept=data.accept,
        reason=data.reason,
        late=late,
    )
    return request


async def dispatch(
    uow: UnitOfWork, *, ctx: ServiceContext, actor: Principal, order_id: uuid.UUID, data: DispatchIn
) -> WorkOrder:
    """INSP-05: the justice bureau coordinates and dispatches an agency to the inspection."""
    actor.require_org(OVERSIGHT_ORG)
    actor.require_role(*WRITE_ROLES)
    order = await ORDER.load_for(uow, order_id, actor)
    ORDER.check(order, OrderStep.STAFF)
    ctx.directory.require(data.agency, OrgKind.DEPARTMENT, OrgKind.TOWN)
    if data.agency != order.town and ctx.directory.is_town(data.agency):
        raise InvalidInput(
            "a joint inspection is the town's where the targets are; another town is not sent",
            zh="综合查一次由属地乡镇（街道）参加，不调度其他乡镇（街道）",
            agency=data.agency,
            rule="INSP-05",
        )
    if not add_participant(
        order,
        data.agency,
        ParticipantRole.DISPATCHED,
        by=actor.user,
        at=uow.now,
        instructions=data.instructions,
    ):
        raise Conflict(f"{data.agency} takes part already", zh=f"{data.agency} 已参加本次检查")
    order.updated_at = uow.now
    ORDER.audit(
        uow,
        order,
        "order.agency-dispatched",
        rule="INSP-05",
        agency=data.agency,
        instructions=data.instructions,
    )
    return order
