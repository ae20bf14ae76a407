"""Responses read from the rows (`View.of`: every field the row has, by name; the rest given).
A response that is one row alone is `XOut.of(row)` where it is answered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from joint_inspection.domain import Risk, VisitState
from joint_inspection.models import (
    OrderMaterial,
    RiskSignal,
    SelectionEntry,
    Shortcoming,
    Target,
    Visit,
    WorkOrder,
)
from joint_inspection.schemas import (
    DeadlineOut,
    EntryOut,
    OrderOut,
    OrderSummary,
    ShortcomingOut,
    SignalOut,
    TargetOut,
    TargetVisitOut,
    VisitOut,
)
from xietong_common.documents import IssuedDocument
from xietong_common.documents.schemas import document_out
from xietong_common.listing import Listed, is_overdue, next_due


def target_out(target: Target, risk: Risk) -> TargetOut:
    return TargetOut.of(target, risk=risk.risk, law_abiding=risk.law_abiding)


def signal_out(signal: RiskSignal) -> SignalOut:
    return SignalOut.of(signal, from_visit=signal.visit_id)


def entry_out(entry: SelectionEntry, target_name: str) -> EntryOut:
    return EntryOut.of(entry, target_name=target_name, law_abiding=entry.clean)


def visit_out(visit: Visit, target: Target, materials: Sequence[OrderMaterial]) -> VisitOut:
    return VisitOut.of(
        visit,
        target_name=target.name,
        credit_code=target.credit_code,
        identity_masked=target.identity_masked,
        materials=materials,
    )


def target_visit_out(visit: Visit, order: WorkOrder) -> TargetVisitOut:
    return TargetVisitOut.of(
        visit,
        visit_id=visit.id,
        order_number=order.number,
        initiating_org=order.initiating_org,
        order_state=order.state,
        planned_start=order.planned_start,
    )


def order_summary(listed: Listed[WorkOrder], targets: int) -> OrderSummary:
    return OrderSummary.of(
        listed.record, targets=targets, next_due=listed.next_due, overdue=listed.overdue
    )


def order_out(
    order: WorkOrder,
    visits: Sequence[tuple[Visit, Target, list[OrderMaterial]]],
    deadlines: list[DeadlineOut],
    now: datetime,
    issued: list[IssuedDocument],
) -> OrderOut:
    return OrderOut.of(
        order,
        targets=sum(1 for v, _, _ in visits if v.state != VisitState.MERGED.value),
        next_due=next_due(deadlines),
        overdue=is_overdue(deadlines, now),
        visits=[visit_out(v, t, m) for v, t, m in visits],
        deadlines=deadlines,
        documents=[document_out(d) for d in issued],
    )


def shortcoming_out(shortcoming: Shortcoming, deadlines: Sequence[DeadlineOut]) -> ShortcomingOut:
    return ShortcomingOut.of(shortcoming, acknowledgements=shortcoming.acks, deadlines=deadlines)
