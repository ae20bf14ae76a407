"""INSP-02 双随机, the second draw: an order's inspectors drawn at random from the pool the town
names, committed before they are drawn as the targets are.

The town names its candidates (its brigade, the officers seconded to it) and the recusals its
officers declare (回避: a conflict with a target of the order, and why). Each candidate passes
the checks an assignment passes (`staffing.vet_inspector`, SEC-04 on the roster); the one who
does not, or who recused himself, is left out with the reason. The pool is frozen, its digest
and only the seed's SHA-256 audited (`inspection.order.inspectors-committed`); the draw reveals
the seed, ranks the pool by `domain.selection.rank_officers` and assigns the first `count`.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from joint_inspection.domain import OrderStep
from joint_inspection.domain.selection import pool_digest, rank_officers, seed_commitment
from joint_inspection.errors import InspectorDrawExists
from joint_inspection.models import InspectorDraw, OrderInspector, WorkOrder
from joint_inspection.schemas import InspectorPoolIn, RecusalIn
from joint_inspection.service.common import ORDER, WRITE_ROLES, visits_of
from joint_inspection.service.staffing import vet_inspector
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import AppError, Conflict, InvalidInput
from xietong_common.reasons import MIN_REASON, is_stated
from xietong_common.uow import UnitOfWork

POOL_SCOPE = "inspection.order.inspector-pool"


async def _draw_of(uow: UnitOfWork, order: WorkOrder) -> InspectorDraw | None:
    return (
        await uow.session.execute(
            sa.select(InspectorDraw).where(InspectorDraw.order_id == order.id).with_for_update()
        )
    ).scalar_one_or_none()


async def _recusals(
    uow: UnitOfWork, order: WorkOrder, data: InspectorPoolIn
) -> dict[str, dict[str, Any]]:
    targets = {v.target_id for v in await visits_of(uow, order.id)}
    named = {c.officer_id for c in data.candidates}
    out: dict[str, dict[str, Any]] = {}
    for r in data.recusals:
        if not is_stated(r.reason):
            raise InvalidInput(
                f"a recusal states its reason in at least {MIN_REASON} characters",
                zh=f"回避须写明理由（至少 {MIN_REASON} 个字）",
                missing=["reason"],
                officer_id=r.officer_id,
                rule="INSP-02",
            )
        if r.target_id not in targets or r.officer_id not in named:
            raise InvalidInput(
                "a recusal names a candidate of the pool and a target of this order",
                zh="回避须针对本次抽取范围内的人员和本工单的检查对象",
                officer_id=r.officer_id,
                target_id=str(r.target_id),
                rule="INSP-02",
            )
        out.setdefault(
            r.officer_id,
            {
                "officer_id": r.officer_id,
                "why": "recused",
                "target_id": str(r.target_id),
                "reason": r.reason,
            },
        )
    return out


async def commit_pool(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    order_id: uuid.UUID,
    data: InspectorPoolIn,
    idempotency_key: str | None = None,
) -> InspectorDraw:
    """Freeze the eligible pool, leave out the recused and the ineligible (with why), and audit
    the seed's commitment; the seed is kept until the draw."""
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_role(*WRITE_ROLES)
    actor.require_org(order.town)  # the town commands its brigade and seconded officers
    ORDER.check(order, OrderStep.STAFF)
    replay = await idempotency.claim(
        uow,
        scope=POOL_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"order": str(order_id), **data.model_dump(mode="json")},
    )
    if replay is not None:
        found = await _draw_of(uow, order)
        assert found is not None
        return found
    if await _draw_of(uow, order) is not None:
        raise InspectorDrawExists(
            "this order's inspector pool is committed already",
            zh="本工单的检查人员抽取范围已固定",
            rule="INSP-02",
        )
    excluded = await _recusals(uow, order, data)
    pool: dict[str, dict[str, Any]] = {}
    for candidate in data.candidates:
        if candidate.officer_id in excluded or candidate.officer_id in pool:
            continue
        try:
            inspector, kind = await vet_inspector(
                uow, ctx=ctx, actor=actor, order=order, data=candidate
            )
        except AppError as refused:
            excluded[candidate.officer_id] = {
                "officer_id": candidate.officer_id,
                "why": "ineligible",
                "target_id": None,
                "reason": refused.detail,
                "reason_zh": refused.detail_zh,
            }
            continue
        pool[candidate.officer_id] = {
            "officer_id": inspector.officer_id,
            "kind": kind.value,
            "name": inspector.name,
            "org": inspector.org,
            "certificate_number": inspector.certificate_number,
            "matter_codes": inspector.matter_codes,
            "eligibility": inspector.eligibility,
        }
    if len(pool) < data.count:
        raise InvalidInput(
            f"{len(pool)} eligible officer(s) left in the pool, fewer than the {data.count} "
            "to draw",
            zh=f"抽取范围内符合条件的人员只有 {len(pool)} 名，少于拟抽取的 {data.count} 名",
            excluded=list(excluded.values()),
            rule="INSP-02",
        )
    seed = secrets.token_hex(16)
    commitment = seed_commitment(seed)
    ids = sorted(pool)
    draw = InspectorDraw(
        order_id=order.id,
        count=data.count,
        pool=[pool[i] for i in ids],
        excluded=list(excluded.values()),
        seed=seed,
        seed_commitment=commitment,
        pool_digest=pool_digest(
            order_id=str(order.id), count=data.count, pool=ids, seed_commitment=commitment
        ),
        committed_at=uow.now,
        committed_by=actor.user,
    )
    uow.session.add(draw)
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=POOL_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(order.id)
    )
    ORDER.audit(
        uow,
        order,
        "order.inspectors-committed",
        rule="INSP-02",
        count=data.count,
        pool=ids,
        excluded=[
            {k: e[k] for k in ("officer_id", "why", "target_id", "reason")} for e in draw.excluded
        ],
        seed_commitment=commitment,
        pool_digest=draw.pool_digest,
    )
    return draw


