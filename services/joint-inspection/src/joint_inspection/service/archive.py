"""Closing a work order into its archive (INSP-07, 立卷归档): every target has its outcome and
feedback; the record is digested and never changes again."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from joint_inspection import events
from joint_inspection.domain import (
    OrderStep,
    VisitState,
    check_closable,
)
from joint_inspection.models import OrderMaterial, Target, Visit, WorkOrder
from joint_inspection.service.common import (
    LEAD_ROLES,
    ORDER,
    support_action,
    visits_of,
)
from joint_inspection.service.onsite import target_snapshot
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.uow import UnitOfWork


def _manifest(
    order: WorkOrder,
    visits: list[Visit],
    materials: list[OrderMaterial],
    targets: dict[uuid.UUID, Target],
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
            for c in sa.inspect(type(obj)).local_table.columns
            if (v := getattr(obj, c.key)) is not None
        }

    record = plain(order)
    record.pop("archive_manifest", None)
    record.pop("archive_digest", None)
    return {
        # INSP-07: who was inspected, as the register said at each visit
        "targets": [
            v.target_snapshot or target_snapshot(targets[v.target_id])
            for v in visits
            if v.state != VisitState.MERGED.value
        ],
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
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_org(order.initiating_org)
    actor.require_role(*LEAD_ROLES)
    ORDER.check(order, OrderStep.CLOSE)
    visits = await visits_of(uow, order.id)
    check_closable((str(v.target_id), VisitState(v.state)) for v in visits)
    for request in order.support_requests:
        if request.accepted is None:
            await ORDER.close_deadline(
                uow, order, support_action(request.id), reason="order-closed"
            )
    materials = list(
        (
            await uow.session.execute(
                sa.select(OrderMaterial)
                .where(OrderMaterial.order_id == order.id)
                .order_by(OrderMaterial.uploaded_at, OrderMaterial.id)
            )
        ).scalars()
    )
    targets = {
        t.id: t
        for t in (
            await uow.session.execute(
                sa.select(Target).where(Target.id.in_([v.target_id for v in visits]))
            )
        ).scalars()
    }
    # nothing is read from here on: the archived row is written once, whole
    order.closed_at, order.closed_by = uow.now, actor.user
    ORDER.transition(order, OrderStep.CLOSE, uow.now)
    manifest = _manifest(order, visits, materials, targets)
    canonical = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    order.archive_manifest = manifest
    order.archive_digest = hashlib.sha256(canonical.encode()).hexdigest()
    plan_scenario = order.scenario
    uow.publish(
        events.closed(order, [(v, targets[v.target_id]) for v in visits], scenario=plan_scenario),
        key=str(order.id),
    )
    ORDER.audit(
        uow,
        order,
        "order.closed",
        rule="INSP-07",
        number=order.number,
        archive_digest=order.archive_digest,
        visits=len(visits),
        materials=len(materials),
    )
    return order
