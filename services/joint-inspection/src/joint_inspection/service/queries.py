"""Reads: the register, plans and draws, work orders, shortcomings, merge proposals, and the
figures of one visit instead of many. Every list is paged and filtered; each caller sees only
what it may (towns their own, departments what they take part in, the justice bureau all)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from joint_inspection.domain import OrderState, PlanState, SupervisionLevel
from joint_inspection.models import (
    OrderMaterial,
    OrderParticipant,
    Plan,
    PlanAdjustment,
    RiskSignal,
    Selection,
    SelectionEntry,
    SupportRequest,
    Target,
    Visit,
    WorkOrder,
)
from joint_inspection.service.common import order_subject, plan_subject
from xietong_common.auth import Principal
from xietong_common.contracts.inspection import FindingOutcome
from xietong_common.listing import DeadlineQueries
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.parties import PartyKind
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG, is_town
from xietong_common.timeline import (
    DeadlineOut,
    TimelineEntry,
    deadlines_by_subject,
    subject_timeline,
)

ORDER_DEADLINES = DeadlineQueries("inspection", WorkOrder.id)


def sees_all(principal: Principal) -> bool:
    return principal.org == OVERSIGHT_ORG


# ---- the register ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetFilters:
    town: str | None = None
    industry: str | None = None
    supervision_level: SupervisionLevel | None = None
    party_kind: PartyKind | None = None
    name: str | None = None
    credit_code: str | None = None
    active: bool | None = True


async def list_targets(
    session: AsyncSession, *, principal: Principal, filters: TargetFilters, paging: PageParams
) -> tuple[Sequence[Target], int]:
    where: list[Any] = []
    if is_town(principal.org):
        where.append(Target.town == principal.org)
    if filters.town:
        where.append(Target.town == filters.town)
    if filters.industry:
        where.append(Target.industry == filters.industry)
    if filters.supervision_level:
        where.append(Target.supervision_level == filters.supervision_level.value)
    if filters.party_kind:
        where.append(Target.party_kind == filters.party_kind.value)
    if filters.name:
        pattern = (
            "%" + filters.name.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        )
        where.append(Target.name.ilike(pattern, escape="\\"))
    if filters.credit_code:
        where.append(Target.credit_code == filters.credit_code.upper())
    if filters.active is not None:
        where.append(Target.active.is_(filters.active))
    query = sa.select(Target).where(*where).order_by(Target.created_at.desc(), Target.id)
    return await fetch_page(session, query, paging)


async def list_signals(
    session: AsyncSession, *, target_id: uuid.UUID, paging: PageParams
) -> tuple[Sequence[RiskSignal], int]:
    query = (
        sa.select(RiskSignal)
        .where(RiskSignal.target_id == target_id)
        .order_by(RiskSignal.observed_on.desc(), RiskSignal.id)
    )
    return await fetch_page(session, query, paging)


async def visits_of_target(
    session: AsyncSession, *, target_id: uuid.UUID, principal: Principal, paging: PageParams
) -> tuple[Sequence[Any], int]:
    """The target's visits the caller may see, newest first."""
    query = (
        sa.select(Visit, WorkOrder)
        .join(WorkOrder, WorkOrder.id == Visit.order_id)
        .where(Visit.target_id == target_id, _orders_visible(principal))
        .order_by(WorkOrder.planned_start.desc(), Visit.id)
    )
    total = (
        await session.execute(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        )
    ).scalar_one()
    rows = (await session.execute(query.limit(paging.page_size).offset(paging.offset))).all()
    return [tuple(r) for r in rows], int(total)


# ---- plans and draws --------------------------------------------------------------------------------


async def list_plans(
    session: AsyncSession,
    *,
    principal: Principal,
    state: PlanState | None,
    town: str | None,
    paging: PageParams,
) -> tuple[Sequence[Plan], int]:
    where: list[Any] = [] if sees_all(principal) else [Plan.town == principal.org]
    if state:
        where.append(Plan.state == state.value)
    if town:
        where.append(Plan.town == town)
    query = sa.select(Plan).where(*where).order_by(Plan.created_at.desc(), Plan.id)
    return await fetch_page(session, query, paging)


async def list_adjustments(
    session: AsyncSession, *, plan_id: uuid.UUID, paging: PageParams
) -> tuple[Sequence[PlanAdjustment], int]:
    query = (
        sa.select(PlanAdjustment)
        .where(PlanAdjustment.plan_id == plan_id)
        .order_by(PlanAdjustment.made_at, PlanAdjustment.id)
    )
    return await fetch_page(session, query, paging)


async def list_selections(
    session: AsyncSession, *, plan_id: uuid.UUID, paging: PageParams
) -> tuple[Sequence[Selection], int]:
    query = sa.select(Selection).where(Selection.plan_id == plan_id).order_by(Selection.round)
    return await fetch_page(session, query, paging)


async def entries(
    session: AsyncSession,
    *,
    selection_id: uuid.UUID,
    drawn: bool | None,
    rule_position: int | None,
    paging: PageParams,
) -> tuple[list[tuple[SelectionEntry, str]], int]:
    """The ranked list of a draw (every candidate), in group and rank order."""
    e = SelectionEntry
    where: list[Any] = [e.selection_id == selection_id]
    if drawn is not None:
        where.append(e.drawn.is_(drawn))
    if rule_position is not None:
        where.append(e.rule_position == rule_position)
    total = (
        await session.execute(sa.select(sa.func.count()).select_from(e).where(*where))
    ).scalar_one()
    rows = await session.execute(
        sa.select(e, Target.name)
        .join(Target, Target.id == e.target_id)
        .where(*where)
        .order_by(e.rule_position, e.clean, e.rank)
        .limit(paging.page_size)
        .offset(paging.offset)
    )
    return [(r[0], r[1]) for r in rows], int(total)


