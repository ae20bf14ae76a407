"""One visit instead of many (进一次门、查多项事): inspections of the same target planned by
different agencies within the window are proposed for merging into one joint work order;
both initiators (or the justice bureau, which coordinates, INSP-05) decide."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import selectinload

from joint_inspection.domain import (
    OPEN_STATES,
    MergeChoice,
    MergeState,
    NoticePolicy,
    OrderRef,
    OrderState,
    OrderStep,
    ParticipantRole,
    VisitState,
    VisitStep,
    decided,
    survivor,
)
from joint_inspection.errors import MergeNotPossible
from joint_inspection.models import MergeProposal, Visit, WorkOrder
from joint_inspection.service.common import (
    LEAD_ROLES,
    MERGE,
    ORDER,
    VISIT,
    WRITE_ROLES,
    add_participant,
    agreed_matters,
    end_deadlines,
    start_consultation,
)
from joint_inspection.settings import inspection_settings
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import InvalidInput
from xietong_common.reasons import MIN_REASON, is_stated
from xietong_common.reference import OVERSIGHT_ORG
from xietong_common.uow import UnitOfWork

OPEN = sorted(s.value for s in OPEN_STATES)


async def detect(
    uow: UnitOfWork, *, ctx: ServiceContext, order: WorkOrder, target_ids: Sequence[uuid.UUID]
) -> list[MergeProposal]:
    """Propose merging `order` with every other open order — of another agency or of the
    same one — that plans a visit to one of `target_ids` within the window (a setting,
    default 30 days) of its planned period, start to end. Run when targets are added and
    again when the order's dates change."""
    if not target_ids:
        return []
    window = timedelta(days=inspection_settings(ctx).inspection_merge_window_days)
    rows = (
        await uow.session.execute(
            sa.select(Visit.target_id, WorkOrder.id, WorkOrder.initiating_org)
            .join(WorkOrder, WorkOrder.id == Visit.order_id)
            .where(
                Visit.target_id.in_(list(target_ids)),
                Visit.state == VisitState.PENDING.value,
                WorkOrder.id != order.id,
                WorkOrder.state.in_(OPEN),
                # the planned periods come within the window of each other
                WorkOrder.planned_start <= order.planned_end + window,
                WorkOrder.planned_end >= order.planned_start - window,
            )
        )
    ).all()
    overlaps: dict[uuid.UUID, tuple[str, set[str]]] = {}
    for target_id, other_id, other_org in rows:
        overlaps.setdefault(other_id, (other_org, set()))[1].add(str(target_id))
    proposals = []
    for other_id, (other_org, targets) in overlaps.items():
        (a, org_a), (b, org_b) = sorted(
            [(order.id, order.initiating_org), (other_id, other_org)], key=lambda x: str(x[0])
        )
        await uow.session.execute(
            insert(MergeProposal)
            .values(
                id=uuid.uuid4(),
                order_a=a,
                order_b=b,
                org_a=org_a,
                org_b=org_b,
                town=order.town,
                target_ids=[],
                state=MergeState.PROPOSED.value,
                proposed_at=uow.now,
                accepted_by=[],
                declined_by=[],
                reasons=[],
            )
            .on_conflict_do_nothing(constraint="uq_merge_proposals_pair")
        )
        proposal = (
            await uow.session.execute(
                sa.select(MergeProposal)
                .where(MergeProposal.order_a == a, MergeProposal.order_b == b)
                .with_for_update()
            )
        ).scalar_one()
        if proposal.state != MergeState.PROPOSED.value:
            continue  # declined or decided once: not proposed again for the same pair
        proposal.target_ids = sorted(set(proposal.target_ids) | targets)
        proposals.append(proposal)
        MERGE.audit(
            uow,
            proposal,
            "merge.proposed",
            rule="INSP-05",
            orders=[str(a), str(b)],
            orgs=[org_a, org_b],
            target_ids=sorted(targets),
        )
    return proposals