async def draw_inspectors(
    uow: UnitOfWork, *, actor: Principal, order_id: uuid.UUID
) -> InspectorDraw:
    """Reveal the seed, rank the frozen pool, assign the first `count` (one already on the
    order counts as one of them)."""
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_role(*WRITE_ROLES)
    actor.require_org(order.town)
    ORDER.check(order, OrderStep.STAFF)
    draw = await _draw_of(uow, order)
    if draw is None:
        raise Conflict(
            "no inspector pool is committed for this order: commit it first",
            zh="本工单尚未固定检查人员抽取范围",
            rule="INSP-02",
        )
    if draw.drawn_at is not None:
        raise InspectorDrawExists(
            "this order's inspectors were drawn already",
            zh="本工单的检查人员已抽取",
            rule="INSP-02",
        )
    ranked = rank_officers(draw.seed, [p["officer_id"] for p in draw.pool])
    drawn = ranked[: draw.count]
    on_order = {i.officer_id for i in order.inspectors}
    assigned: list[str] = []
    for officer in drawn:
        if officer in on_order:
            continue
        inspector = _inspector_from_pool(draw, officer, order=order, uow=uow, by=actor.user)
        order.inspectors.append(inspector)
        assigned.append(officer)
    draw.drawn_at, draw.drawn_by, draw.ranked = uow.now, actor.user, ranked
    order.updated_at = uow.now
    await uow.session.flush()
    ORDER.audit(
        uow,
        order,
        "order.inspectors-drawn",
        rule="INSP-02",
        seed=draw.seed,
        seed_commitment=draw.seed_commitment,
        pool_digest=draw.pool_digest,
        ranked=ranked,
        drawn=drawn,
        assigned=assigned,
    )
    return draw


async def inspector_draw(
    session: AsyncSession, *, actor: Principal, order_id: uuid.UUID
) -> InspectorDraw:
    order = await ORDER.load_for(session, order_id, actor, lock=False)
    found = (
        await session.execute(sa.select(InspectorDraw).where(InspectorDraw.order_id == order.id))
    ).scalar_one_or_none()
    if found is None:
        raise Conflict(
            "no inspector pool is committed for this order",
            zh="本工单尚未固定检查人员抽取范围",
            rule="INSP-02",
        )
    return found


