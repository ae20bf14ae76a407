"""Reads: the register, plans and draws, work orders. Every list is paged and filtered; each
caller sees only what it may (towns their own, departments what they take part in, the
justice bureau all). One record and its timeline are the records' own verbs
(`ORDER.load_for`, `ORDER.timeline`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from joint_inspection.domain import OrderState, PlanState, SupervisionLevel, VisitState
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
from joint_inspection.service.common import ORDER, PLAN, TARGET
from xietong_common.auth import Principal
from xietong_common.listing import Listed, ListFilters
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.parties import PartyKind
from xietong_common.reference import DISTRICT_GOV

# ---- the register ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetFilters(ListFilters[Any]):
    town: str | None = None
    industry: str | None = None
    supervision_level: SupervisionLevel | None = None
    party_kind: PartyKind | None = None
    name: str | None = None
    credit_code: str | None = None
    active: bool | None = True


async def list_targets(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: TargetFilters,
    paging: PageParams,
    now: datetime,
) -> tuple[list[Listed[Target]], int]:
    """A town's own register; the whole district's for those who read it all."""
    where: list[Any] = [] if TARGET.reads_all(principal.org) else [Target.town == principal.org]
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
    return await TARGET.page(session, *where, filters=filters, paging=paging, now=now)


async def list_signals(
    session: AsyncSession, *, target_id: uuid.UUID, paging: PageParams
) -> tuple[Sequence[RiskSignal], int]:
    query = (
        sa.select(RiskSignal)
        .where(RiskSignal.target_id == target_id)
        .order_by(RiskSignal.observed_on.desc(), RiskSignal.id)
    )
    changed = sa.func.greatest(RiskSignal.recorded_at, RiskSignal.withdrawn_at)
    return await fetch_page(session, query, paging, changed=changed)


VISIT_CHANGED = sa.func.greatest(
    Visit.added_at,
    Visit.notified_at,
    Visit.inspected_at,
    Visit.authority_notified_at,
    Visit.serious_reported_at,
    Visit.outcome_at,
    Visit.fed_back_at,
    Visit.merged_at,
    WorkOrder.updated_at,
)
"""A visit's last change (`updated_since`): each of its steps, or its work order's."""


async def visits_of_target(
    session: AsyncSession, *, target_id: uuid.UUID, principal: Principal, paging: PageParams
) -> tuple[Sequence[Any], int]:
    """The target's visits the caller may see (or was fed back), newest first."""
    query = (
        sa.select(Visit, WorkOrder)
        .join(WorkOrder, WorkOrder.id == Visit.order_id)
        .where(
            Visit.target_id == target_id,
            # INSP-07: the feedback was delivered to it (a department concerned)
            sa.or_(orders_visible(principal), Visit.feedback_to.contains([principal.org])),
            *paging.changed_since(VISIT_CHANGED),
        )
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
    now: datetime,
) -> tuple[list[Listed[Plan]], int]:
    """A town's own plans; every town's for the justice bureau."""
    where: list[Any] = [] if PLAN.reads_all(principal.org) else [Plan.town == principal.org]
    if town:
        where.append(Plan.town == town)
    filters = ListFilters(states=[state] if state else ())
    return await PLAN.page(session, *where, filters=filters, paging=paging, now=now)


async def list_adjustments(
    session: AsyncSession, *, plan_id: uuid.UUID, paging: PageParams
) -> tuple[Sequence[PlanAdjustment], int]:
    query = (
        sa.select(PlanAdjustment)
        .where(PlanAdjustment.plan_id == plan_id)
        .order_by(PlanAdjustment.made_at, PlanAdjustment.id)
    )
    # An adjustment never changes once made.
    return await fetch_page(session, query, paging, changed=PlanAdjustment.made_at)


async def list_selections(
    session: AsyncSession, *, plan_id: uuid.UUID, paging: PageParams
) -> tuple[Sequence[Selection], int]:
    query = (
        sa.select(Selection)
        .where(Selection.plan_id == plan_id)
        .order_by(Selection.round, Selection.id)
    )
    # A draw never changes once recorded.
    return await fetch_page(session, query, paging, changed=Selection.drawn_at)


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
    # An entry's last change: its draw, or its drop from the order since.
    changed = sa.func.greatest(
        sa.select(Selection.drawn_at).where(Selection.id == e.selection_id).scalar_subquery(),
        e.dropped_at,
    )
    where += paging.changed_since(changed)
    total = (
        await session.execute(sa.select(sa.func.count()).select_from(e).where(*where))
    ).scalar_one()
    rows = await session.execute(
        sa.select(e, Target.name)
        .join(Target, Target.id == e.target_id)
        .where(*where)
        .order_by(e.rule_position, e.clean, e.rank, e.target_id)
        .limit(paging.page_size)
        .offset(paging.offset)
    )
    return [(r[0], r[1]) for r in rows], int(total)


# ---- work orders ------------------------------------------------------------------------------------


def orders_visible(principal: Principal) -> sa.ColumnElement[bool]:
    """The orders `ORDER.load_for` shows the caller, as SQL."""
    if ORDER.reads_all(principal.org):
        return sa.true()
    org = principal.org
    return sa.or_(
        WorkOrder.initiating_org == org,
        WorkOrder.town == org,
        sa.exists().where(OrderParticipant.order_id == WorkOrder.id, OrderParticipant.org == org),
        sa.exists().where(
            SupportRequest.order_id == WorkOrder.id, SupportRequest.department == org
        ),
        sa.and_(sa.literal(org == DISTRICT_GOV), WorkOrder.serious_found),
    )


class SortKey(StrEnum):
    PLANNED_START = "planned_start"
    PLANNED_START_DESC = "-planned_start"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    DUE_AT = "due_at"
    DUE_AT_DESC = "-due_at"


@dataclass(frozen=True)
class OrderFilters(ListFilters[OrderState]):
    """The filters of every list, and the work order's own."""

    town: str | None = None
    initiating_org: str | None = None
    matter_code: str | None = None
    plan_id: uuid.UUID | None = None
    planned_from: datetime | None = None
    planned_to: datetime | None = None
    sort: SortKey = SortKey.CREATED_AT_DESC


async def list_orders(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: OrderFilters,
    paging: PageParams,
    now: datetime,
) -> tuple[list[Listed[WorkOrder]], int]:
    """Orders the caller takes part in (the justice bureau: all)."""
    where: list[Any] = [orders_visible(principal)]
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
    return await ORDER.page(session, *where, filters=filters, paging=paging, now=now)


async def visit_counts(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many targets each order visits (those merged into another order not counted)."""
    if not ids:
        return {}
    rows = await session.execute(
        sa.select(Visit.order_id, sa.func.count())
        .where(Visit.order_id.in_(ids), Visit.state != VisitState.MERGED.value)
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
