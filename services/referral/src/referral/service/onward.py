"""REF-08 (不得再行移送) as use cases: a referral resembling a case its sender received is held
for the district government's decision rather than delivered, the sender of the received case
is told on its own case, the district government releases or bars it, and every refused
attempt is recorded on the case it resembled."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from referral import events
from referral.domain import Ground, Resemblance, Routing, Step
from referral.errors import OnwardReferralForbidden
from referral.models import Referral
from referral.service.common import (
    HANDLING_ROLES,
    REFERRAL,
    route_referral,
    start_receipt_deadline,
)
from xietong_common import deadlines
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.reference import DISTRICT_GOV
from xietong_common.uow import UnitOfWork


async def tell_original_senders(
    uow: UnitOfWork, referral_id: str | None, resembling: Sequence[Resemblance], *, held: bool
) -> None:
    """On each received case the referral resembles, note (and audit) that its receiver tried
    to refer it on, or sent something like it for the district government's decision: the
    sender of that case sees it on its own case, as does oversight."""
    by_id = {uuid.UUID(r.referral_id): r for r in resembling}
    originals = (
        await uow.session.scalars(
            sa.select(Referral).where(Referral.id.in_(by_id)).with_for_update()
        )
    ).all()
    for original in originals:
        match = by_id[original.id]
        grounds = [g.value for g in match.grounds]
        note: dict[str, object] = {
            "referral_id": referral_id,
            "at": uow.now.isoformat(),
            "grounds": grounds,
            "held": held,
        }
        original.onward_suspicions = [*(original.onward_suspicions or []), note]
        REFERRAL.audit(
            uow,
            original,
            "onward-referral-held" if held else "onward-referral-attempt-refused",
            rule="REF-08",
            by=uow.actor.org if uow.actor else None,
            referral=referral_id,
            grounds=grounds,
            facts_similarity=round(match.facts_similarity, 2),
        )


async def record_refused_attempt(
    uow: UnitOfWork, refusal: OnwardReferralForbidden, *, referral_id: uuid.UUID | None
) -> None:
    """REF-08: a refused attempt (no reason, or one too thin to rule on) rolled back with its
    request; this records it afterwards, in its own unit of work, on the cases it resembled."""
    similar = refusal.extensions.get("similar_to") or []
    resembling = [
        Resemblance(
            referral_id=s["referral_id"],
            grounds=tuple(Ground(g) for g in s["grounds"]),
            facts_similarity=s["facts_similarity"],
        )
        for s in similar
    ]
    if resembling:
        await tell_original_senders(
            uow, str(referral_id) if referral_id else None, resembling, held=False
        )


async def hold(
    uow: UnitOfWork, referral: Referral, routing: Routing, resembling: list[Resemblance]
) -> None:
    """REF-08: sent with a stated reason although it resembles a received case: not delivered
    but held for the district government. The sender has acted (REF-03 is met now: the
    district government's time is not the sender's); the receiver sees nothing yet."""
    REFERRAL.transition(referral, Step.HOLD, uow.now)
    referral.receiver, referral.proposed_receiver = routing.receiver, routing.proposed
    referral.held_at = uow.now
    referral.sent_at = uow.now  # sent, to the district government first
    referral.sent_by = uow.actor.user if uow.actor else None
    met = await REFERRAL.satisfy_deadline(uow, referral, Step.SEND.value)
    await tell_original_senders(uow, str(referral.id), resembling, held=True)
    uow.publish(events.onward_referral_suspected(referral, resembling), key=str(referral.id))
    REFERRAL.audit(
        uow,
        referral,
        "held-for-district-government",
        rule="REF-08",
        receiver=routing.receiver,
        resembles=[r.referral_id for r in resembling],
        late=bool(met and met.overdue_at_satisfaction),
    )


async def decide_onward(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    referral_id: uuid.UUID,
    actor: Principal,
    release: bool,
    reason: str,
) -> Referral:
    """REF-08: the district government rules on a held referral: a different case is released
    and delivered now (REF-06's receipt clock starts); an onward referral is barred, and the
    case stays with the party that received it."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    actor.require_org(DISTRICT_GOV)
    actor.require_role(*HANDLING_ROLES)  # the district government's office decides
    step = Step.RELEASE if release else Step.BAR
    REFERRAL.transition(referral, step, uow.now)
    referral.onward_decision = {
        "decision": step.value,
        "reason": reason,
        "by": actor.user,
        "at": uow.now.isoformat(),
    }
    if release:
        routing = route_referral(ctx, referral)
        send_due = next(
            (
                d
                for d in await deadlines.for_subject(uow, REFERRAL.subject_of(referral.id))
                if d.action == Step.SEND.value
            ),
            None,
        )
        referral.sent_at = uow.now
        await start_receipt_deadline(uow, ctx, referral)
        late = bool(send_due and send_due.overdue_at_satisfaction)
        uow.publish(
            events.referred(referral, routing, send_due=send_due, late=late), key=str(referral.id)
        )
    decided = events.onward_referral_decided(
        referral, released=release, reason=reason, by=actor.user, at=uow.now
    )
    uow.publish(decided, key=str(referral.id))
    REFERRAL.audit(uow, referral, step.value, rule="REF-08", reason=reason)
    return referral