async def decide_merge(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    proposal_id: uuid.UUID,
    choice: MergeChoice,
    reason: str | None,
) -> MergeProposal:
    """Each initiator accepts or declines (a decline needs its reason); the justice bureau
    may decide for both (INSP-05). Accepted by both: the orders become one joint visit.
    Its two orders are locked first, then the proposal (the order in which adding targets
    locks them)."""
    seen = await MERGE.load_for(uow, proposal_id, actor, lock=False)
    await uow.session.execute(
        sa.select(WorkOrder.id)
        .where(WorkOrder.id.in_([seen.order_a, seen.order_b]))
        .order_by(WorkOrder.id)
        .with_for_update()
    )
    proposal = await MERGE.get(uow, proposal_id)
    if actor.org not in (proposal.org_a, proposal.org_b, OVERSIGHT_ORG):
        actor.require_org(proposal.org_a, proposal.org_b, OVERSIGHT_ORG)
    actor.require_role(*(WRITE_ROLES if actor.org == OVERSIGHT_ORG else LEAD_ROLES))
    if proposal.state != MergeState.PROPOSED.value:
        raise MergeNotPossible(
            f"the proposal is {proposal.state} already", zh="该合并建议已处理", state=proposal.state
        )
    if choice is MergeChoice.DECLINE and not reason:
        raise InvalidInput(
            "a decline gives its reason", zh="不同意合并须说明理由", missing=["reason"]
        )
    if reason:
        proposal.reasons = [*proposal.reasons, f"{actor.org}: {reason}"]
    initiators = {proposal.org_a, proposal.org_b}
    if actor.org == OVERSIGHT_ORG:
        accepts = initiators if choice is MergeChoice.ACCEPT else set()
        declines = set() if choice is MergeChoice.ACCEPT else {actor.org}
    else:
        accepts = set(proposal.accepted_by) | (
            {actor.org} if choice is MergeChoice.ACCEPT else set()
        )
        declines = set(proposal.declined_by) | (
            {actor.org} if choice is MergeChoice.DECLINE else set()
        )
    proposal.accepted_by = sorted(accepts & initiators)
    proposal.declined_by = sorted(declines)
    state = decided(accepts, declines, initiators)
    MERGE.audit(
        uow,
        proposal,
        f"merge.{choice.value}",
        rule="INSP-05",
        org=actor.org,
        reason=reason,
    )
    if state is MergeState.MERGED:
        await _merge(uow, ctx, actor, proposal)
    elif state is MergeState.DECLINED:
        proposal.state, proposal.decided_at = state.value, uow.now
    return proposal


async def _merge(
    uow: UnitOfWork, ctx: ServiceContext, actor: Principal, proposal: MergeProposal
) -> None:
    """The absorbed order's pending visits to the shared targets move into the kept order,
    whose participants and matters grow; an absorbed order left with no visit is merged."""
    orders = {
        o.id: o
        for o in (
            await uow.session.execute(
                sa.select(WorkOrder)
                .where(WorkOrder.id.in_([proposal.order_a, proposal.order_b]))
                .options(*(selectinload(c) for c in ORDER.collections))
            )
        ).scalars()
    }
    refs = [OrderRef(str(o.id), o.initiating_org, o.created_at) for o in orders.values()]
    kept_ref, absorbed_ref = survivor(refs[0], refs[1])
    kept, absorbed = orders[uuid.UUID(kept_ref.id)], orders[uuid.UUID(absorbed_ref.id)]
    if OrderState(kept.state) not in OPEN_STATES or OrderState(absorbed.state) not in OPEN_STATES:
        proposal.state, proposal.decided_at = MergeState.LAPSED.value, uow.now
        MERGE.audit(uow, proposal, "merge.lapsed", rule="INSP-05", why="an order is closed")
        return
    shared = [uuid.UUID(t) for t in proposal.target_ids]
    visits = list(
        (
            await uow.session.execute(
                sa.select(Visit)
                .where(Visit.order_id.in_([kept.id, absorbed.id]), Visit.target_id.in_(shared))
                .with_for_update()
            )
        ).scalars()
    )
    pending = VisitState.PENDING.value
    kept_pending = {v.target_id for v in visits if v.order_id == kept.id and v.state == pending}
    moving = [
        v
        for v in visits
        if v.order_id == absorbed.id and v.state == pending and v.target_id in kept_pending
    ]
    if not moving:
        proposal.state, proposal.decided_at = MergeState.LAPSED.value, uow.now
        MERGE.audit(uow, proposal, "merge.lapsed", rule="INSP-05", why="already inspected")
        return
    for visit in moving:
        VISIT.transition(visit, VisitStep.MERGE, uow.now)
        visit.merged_into, visit.merged_at = kept.id, uow.now
    add_participant(
        kept, absorbed.initiating_org, ParticipantRole.MERGED, by=actor.user, at=uow.now
    )
    _keep_strictest_notice(uow, kept, absorbed, proposal)
    agreed = agreed_matters(kept)
    kept.matter_codes = list(dict.fromkeys([*kept.matter_codes, *absorbed.matter_codes]))
    kept.updated_at = uow.now
    state = OrderState(kept.state)
    added = [m for m in kept.matter_codes if m not in agreed]
    if state in (OrderState.AGREED, OrderState.COUNTER_PROPOSED):
        # The town agreed (or proposed) another content: consulted again on the joint one.
        ORDER.transition(kept, OrderStep.REVISE, uow.now)
        await start_consultation(uow, ctx, kept)
    elif state in (OrderState.ISSUED, OrderState.IN_PROGRESS) and added:
        # INSP-04 in any state: the added agency's matters wait for the town's consent; the
        # order goes on with what the town agreed.
        kept.agreed_matters = agreed
        await start_consultation(uow, ctx, kept)
        ORDER.audit(
            uow,
            kept,
            "order.consent-required",
            rule="INSP-04",
            proposal_id=str(proposal.id),
            matter_codes=added,
        )
    remaining = (
        await uow.session.execute(
            sa.select(sa.func.count())
            .select_from(Visit)
            .where(Visit.order_id == absorbed.id, Visit.state != VisitState.MERGED.value)
        )
    ).scalar_one()
    if remaining == 0:
        ORDER.transition(absorbed, OrderStep.MERGE_AWAY, uow.now)
        absorbed.merged_into = kept.id
        await end_deadlines(uow, absorbed, reason="order-merged")
        await lapse(uow, order_id=absorbed.id, now=uow.now, keep=proposal.id)
    proposal.state, proposal.decided_at = MergeState.MERGED.value, uow.now
    proposal.kept_order, proposal.absorbed_order = kept.id, absorbed.id
    for order, role in ((kept, "kept"), (absorbed, "absorbed")):
        ORDER.audit(
            uow,
            order,
            f"order.merge-{role}",
            rule="INSP-05",
            proposal_id=str(proposal.id),
            kept=str(kept.id),
            absorbed=str(absorbed.id),
            visits_moved=[str(v.target_id) for v in moving],
        )


