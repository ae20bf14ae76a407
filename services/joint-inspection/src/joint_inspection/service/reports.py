"""INSP-09: shortcomings of government services found on site, sent to the departments
concerned, who acknowledge them."""

from __future__ import annotations

import uuid

from joint_inspection import events
from joint_inspection.domain import OrderStep, shortcoming_deadline
from joint_inspection.models import Shortcoming, ShortcomingAck
from joint_inspection.schemas import ShortcomingIn
from joint_inspection.service.common import (
    ORDER,
    SHORTCOMING,
    VISIT,
    WRITE_ROLES,
    require_participant,
    visit_of,
)
from joint_inspection.settings import inspection_settings
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import Conflict, InvalidInput
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork

SHORTCOMING_SCOPE = "inspection.shortcoming.report"


def ack_action(department: str) -> str:
    return f"acknowledge:{department}"


async def report_shortcoming(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    data: ShortcomingIn,
    idempotency_key: str | None = None,
) -> Shortcoming:
    """INSP-09: record a shortcoming and send it to the departments concerned
    (`inspection.shortcoming-reported`); each owes an acknowledgement (a setting)."""
    order = await ORDER.load_for(uow, order_id, actor)
    require_participant(actor, order)
    actor.require_role(*WRITE_ROLES)
    ORDER.check(order, OrderStep.RECORD)
    replay = await idempotency.claim(
        uow,
        scope=SHORTCOMING_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"order": str(order_id), **data.model_dump(mode="json")},
    )
    if replay is not None:
        return await SHORTCOMING.get(uow, uuid.UUID(replay), lock=False)
    departments = list(dict.fromkeys(data.departments))
    for code in departments:
        ctx.directory.require(code, OrgKind.DEPARTMENT, OrgKind.TOWN, OrgKind.DISTRICT_GOV)
    if actor.org in departments:
        raise InvalidInput(
            "a shortcoming is sent to other departments, not to the one reporting it",
            zh="政务服务短板应送相关部门，而非报告单位自身",
        )
    visit = (
        await VISIT.find(uow, *visit_of(order, data.target_id), lock=False)
        if data.target_id
        else None
    )
    shortcoming = Shortcoming(
        id=uuid.uuid4(),
        order_id=order.id,
        visit_id=visit.id if visit else None,
        reporting_org=actor.org,
        town=order.town,
        description=data.description,
        suggestion=data.suggestion,
        departments=departments,
        reported_at=uow.now,
        reported_by=actor.user,
        acks=[ShortcomingAck(department=d) for d in departments],
    )
    uow.session.add(shortcoming)
    await uow.session.flush()
    rule = shortcoming_deadline(inspection_settings(ctx).inspection_shortcoming_ack_working_days)
    due = None
    for department in departments:
        due = await SHORTCOMING.start_deadline(
            uow,
            shortcoming,
            ack_action(department),
            calendar=ctx.calendar,
            rule=rule,
            organisation=department,
            counterparty=shortcoming.reporting_org,
            reference=order.number,
        )
    assert due is not None
    await idempotency.remember(
        uow,
        scope=SHORTCOMING_SCOPE,
        org=actor.org,
        key=idempotency_key,
        resource_id=str(shortcoming.id),
    )
    uow.publish(
        events.shortcoming_reported(shortcoming, order, acknowledge_by=due.due_at),
        key=str(shortcoming.id),
    )
    SHORTCOMING.audit(
        uow,
        shortcoming,
        "shortcoming.reported",
        rule="INSP-09",
        order_id=str(order.id),
        departments=departments,
    )
    return shortcoming


async def acknowledge_shortcoming(
    uow: UnitOfWork, *, actor: Principal, shortcoming_id: uuid.UUID, response: str
) -> Shortcoming:
    """INSP-09: a department concerned acknowledges, with what it will do."""
    shortcoming = await SHORTCOMING.load_for(uow, shortcoming_id, actor)
    actor.require_org(*shortcoming.departments)
    actor.require_role(*WRITE_ROLES)
    ack = next(a for a in shortcoming.acks if a.department == actor.org)
    if ack.acknowledged_at is not None:
        raise Conflict("acknowledged already", zh="已确认收悉")
    ack.acknowledged_at, ack.acknowledged_by, ack.response = uow.now, actor.user, response
    met = await SHORTCOMING.satisfy_deadline(uow, shortcoming, ack_action(actor.org))
    SHORTCOMING.audit(
        uow,
        shortcoming,
        "shortcoming.acknowledged",
        rule="INSP-09",
        department=actor.org,
        late=bool(met and met.overdue_at_satisfaction),
    )
    return shortcoming
