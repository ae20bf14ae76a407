"""Withdrawing a draft with a reason (its REF-03 clock stopped), by its sender or,
for a draft made from review opinion (4), when the agency head decides against the transfer
(REV-08)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from referral import events
from referral.domain import ReferralState, Step
from referral.models import Referral
from referral.service.common import INFORM, REFERRAL, SENDING_ROLES
from xietong_common.auth import Principal
from xietong_common.contracts.referral import ReferralSource
from xietong_common.uow import UnitOfWork


async def _withdraw(uow: UnitOfWork, referral: Referral, *, by: str, reason: str) -> Referral:
    REFERRAL.transition(referral, Step.WITHDRAW, uow.now)
    referral.withdrawn_at, referral.withdrawn_by = uow.now, by
    referral.withdrawal_reason = reason
    # Nobody owes a referral that will not be made: no REF-03 breach from now on. One that
    # had already passed unmet stays a breach (withdrawing never erases a miss).
    for action in (Step.SEND.value, INFORM):
        await REFERRAL.close_deadline(uow, referral, action, reason="draft-withdrawn")
    uow.publish(events.draft_withdrawn(referral), key=str(referral.id))
    REFERRAL.audit(uow, referral, "withdrawn", rule=Step.WITHDRAW.rule, reason=reason)
    return referral


async def withdraw(
    uow: UnitOfWork, *, referral_id: uuid.UUID, actor: Principal, reason: str
) -> Referral:
    """The sender withdraws a draft it will not send, giving its reason (audited)."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    actor.require_org(referral.sender)
    actor.require_role(*SENDING_ROLES)
    return await _withdraw(uow, referral, by=actor.user, reason=reason)


async def withdraw_review_draft(
    uow: UnitOfWork, *, source: ReferralSource, outcome: str, reason: str
) -> Referral | None:
    """REV-08: the head decided against the transfer that review opinion (4) recommended: the
    draft made from that opinion is withdrawn with the decision as its reason. A draft already
    sent stays on record (a referral cannot be unsent); the decision is noted on it."""
    referral = (
        await uow.session.execute(
            sa.select(Referral)
            .where(Referral.source_kind == source.kind.value, Referral.source_id == source.id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if referral is None:
        return None
    if referral.state != ReferralState.DRAFT.value:
        REFERRAL.audit(
            uow,
            referral,
            "review-decided-against-transfer",
            rule="REV-08",
            outcome=outcome,
            reason=reason,
        )
        return None
    by = uow.actor.user if uow.actor else "system"
    return await _withdraw(uow, referral, by=by, reason=reason)
