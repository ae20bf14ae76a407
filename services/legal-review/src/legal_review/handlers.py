"""Handlers of the events legal review consumes, each translating its event into the use case
whose checks a request would meet too:

- `inspection.review-requested` (INSP-08/REV-01): a joint inspection's finding whose proposed
  decision needs legal review becomes the town's review request (`service/requests.py`),
  fulfilled when the town's brigade submits the review naming it (`POST /reviews`).

The inbox accepts the event only from joint inspection (its owner; a forged request goes to
the dead-letter topic) and records its id in the same transaction, so a redelivered event is a
no-op; the request is also unique on its finding. An event that fails the checks (a
department, an unknown town or matter) is refused (`refused_like_a_request`): to the
dead-letter topic at once, with the reason.
"""

from __future__ import annotations

from legal_review.service import requests
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import InspectionReviewRequested
from xietong_common.events.envelope import CloudEvent
from xietong_common.messaging.inbox import refused_like_a_request
from xietong_common.uow import UnitOfWork


async def on_review_requested(
    uow: UnitOfWork,
    event: InspectionReviewRequested,
    envelope: CloudEvent,
    *,
    ctx: ServiceContext,
) -> None:
    """INSP-08/REV-01: the finding needs the town's legal review; the town is told."""
    with refused_like_a_request():
        await requests.receive(uow, ctx=ctx, event=event)
