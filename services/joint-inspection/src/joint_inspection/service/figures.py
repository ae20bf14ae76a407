"""Reads for oversight: shortcomings and their acknowledgements (INSP-09), merge proposals,
and the figures of one visit instead of many (planned, merged, saved; re-inspections)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from joint_inspection.domain import MergeState, OrderState
from joint_inspection.models import (
    MergeProposal,
    OrderParticipant,
    Shortcoming,
    ShortcomingAck,
    Target,
    Visit,
    WorkOrder,
)
from joint_inspection.service.common import MERGE, SHORTCOMING
from xietong_common.auth import Principal
from xietong_common.listing import Listed, ListFilters
from xietong_common.pagination import PageParams
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG, is_town


@dataclass(frozen=True)
class ShortcomingFilters(ListFilters[Any]):
    """The filters of every list, and the shortcoming's own."""

    department: str | None = None
    acknowledged: bool | None = None
    sort: str = "-reported_at"


async def list_shortcomings(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: ShortcomingFilters,
    paging: PageParams,
    now: datetime,
) -> tuple[list[Listed[Shortcoming]], int]:
    """Those the caller reported, or must acknowledge, or that concern its town."""
    org = principal.org
    where: list[Any] = []
    if not SHORTCOMING.reads_all(org):
        where.append(
            sa.or_(
                Shortcoming.reporting_org == org,
                Shortcoming.town == org,
                Shortcoming.departments.contains([org]),
            )
        )
    department = filters.department
    if department:
        where.append(Shortcoming.departments.contains([department]))
    if filters.acknowledged is not None:
        pending = sa.exists().where(
            ShortcomingAck.shortcoming_id == Shortcoming.id,
            ShortcomingAck.acknowledged_at.is_(None),
            *([ShortcomingAck.department == department] if department else []),
        )
        where.append(~pending if filters.acknowledged else pending)
    return await SHORTCOMING.page(session, *where, filters=filters, paging=paging, now=now)


async def list_merges(
    session: AsyncSession,
    *,
    principal: Principal,
    state: MergeState | None,
    town: str | None,
    paging: PageParams,
    now: datetime,
) -> tuple[list[Listed[MergeProposal]], int]:
    """The caller's proposals (as an initiator or the town); the justice bureau's: all."""
    org = principal.org
    where: list[Any] = []
    if not MERGE.reads_all(org):
        where.append(
            sa.or_(
                MergeProposal.org_a == org, MergeProposal.org_b == org, MergeProposal.town == org
            )
        )
    if town:
        where.append(MergeProposal.town == town)
    filters = ListFilters(states=[state] if state else (), sort="-proposed_at")
    return await MERGE.page(session, *where, filters=filters, paging=paging, now=now)


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
                # Σ(agencies at a joint visit − 1) over the visits made
                sa.func.coalesce(
                    sa.func.sum(joint - 1).filter(
                        Visit.inspected_at.is_not(None), Visit.state != "merged", joint > 1
                    ),
                    0,
                ).label("visits_saved"),
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
            "visits_saved": int(r.visits_saved),
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
        # A repeat is flagged when the visit is inspected.
        .where(*_scope(principal, town), *paging.changed_since(Visit.inspected_at))
        .order_by(Visit.inspected_at.desc(), Visit.id)
    )
    total = (
        await session.execute(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        )
    ).scalar_one()
    rows = (await session.execute(query.limit(paging.page_size).offset(paging.offset))).mappings()
    return [dict(r) for r in rows], int(total)


# ---- one visit instead of many: prior inspections, 入企检查次数 --------------------------------


def _china_year(column: Any) -> sa.ColumnElement[Any]:
    """The calendar year of a moment in China time."""
    return sa.extract("year", sa.func.timezone("Asia/Shanghai", column))


async def prior_inspections(
    session: AsyncSession, order: WorkOrder, *, since: datetime
) -> list[dict[str, Any]]:
    """一次检查、结果互认: the inspections of the order's targets made since `since` by any
    unit (other orders), with their results, newest first."""
    targets = sa.select(Visit.target_id).where(Visit.order_id == order.id, Visit.state != "merged")
    rows = await session.execute(
        sa.select(
            Visit.target_id,
            Target.name.label("target_name"),
            Visit.id.label("visit_id"),
            Visit.order_id,
            WorkOrder.number.label("order_number"),
            WorkOrder.initiating_org.label("org"),
            Visit.inspected_at,
            Visit.outcome,
            Visit.description,
            Visit.handling,
            Visit.guidance,
            Visit.feedback,
        )
        .join(WorkOrder, WorkOrder.id == Visit.order_id)
        .join(Target, Target.id == Visit.target_id)
        .where(
            Visit.target_id.in_(targets),
            Visit.order_id != order.id,
            Visit.inspected_at.is_not(None),
            Visit.inspected_at >= since,
        )
        .order_by(Visit.inspected_at.desc(), Visit.id)
        .limit(200)
    )
    return [dict(r) for r in rows.mappings()]


async def entry_counts(
    session: AsyncSession,
    *,
    year: int,
    cap: int,
    where: Sequence[Any],
    at_least: int = 1,
) -> list[dict[str, Any]]:
    """入企检查次数: visits made to each target in the calendar year (China time), those with
    at least `at_least`, most visited first, flagged over `cap`."""
    entries = sa.func.count(Visit.id)
    rows = await session.execute(
        sa.select(Visit.target_id, Target.name, Target.town, entries.label("entries"))
        .join(WorkOrder, WorkOrder.id == Visit.order_id)
        .join(Target, Target.id == Visit.target_id)
        .where(
            Visit.inspected_at.is_not(None),
            Visit.state != "merged",
            _china_year(Visit.inspected_at) == year,
            *where,
        )
        .group_by(Visit.target_id, Target.name, Target.town)
        .having(entries >= at_least)
        .order_by(entries.desc(), Visit.target_id)
        .limit(1000)
    )
    return [
        {
            "target_id": r.target_id,
            "target_name": r.name,
            "town": r.town,
            "year": year,
            "entries": int(r.entries),
            "cap": cap,
            "over_cap": int(r.entries) > cap,
        }
        for r in rows
    ]


async def entries_for(
    session: AsyncSession, *, town: str | None, principal: Principal, year: int, cap: int
) -> list[dict[str, Any]]:
    """入企检查次数 of the targets the caller's figures cover."""
    return await entry_counts(session, year=year, cap=cap, where=_scope(principal, town))


async def cap_reached(
    session: AsyncSession, order: WorkOrder, *, year: int, cap: int
) -> list[dict[str, Any]]:
    """The order's targets already visited `cap` times this year (by any unit)."""
    targets = sa.select(Visit.target_id).where(Visit.order_id == order.id, Visit.state != "merged")
    return await entry_counts(
        session,
        year=year,
        cap=cap,
        where=[Visit.target_id.in_(targets), Visit.order_id != order.id],
        at_least=cap,
    )
