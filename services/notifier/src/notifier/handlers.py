"""Handlers of consumed events: each translates a deadline event into the arguments of
`fan_out`, whose checks refuse an event whose source is not the mechanism it names (sent to
the dead-letter topic at once, with the reason, by `refused_like_a_request`).

The inbox has already recorded the event id in the same transaction, so a redelivered event
is a no-op; deliveries are also unique per (event, subscription).
"""

from __future__ import annotations

from notifier import service as notifier_service
from notifier.schemas import EventKind
from xietong_common.context import ServiceContext
from xietong_common.contracts.deadlines import DeadlineApproaching, DeadlineBreached
from xietong_common.events.envelope import CloudEvent
from xietong_common.messaging.inbox import refused_like_a_request
from xietong_common.uow import UnitOfWork


async def on_deadline_approaching(
    uow: UnitOfWork, event: DeadlineApproaching, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """催办: the organisation that owes the action is told."""
    with refused_like_a_request():
        await notifier_service.fan_out(
            uow,
            ctx=ctx,
            kind=EventKind.DEADLINE_APPROACHING,
            envelope=envelope,
            mechanism=event.mechanism,
            organisation=event.organisation,
            counterparty=event.counterparty,
        )


async def on_deadline_breached(
    uow: UnitOfWork, event: DeadlineBreached, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """SUP-02: the organisation that missed it and the counterparty kept waiting are told."""
    with refused_like_a_request():
        await notifier_service.fan_out(
            uow,
            ctx=ctx,
            kind=EventKind.DEADLINE_BREACHED,
            envelope=envelope,
            mechanism=event.mechanism,
            organisation=event.organisation,
            counterparty=event.counterparty,
        )
