"""Reads for oversight: shortcomings and their acknowledgements (INSP-09), merge proposals,
and the figures of one visit instead of many (planned, merged, saved; re-inspections)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from joint_inspection.domain import OrderState
from joint_inspection.models import (
    MergeProposal,
    OrderParticipant,
    Shortcoming,
    ShortcomingAck,
    Target,
    Visit,
    WorkOrder,
)
from joint_inspection.service.common import shortcoming_subject
from joint_inspection.service.queries import sees_all
from xietong_common.auth import Principal
from xietong_common.listing import DeadlineQueries
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG, is_town
from xietong_common.timeline import (
    DeadlineOut,
    deadlines_by_subject,
)

SHORTCOMING_DEADLINES = DeadlineQueries("inspection-shortcoming", Shortcoming.id)


async def list_shortcomings(
    session: AsyncSession,
    *,
    principal: Principal,
    department: str | None,
    acknowledged: bool | None,
    overdue: bool | None,
    paging: PageParams,
    now: datetime,
) -> tuple[Sequence[Shortcoming], int]:
    org = principal.org
    where: list[Any] = []
    if not sees_all(principal):
        where.append(
            sa.or_(
                Shortcoming.reporting_org == org,
                Shortcoming.town == org,
                Shortcoming.departments.contains([org]),
            )
        )
    if department:
        where.append(Shortcoming.departments.contains([department]))
    if acknowledged is not None:
        pending = sa.exists().where(
            ShortcomingAck.shortcoming_id == Shortcoming.id,
            ShortcomingAck.acknowledged_at.is_(None),
            *([ShortcomingAck.department == department] if department else []),
        )
        where.append(~pending if acknowledged else pending)
    where += SHORTCOMING_DEADLINES.filters(now=now, due_before=None, overdue=overdue)
    query = (
        sa.select(Shortcoming)
        .where(*where)
        .order_by(Shortcoming.reported_at.desc(), Shortcoming.id)
    )
    return await fetch_page(session, query, paging)


async def shortcoming_deadlines(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[str, list[DeadlineOut]]:
    return await deadlines_by_subject(session, [shortcoming_subject(i) for i in ids])


async def list_merges(
    session: AsyncSession,
    *,
    principal: Principal,
    state: str | None,
    town: str | None,
    paging: PageParams,
) -> tuple[Sequence[MergeProposal], int]:
    org = principal.org
    where: list[Any] = []
    if not sees_all(principal):
        where.append(
            sa.or_(
                MergeProposal.org_a == org, MergeProposal.org_b == org, MergeProposal.town == org
            )
        )
    if state:
        where.append(MergeProposal.state == state)
    if town:
        where.append(MergeProposal.town == town)
    query = (
        sa.select(MergeProposal)
        .where(*where)
        .order_by(MergeProposal.proposed_at.desc(), MergeProposal.id)
    )
    return await fetch_page(session, query, paging)


# ---- one visit instead of many: figures and re-inspections ------------------------------------------


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


def _scope(principal: Principal, town: str | None) -> list[Any]:
    """Towns see their own figures, departments those of the orders they started, the justice
    bureau and the district government all."""
    where: list[Any] = []
    if is_town(principal.org):
        where.append(WorkOrder.town == principal.org)
    elif principal.org not in (OVERSIGHT_ORG, DISTRICT_GOV):
        where.append(WorkOrder.initiating_org == principal.org)
    if town:
        where.append(WorkOrder.town == town)
    return where


async def visit_figures(
    session: AsyncSession,
    *,
    principal: Principal,
    town: str | None,
    start: date,
    end: date,
    period: Period,
) -> list[dict[str, Any]]:
    """Visits planned, merged and saved, joint visits and flagged re-inspections, per town and
    period (China time); cancelled orders do not count."""
    local = sa.func.timezone("Asia/Shanghai", WorkOrder.planned_start)
    bucket = sa.cast(sa.func.date_trunc(period.value, local), sa.Date).label("period_start")
    joint = (
        sa.select(sa.func.count())
        .where(OrderParticipant.order_id == WorkOrder.id)
        .scalar_subquery()
    )
    where = [
        *_scope(principal, town),
        WorkOrder.state != OrderState.CANCELLED.value,
        sa.cast(local, sa.Date) >= start,
        sa.cast(local, sa.Date) <= end,
    ]
    rows = (
        await session.execute(
            sa.select(
                WorkOrder.town,
                bucket,
                sa.func.count().label("planned"),
                sa.func.count().filter(Visit.merged_into.is_not(None)).label("merged"),
                sa.func.count().filter(Visit.state != "merged", joint > 1).label("joint"),
                sa.func.count().filter(Visit.repeat_of.is_not(None)).label("reinspections"),
            )
            .join(WorkOrder, WorkOrder.id == Visit.order_id)
            .where(*where)
            .group_by(WorkOrder.town, bucket)
            .order_by(WorkOrder.town, bucket)
        )
    ).all()
    merge_bucket = sa.cast(
        sa.func.date_trunc(
            period.value, sa.func.timezone("Asia/Shanghai", MergeProposal.decided_at)
        ),
        sa.Date,
    )
    merges = {
        (r[0], r[1]): int(r[2])
        for r in await session.execute(
            sa.select(MergeProposal.town, merge_bucket, sa.func.count())
            .join(WorkOrder, WorkOrder.id == MergeProposal.kept_order)
            .where(MergeProposal.state == "merged", *_scope(principal, town))
            .group_by(MergeProposal.town, merge_bucket)
        )
    }
    return [
        {
            "town": r.town,
            "period_start": r.period_start,
            "planned": int(r.planned),
            "merged": int(r.merged),
            "saved": int(r.merged),
            "merges": merges.get((r.town, r.period_start), 0),
            "joint": int(r.joint),
            "reinspections": int(r.reinspections),
        }
        for r in rows
    ]


async def reinspections(
    session: AsyncSession,
    *,
    principal: Principal,
    town: str | None,
    paging: PageParams,
) -> tuple[list[dict[str, Any]], int]:
    """Targets inspected again by another party within the window (flagged at the visit)."""
    earlier = aliased(Visit)
    earlier_order = aliased(WorkOrder)
    query = (
        sa.select(
            Visit.target_id,
            Target.name.label("target_name"),
            Target.town,
            Visit.id.label("visit_id"),
            Visit.order_id,
            WorkOrder.initiating_org.label("org"),
            Visit.inspected_at,
            earlier.id.label("earlier_visit_id"),
            earlier.order_id.label("earlier_order_id"),
            earlier_order.initiating_org.label("earlier_org"),
            earlier.inspected_at.label("earlier_inspected_at"),
        )
        .join(WorkOrder, WorkOrder.id == Visit.order_id)
        .join(Target, Target.id == Visit.target_id)
        .join(earlier, earlier.id == Visit.repeat_of)
        .join(earlier_order, earlier_order.id == earlier.order_id)
        .where(*_scope(principal, town))
        .order_by(Visit.inspected_at.desc(), Visit.id)
    )
    total = (
        await session.execute(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        )
    ).scalar_one()
    rows = (await session.execute(query.limit(paging.page_size).offset(paging.offset))).mappings()
    return [dict(r) for r in rows], int(total)
