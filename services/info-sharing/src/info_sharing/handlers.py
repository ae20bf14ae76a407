"""Handlers of the events the information sharing service consumes: each translates the event
and calls the same use case the REST path would, with the same checks
(`async def on_x(uow, event, envelope, *, ctx)`).

The inbox has already recorded the event id in the same transaction, so a redelivered event
is a no-op; each item is also unique on its source (the review, the inspection), so even a
re-published event (a new id for the same decision) makes no second item. A payload carrying
a secrecy marking (INFO-02) is handled as a recorded no-op: no item, no retry, nothing
dead-lettered with it. An event the use case refuses as it would refuse a request (an
organisation or a matter the reference data does not know) makes no item and is refused
(`refused_like_a_request`): to the dead-letter topic at once, with the reason, to be
replayed once the reference data is corrected — the one policy of every consumer.
"""

from __future__ import annotations

from info_sharing import service as info_service
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import (
    InspectionClosed,
    InspectionFindingRecorded,
    InspectionSelectionDrawn,
)
from xietong_common.contracts.review import ReviewDecided
from xietong_common.contracts.secondment import GuidanceRecorded
from xietong_common.events.envelope import CloudEvent
from xietong_common.messaging.inbox import refused_like_a_request
from xietong_common.uow import UnitOfWork


async def on_review_decided(
    uow: UnitOfWork, event: ReviewDecided, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """REV-08 → INFO-04: a town's penalty decision, for the departments that asked (cat. 4)."""
    with refused_like_a_request():
        await info_service.from_review_decided(uow, ctx=ctx, event=event, event_id=envelope.id)


async def on_inspection_finding(
    uow: UnitOfWork, event: InspectionFindingRecorded, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-07 → INFO-04: a department's finding adds to its inspection record (category 3)."""
    with refused_like_a_request():
        await info_service.from_inspection_finding(uow, ctx=ctx, event=event, event_id=envelope.id)


async def on_inspection_closed(
    uow: UnitOfWork, event: InspectionClosed, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-07 → INFO-04: the closed work order completes the inspection record (category 3)."""
    with refused_like_a_request():
        await info_service.from_inspection_closed(uow, ctx=ctx, event=event, event_id=envelope.id)


async def on_selection_drawn(
    uow: UnitOfWork, event: InspectionSelectionDrawn, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-02 → INFO-04: a town's draw (双随机一公开) is published (category 3)."""
    with refused_like_a_request():
        await info_service.from_selection_drawn(uow, ctx=ctx, event=event, event_id=envelope.id)


async def on_guidance_recorded(
    uow: UnitOfWork, event: GuidanceRecorded, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """SEC-05 → INFO-04: a guidance document marked for sharing (category 1 or 6)."""
    with refused_like_a_request():
        await info_service.from_guidance_recorded(uow, ctx=ctx, event=event, event_id=envelope.id)
