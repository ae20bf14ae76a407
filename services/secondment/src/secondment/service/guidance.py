"""SEC-05: a department records the guidance it gave the towns, with its materials; who
sees the records, and their counts for oversight."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from secondment import events
from secondment.domain.guidance import CountBy, check_activity
from secondment.domain.teams import sees_all
from secondment.models import GuidanceActivity, GuidanceConfirmation, GuidanceMaterial
from secondment.schemas import GuidanceCreate
from secondment.service.common import (
    GUIDANCE,
    GUIDANCE_ROLES,
    check_towns,
    require_department,
    today,
)
from xietong_common import idempotency, materials
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.secondment import GuidanceKind
from xietong_common.errors import Conflict, Forbidden, InvalidInput
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.reference import is_department, is_town
from xietong_common.uow import UnitOfWork

CREATE_SCOPE = "secondment.guidance.create"


async def record_activity(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    data: GuidanceCreate,
    idempotency_key: str | None = None,
) -> GuidanceActivity:
    """SEC-05: one guidance activity of the caller's department: kind, day, towns reached,
    attendance; published as `secondment.guidance-recorded`."""
    department = require_department(ctx, actor, *GUIDANCE_ROLES)
    replay = await idempotency.claim(
        uow, scope=CREATE_SCOPE, org=department, key=idempotency_key, request=data
    )
    if replay is not None:
        return await GUIDANCE.load_for(uow, uuid.UUID(replay), actor, lock=False)
    towns = check_towns(ctx, data.towns)
    check_activity(
        kind=data.kind,
        held_on=data.held_on,
        ended_on=data.ended_on,
        attendance=data.attendance,
        third_party=data.third_party,
        today=today(uow),
    )
    if data.shared_as is not None and data.kind is not GuidanceKind.GUIDANCE_DOCUMENT:
        raise InvalidInput(
            "only a guidance document is shared as an information item",
            zh="只有指导性文件可作为共享信息发布",
            field="shared_as",
            rule="SEC-05",
        )
    activity = GuidanceActivity(
        id=uuid.uuid4(),
        department=department,
        kind=data.kind.value,
        title=data.title,
        held_on=data.held_on,
        ended_on=data.ended_on,
        towns=list(towns),
        attendance=data.attendance,
        third_party=data.third_party,
        document_number=data.document_number,
        description=data.description,
        shared_as=data.shared_as.value if data.shared_as else None,
        recorded_at=uow.now,
        recorded_by=actor.user,
        materials=[],
        confirmations=[],
    )
    uow.session.add(activity)
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=CREATE_SCOPE, org=department, key=idempotency_key, resource_id=str(activity.id)
    )
    uow.publish(events.guidance_recorded(activity), key=str(activity.id))
    GUIDANCE.audit(
        uow,
        activity,
        "guidance.recorded",
        rule="SEC-05",
        kind=data.kind.value,
        towns=list(towns),
        held_on=data.held_on.isoformat(),
    )
    return activity


async def add_material(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    activity_id: uuid.UUID,
    actor: Principal,
    title: str | None,
    upload: materials.Upload,
) -> GuidanceMaterial:
    """SEC-05: the document, slides or attendance sheet of an activity, by its department."""
    activity = await GUIDANCE.load_for(uow, activity_id, actor)
    if actor.org != activity.department:
        raise Forbidden(
            "only the department that gave the guidance adds its materials",
            zh="只有开展业务指导的部门可以上传其材料",
            rule="SEC-05",
        )
    actor.require_role(*GUIDANCE_ROLES)
    stored = await materials.store_material(ctx, upload, fallback="guidance.bin")
    material, _ = await materials.add_material(
        uow,
        GuidanceMaterial(activity_id=activity.id, title=title or stored.filename),
        stored,  # the title defaults to the cleaned file name, never the raw one
        by=actor,
    )
    GUIDANCE.audit(
        uow,
        activity,
        "guidance.material-added",
        rule="SEC-05",
        material_id=str(material.id),
        sha256=stored.sha256,
    )
    return material


# ---- guidance (SEC-05) -------------------------------------------------------------------------


def _guidance_visible(org: str) -> sa.ColumnElement[bool]:
    if sees_all(org):
        return sa.true()
    if is_department(org):
        return GuidanceActivity.department == org
    if is_town(org):
        return GuidanceActivity.towns.contains([org])
    return sa.false()


@dataclass(frozen=True)
class GuidanceFilters:
    department: str | None = None
    town: str | None = None
    kind: GuidanceKind | None = None
    held_from: date | None = None
    held_to: date | None = None


def _guidance_where(principal: Principal, f: GuidanceFilters) -> list[sa.ColumnElement[bool]]:
    where = [_guidance_visible(principal.org)]
    if f.department:
        where.append(GuidanceActivity.department == f.department)
    if f.town:
        where.append(GuidanceActivity.towns.contains([f.town]))
    if f.kind:
        where.append(GuidanceActivity.kind == f.kind.value)
    if f.held_from:
        where.append(GuidanceActivity.held_on >= f.held_from)
    if f.held_to:
        where.append(GuidanceActivity.held_on <= f.held_to)
    return where


async def list_guidance(
    session: AsyncSession, *, principal: Principal, filters: GuidanceFilters, paging: PageParams
) -> tuple[Sequence[GuidanceActivity], int]:
    query = (
        sa.select(GuidanceActivity)
        .where(*_guidance_where(principal, filters))
        .order_by(
            GuidanceActivity.held_on.desc(),
            GuidanceActivity.recorded_at.desc(),
            GuidanceActivity.id,
        )
        .options(selectinload(GuidanceActivity.materials))  # the list shows them
    )
    # Its last change: recorded, or a material added since.
    changed = sa.func.greatest(
        GuidanceActivity.recorded_at,
        sa.select(sa.func.max(GuidanceMaterial.uploaded_at))
        .where(GuidanceMaterial.activity_id == GuidanceActivity.id)
        .scalar_subquery(),
    )
    return await fetch_page(session, query, paging, changed=changed)


async def guidance_counts(
    session: AsyncSession, *, principal: Principal, by: CountBy, filters: GuidanceFilters
) -> tuple[list[tuple[str, int, int]], int]:
    """SEC-05 for oversight: activities and attendance per department, town reached, kind or
    period (held_on, China date). Counted by town, an activity counts once for each town it
    reached (a town sees only its own line)."""
    where = _guidance_where(principal, filters)
    total = (
        await session.execute(
            sa.select(sa.func.count()).select_from(GuidanceActivity).where(*where)
        )
    ).scalar_one()
    held = GuidanceActivity.held_on
    key: Any
    if by is CountBy.TOWN:
        town = sa.func.unnest(GuidanceActivity.towns).label("key")
        inner = sa.select(town, GuidanceActivity.attendance).where(*where).subquery()
        query = sa.select(
            inner.c.key, sa.func.count(), sa.func.coalesce(sa.func.sum(inner.c.attendance), 0)
        )
        if is_town(principal.org):
            query = query.where(inner.c.key == principal.org)
        if filters.town:
            query = query.where(inner.c.key == filters.town)
        query = query.group_by(inner.c.key).order_by(inner.c.key)
    else:
        key = {
            CountBy.DEPARTMENT: GuidanceActivity.department,
            CountBy.KIND: GuidanceActivity.kind,
            CountBy.MONTH: sa.func.to_char(held, "YYYY-MM"),
            CountBy.QUARTER: sa.func.to_char(held, 'YYYY-"Q"Q'),
            CountBy.YEAR: sa.func.to_char(held, "YYYY"),
        }[by]
        query = (
            sa.select(
                key.label("key"),
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(GuidanceActivity.attendance), 0),
            )
            .where(*where)
            .group_by(key)
            .order_by(key)
        )
    rows = (await session.execute(query)).all()
    return [(str(r[0]), int(r[1]), int(r[2])) for r in rows], int(total)


async def confirm_activity(
    uow: UnitOfWork, *, actor: Principal, activity_id: uuid.UUID, note: str | None
) -> GuidanceActivity:
    """SEC-05: a town the activity reached confirms it received the guidance (once)."""
    activity = await GUIDANCE.load_for(uow, activity_id, actor)
    actor.require_org(*activity.towns)
    actor.require_role(*GUIDANCE_ROLES)
    if any(c.town == actor.org for c in activity.confirmations):
        raise Conflict(
            f"{actor.org} confirmed this guidance activity already",
            zh="本单位已确认收到该业务指导",
            rule="SEC-05",
        )
    activity.confirmations.append(
        GuidanceConfirmation(
            activity_id=activity.id,
            town=actor.org,
            confirmed_at=uow.now,
            confirmed_by=actor.user,
            note=note,
        )
    )
    GUIDANCE.audit(uow, activity, "guidance.confirmed", rule="SEC-05", town=actor.org, note=note)
    return activity