def _keep_strictest_notice(
    uow: UnitOfWork, kept: WorkOrder, absorbed: WorkOrder, proposal: MergeProposal
) -> None:
    """INSP-06: a joint visit is announced only if neither inspection may be: an absorbed
    order's exemption (law forbids disclosure, or a superior required no notice) is kept."""
    theirs = NoticePolicy(absorbed.notice_policy) if absorbed.notice_policy else None
    ours = NoticePolicy(kept.notice_policy) if kept.notice_policy else None
    if theirs is None or not theirs.exempt or (ours is not None and ours.exempt):
        return
    kept.notice_policy = absorbed.notice_policy
    kept.notice_exemption_reason = absorbed.notice_exemption_reason
    kept.instructing_authority = absorbed.instructing_authority
    kept.notice_legal_basis = absorbed.notice_legal_basis
    kept.notice_instructing_document = absorbed.notice_instructing_document
    ORDER.audit(
        uow,
        kept,
        "order.notice-policy",
        rule="INSP-06",
        policy=kept.notice_policy,
        reason=kept.notice_exemption_reason,
        instructing_authority=kept.instructing_authority,
        legal_basis=kept.notice_legal_basis,
        instructing_document=kept.notice_instructing_document,
        merged_from=str(absorbed.id),
        proposal_id=str(proposal.id),
    )


async def lapse(
    uow: UnitOfWork, *, order_id: uuid.UUID, now: datetime, keep: uuid.UUID | None = None
) -> None:
    """An order cancelled or merged away: its open merge proposals lapse."""
    await uow.session.execute(
        sa.update(MergeProposal)
        .where(
            sa.or_(MergeProposal.order_a == order_id, MergeProposal.order_b == order_id),
            MergeProposal.state == MergeState.PROPOSED.value,
            MergeProposal.id != (keep or uuid.UUID(int=0)),
        )
        .values(state=MergeState.LAPSED.value, decided_at=now)
    )


async def overrule_decline(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    proposal_id: uuid.UUID,
    reason: str,
) -> MergeProposal:
    """INSP-05: the justice bureau, which coordinates joint inspections, overrules a decline
    with its reason: the two orders become one joint visit after all (a one-line decline
    does not end a merge for good)."""
    actor.require_org(OVERSIGHT_ORG)
    actor.require_role(*WRITE_ROLES)
    seen = await MERGE.load_for(uow, proposal_id, actor, lock=False)
    await uow.session.execute(
        sa.select(WorkOrder.id)
        .where(WorkOrder.id.in_([seen.order_a, seen.order_b]))
        .order_by(WorkOrder.id)
        .with_for_update()
    )
    proposal = await MERGE.get(uow, proposal_id)
    if proposal.state != MergeState.DECLINED.value:
        raise MergeNotPossible(
            f"only a declined proposal is overruled; this one is {proposal.state}",
            zh="只有不予合并的建议才可由司法局决定合并",
            state=proposal.state,
            rule="INSP-05",
        )
    if not is_stated(reason):
        raise InvalidInput(
            f"the justice bureau's decision states its reason (at least {MIN_REASON} letters "
            "or characters)",
            zh=f"司法局决定合并须说明理由（至少 {MIN_REASON} 个字）",
            missing=["reason"],
            rule="INSP-05",
        )
    proposal.reasons = [*proposal.reasons, f"{actor.org}: {reason}"]
    MERGE.audit(
        uow,
        proposal,
        "merge.overruled",
        rule="INSP-05",
        declined_by=list(proposal.declined_by),
        reason=reason,
    )
    await _merge(uow, ctx, actor, proposal)
    return proposal