def drawn_officers(draw: InspectorDraw) -> list[str]:
    """The first `count` of the draw's order, passing over those who recused themselves."""
    out = {e["officer_id"] for e in draw.excluded}
    return [o for o in draw.ranked or [] if o not in out][: draw.count]


def _inspector_from_pool(
    draw: InspectorDraw, officer: str, *, order: WorkOrder, uow: UnitOfWork, by: str
) -> OrderInspector:
    p = next(p for p in draw.pool if p["officer_id"] == officer)
    return OrderInspector(
        id=uuid.uuid4(),
        order_id=order.id,
        kind=p["kind"],
        officer_id=officer,
        name=p["name"],
        org=p["org"],
        certificate_number=p["certificate_number"],
        matter_codes=p["matter_codes"],
        eligibility=p["eligibility"],
        assigned_at=uow.now,
        assigned_by=by,
    )


async def recuse_drawn(
    uow: UnitOfWork, *, actor: Principal, order_id: uuid.UUID, data: RecusalIn
) -> InspectorDraw:
    """A drawn officer declares a conflict with a target of the order: he steps out, the
    reason recorded, and the next officer in the draw's order takes his place."""
    order = await ORDER.load_for(uow, order_id, actor)
    actor.require_role(*WRITE_ROLES)
    actor.require_org(order.town)
    ORDER.check(order, OrderStep.STAFF)
    draw = await _draw_of(uow, order)
    if draw is None or draw.drawn_at is None:
        raise Conflict(
            "the inspectors of this order are not drawn yet: declare the recusal with the pool",
            zh="本工单检查人员尚未抽取，回避请在固定抽取范围时申报",
            rule="INSP-02",
        )
    before = drawn_officers(draw)
    targets = {v.target_id for v in await visits_of(uow, order.id)}
    if not is_stated(data.reason):
        raise InvalidInput(
            f"a recusal states its reason in at least {MIN_REASON} characters",
            zh=f"回避须写明理由（至少 {MIN_REASON} 个字）",
            missing=["reason"],
            rule="INSP-02",
        )
    if data.officer_id not in before or data.target_id not in targets:
        raise InvalidInput(
            "a recusal after the draw names a drawn officer and a target of this order",
            zh="抽取后的回避须针对本工单已抽中的人员和本工单的检查对象",
            officer_id=data.officer_id,
            drawn=before,
            rule="INSP-02",
        )
    draw.excluded = [
        *draw.excluded,
        {
            "officer_id": data.officer_id,
            "why": "recused",
            "target_id": str(data.target_id),
            "reason": data.reason,
            "after_draw": True,
        },
    ]
    leaving = next((i for i in order.inspectors if i.officer_id == data.officer_id), None)
    if leaving is not None:
        order.inspectors.remove(leaving)
    on_order = {i.officer_id for i in order.inspectors}
    joining = [o for o in drawn_officers(draw) if o not in before and o not in on_order]
    for officer in joining:
        order.inspectors.append(
            _inspector_from_pool(draw, officer, order=order, uow=uow, by=actor.user)
        )
    order.updated_at = uow.now
    await uow.session.flush()
    ORDER.audit(
        uow,
        order,
        "order.inspector-recused",
        rule="INSP-02",
        officer_id=data.officer_id,
        target_id=str(data.target_id),
        reason=data.reason,
        replaced_by=joining[0] if joining else None,
        drawn=drawn_officers(draw),
    )
    return draw


def draw_out(draw: InspectorDraw) -> dict[str, Any]:
    """What anyone sees: the seed only once the draw revealed it."""
    revealed = draw.drawn_at is not None
    ranked = list(draw.ranked or [])
    drawn = drawn_officers(draw)
    return {
        "order_id": draw.order_id,
        "count": draw.count,
        "pool": [p["officer_id"] for p in draw.pool],
        "excluded": draw.excluded,
        "seed_commitment": draw.seed_commitment,
        "pool_digest": draw.pool_digest,
        "committed_at": draw.committed_at,
        "seed": draw.seed if revealed else None,
        "drawn_at": draw.drawn_at,
        "ranked": [
            {"officer_id": o, "rank": n, "drawn": o in drawn} for n, o in enumerate(ranked, start=1)
        ]
        if revealed
        else None,
        "drawn": drawn if revealed else None,
    }
