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
from xietong_common.contracts.base import IntegrationEvent
from xietong_common.contracts.deadlines import DeadlineApproaching, DeadlineBreached
from xietong_common.contracts.referral import (
    CaseAnswered,
    CaseAssigned,
    CaseConcluded,
    CaseEscalated,
    CaseFiled,
    CaseReceived,
    CaseReferred,
)
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


async def on_record_event(
    uow: UnitOfWork, event: IntegrationEvent, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """A record's event an organisation may subscribe to (a referral's lifecycle): delivered
    to the event's parties that subscribed to its kind."""
    with refused_like_a_request():
        await notifier_service.fan_out_record_event(
            uow, ctx=ctx, kind=RECORD_EVENT_MODELS[type(event)], envelope=envelope, event=event
        )


# The events of records an organisation may subscribe to, by their contract.
RECORD_EVENT_MODELS: dict[type[IntegrationEvent], EventKind] = {
    CaseReferred: EventKind.CASE_REFERRED,
    CaseReceived: EventKind.CASE_RECEIVED,
    CaseAnswered: EventKind.CASE_ANSWERED,
    CaseEscalated: EventKind.CASE_ESCALATED,
    CaseAssigned: EventKind.CASE_ASSIGNED,
    CaseFiled: EventKind.CASE_FILED,
    CaseConcluded: EventKind.CASE_CONCLUDED,
}