# ---- work orders ------------------------------------------------------------------------------------


def _orders_visible(principal: Principal) -> sa.ColumnElement[bool]:
    if sees_all(principal):
        return sa.true()
    org = principal.org
    other = aliased(Visit)
    serious = sa.exists().where(
        other.order_id == WorkOrder.id, other.outcome == FindingOutcome.SERIOUS.value
    )
    return sa.or_(
        WorkOrder.initiating_org == org,
        WorkOrder.town == org,
        sa.exists().where(OrderParticipant.order_id == WorkOrder.id, OrderParticipant.org == org),
        sa.exists().where(
            SupportRequest.order_id == WorkOrder.id, SupportRequest.department == org
        ),
        sa.and_(sa.literal(org == DISTRICT_GOV), serious),
    )


class OrderSort(StrEnum):
    PLANNED = "planned_start"
    PLANNED_DESC = "-planned_start"
    CREATED_DESC = "-created_at"
    DUE = "due_at"


@dataclass(frozen=True)
class OrderFilters:
    states: Sequence[OrderState] = ()
    town: str | None = None
    initiating_org: str | None = None
    matter_code: str | None = None
    plan_id: uuid.UUID | None = None
    planned_from: datetime | None = None
    planned_to: datetime | None = None
    due_before: datetime | None = None
    overdue: bool | None = None
    sort: OrderSort = OrderSort.CREATED_DESC


async def list_orders(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: OrderFilters,
    paging: PageParams,
    now: datetime,
) -> tuple[list[tuple[WorkOrder, int]], int]:
    """Orders the caller takes part in (the justice bureau: all), with their target counts."""
    where: list[Any] = [_orders_visible(principal)]
    if filters.states:
        where.append(WorkOrder.state.in_([s.value for s in filters.states]))
    if filters.town:
        where.append(WorkOrder.town == filters.town)
    if filters.initiating_org:
        where.append(WorkOrder.initiating_org == filters.initiating_org)
    if filters.matter_code:
        where.append(WorkOrder.matter_codes.contains([filters.matter_code]))
    if filters.plan_id:
        where.append(WorkOrder.plan_id == filters.plan_id)
    if filters.planned_from:
        where.append(WorkOrder.planned_start >= filters.planned_from)
    if filters.planned_to:
        where.append(WorkOrder.planned_start < filters.planned_to)
    where += ORDER_DEADLINES.filters(
        now=now, due_before=filters.due_before, overdue=filters.overdue
    )
    sorts: dict[OrderSort, Any] = {
        OrderSort.PLANNED: WorkOrder.planned_start.asc(),
        OrderSort.PLANNED_DESC: WorkOrder.planned_start.desc(),
        OrderSort.CREATED_DESC: WorkOrder.created_at.desc(),
        OrderSort.DUE: ORDER_DEADLINES.order(),
    }
    order_by = [sorts[filters.sort]]
    query = sa.select(WorkOrder).where(*where).order_by(*order_by, WorkOrder.id)
    rows, total = await fetch_page(session, query, paging)
    counts = await visit_counts(session, [o.id for o in rows])
    return [(o, counts.get(o.id, 0)) for o in rows], total


async def visit_counts(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not ids:
        return {}
    rows = await session.execute(
        sa.select(Visit.order_id, sa.func.count())
        .where(Visit.order_id.in_(ids), Visit.state != "merged")
        .group_by(Visit.order_id)
    )
    return {r[0]: int(r[1]) for r in rows}


async def order_visits(
    session: AsyncSession, order_id: uuid.UUID
) -> list[tuple[Visit, Target, list[OrderMaterial]]]:
    rows = (
        await session.execute(
            sa.select(Visit, Target)
            .join(Target, Target.id == Visit.target_id)
            .where(Visit.order_id == order_id)
            .order_by(Visit.added_at, Visit.id)
        )
    ).all()
    materials: dict[uuid.UUID | None, list[OrderMaterial]] = {}
    for m in (
        await session.execute(
            sa.select(OrderMaterial)
            .where(OrderMaterial.order_id == order_id)
            .order_by(OrderMaterial.uploaded_at, OrderMaterial.id)
        )
    ).scalars():
        materials.setdefault(m.visit_id, []).append(m)
    return [(v, t, materials.get(v.id, [])) for v, t in rows]


async def order_materials(session: AsyncSession, order_id: uuid.UUID) -> list[OrderMaterial]:
    return list(
        (
            await session.execute(
                sa.select(OrderMaterial).where(OrderMaterial.order_id == order_id)
            )
        ).scalars()
    )


async def order_deadlines(session: AsyncSession, order_id: uuid.UUID) -> list[DeadlineOut]:
    subject = order_subject(order_id)
    return (await deadlines_by_subject(session, [subject])).get(subject, [])


async def order_timeline(session: AsyncSession, order_id: uuid.UUID) -> list[TimelineEntry]:
    return await subject_timeline(session, order_subject(order_id))


async def plan_timeline(session: AsyncSession, plan_id: uuid.UUID) -> list[TimelineEntry]:
    return await subject_timeline(session, plan_subject(plan_id))


# ---- shortcomings and merges -------------------------------------------------------------------------
