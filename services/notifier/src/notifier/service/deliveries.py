"""Use cases of deliveries (推送): the ones a consumed deadline event makes, the list an
organisation reads, and the admin's redelivery."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.domain import RECORD_EVENTS, DeliveryState, EventKind, Step, parties_of, recipients
from notifier.errors import EventNotFromItsOwner
from notifier.models import Delivery, DeliveryAttempt, Subscription
from notifier.service.common import ADMIN_ROLES, DELIVERY
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.events.envelope import CloudEvent
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.uow import UnitOfWork

# CloudEvent attributes that are the platform's own plumbing (trace and request ids): not
# sent outside.
INTERNAL_ATTRIBUTES = ("traceparent", "tracestate", "requestid")


def outgoing(envelope: CloudEvent) -> dict[str, Any]:
    """The CloudEvent as a receiver gets it (HTTP binding, structured mode)."""
    return envelope.model_dump(mode="json", exclude_none=True, exclude=set(INTERNAL_ATTRIBUTES))


async def fan_out(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    kind: EventKind,
    envelope: CloudEvent,
    mechanism: str,
    organisation: str,
    counterparty: str | None,
) -> int:
    """One pending delivery per (event, subscription) of every organisation told of the
    event (the one that owes the action; for a breach, also the one kept waiting). Trusted
    only from the mechanism it names: a deadline of referral published by another service
    is refused, whatever the broker let through. A replayed event makes no second delivery
    (unique per event and subscription). Returns how many were made."""
    if envelope.source != f"/xietong/{mechanism}":
        raise EventNotFromItsOwner(
            f"a {envelope.type} about a {mechanism} deadline from {envelope.source!r}",
            zh=f"{mechanism} 的期限事件只能由该服务发布，不能来自 {envelope.source}",
        )
    told = recipients(organisation, counterparty, breached=kind is EventKind.DEADLINE_BREACHED)
    return await _deliver_to(uow, ctx=ctx, kind=kind, envelope=envelope, told=told)


async def fan_out_record_event(
    uow: UnitOfWork, *, ctx: ServiceContext, kind: EventKind, envelope: CloudEvent, event: Any
) -> int:
    """One pending delivery per (event, subscription) of every organisation that is a party
    of the event (domain/kinds.py: the parties the REST API shows the record to), and of no
    other. Trusted only from the service that owns the kind."""
    owner = RECORD_EVENTS[kind].mechanism
    if envelope.source != f"/xietong/{owner}":
        raise EventNotFromItsOwner(
            f"a {envelope.type} from {envelope.source!r}, not from {owner}",
            zh=f"{kind.value} 事件只能由 {owner} 服务发布，不能来自 {envelope.source}",
        )
    return await _deliver_to(
        uow, ctx=ctx, kind=kind, envelope=envelope, told=parties_of(kind, event)
    )


async def _deliver_to(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    kind: EventKind,
    envelope: CloudEvent,
    told: tuple[str, ...],
) -> int:
    for org in told:
        ctx.directory.require(org)
    subscriptions = (
        await uow.session.execute(
            sa.select(Subscription.id, Subscription.organisation).where(
                Subscription.organisation.in_(told),
                Subscription.active.is_(True),
                Subscription.deleted_at.is_(None),
                Subscription.kinds.contains([kind.value]),
            )
        )
    ).all()
    if not subscriptions:
        return 0
    body = outgoing(envelope)
    made = await uow.session.execute(
        insert(Delivery)
        .values(
            [
                {
                    "id": uuid.uuid4(),
                    "subscription_id": sid,
                    "organisation": org,
                    "state": DeliveryState.PENDING.value,
                    "event_id": envelope.id,
                    "event_type": envelope.type,
                    "subject": envelope.subject,
                    "event": body,
                    "attempts": 0,
                    "round": 1,
                    "next_attempt_at": uow.now,
                    "created_at": uow.now,
                    "updated_at": uow.now,
                }
                for sid, org in subscriptions
            ]
        )
        .on_conflict_do_nothing(constraint="uq_deliveries_event_subscription")
        .returning(Delivery.id)
    )
    return len(made.all())


async def list_deliveries(
    session: AsyncSession,
    *,
    actor: Principal,
    paging: PageParams,
    state: DeliveryState | None,
    subscription_id: uuid.UUID | None,
    event_type: EventKind | None,
) -> tuple[Sequence[Delivery], int]:
    query = sa.select(Delivery).where(Delivery.organisation == actor.org)
    if state is not None:
        query = query.where(Delivery.state == state.value)
    if subscription_id is not None:
        query = query.where(Delivery.subscription_id == subscription_id)
    if event_type is not None:
        query = query.where(Delivery.event_type == event_type.value)
    query = query.order_by(Delivery.created_at.desc(), Delivery.id)
    return await fetch_page(session, query, paging, changed=Delivery.updated_at)


async def redeliver(uow: UnitOfWork, *, actor: Principal, delivery_id: uuid.UUID) -> Delivery:
    """A dead (or delivered) delivery goes out again, with a fresh count of attempts and the
    same `webhook-id` (a receiver that already has it dedupes)."""
    actor.require_role(*ADMIN_ROLES)
    delivery = await DELIVERY.load_for(uow, delivery_id, actor)
    before = DELIVERY.transition(delivery, Step.REDELIVER, uow.now)
    delivery.attempts = 0
    delivery.round += 1
    delivery.next_attempt_at = uow.now
    DELIVERY.audit(uow, delivery, "redelivered", rule=None, previous_state=before.value)
    return delivery


async def list_attempts(
    session: AsyncSession, *, actor: Principal, paging: PageParams, delivery_id: uuid.UUID
) -> tuple[Sequence[DeliveryAttempt], int]:
    """Every attempt of one of the organisation's deliveries, the latest first (404 for
    another organisation's: the same answer as for none)."""
    delivery = await DELIVERY.load_for(session, delivery_id, actor, lock=False)
    query = (
        sa.select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery.id)
        .order_by(DeliveryAttempt.number.desc(), DeliveryAttempt.id)
    )
    return await fetch_page(session, query, paging, changed=DeliveryAttempt.recorded_at)
