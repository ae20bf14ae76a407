"""Handlers of consumed events: they translate and call the same use cases as the API.

The inbox has already recorded the event id in the same transaction, so a redelivered
event is a no-op; the draft is also unique on its source, so even a re-published event
(a new id for the same review round or finding) makes no second draft.
"""

from __future__ import annotations

from referral import service as referral_service
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import FindingOutcome, InspectionFindingRecorded
from xietong_common.contracts.referral import ReferralSource
from xietong_common.contracts.review import ReviewOpinionGiven, ReviewOpinionKind
from xietong_common.events.envelope import CloudEvent
from xietong_common.uow import UnitOfWork


async def on_review_opinion(
    uow: UnitOfWork, event: ReviewOpinionGiven, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """REV-07 opinion 4 (transfer to the agency with jurisdiction) starts a draft referral."""
    if event.opinion is not ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY:
        return
    case = event.case
    reason = (
        f"法制审核意见(审核 {event.review_id} 第{event.round}轮)建议移送 {event.transfer_to}:"
        f"{event.reasons}"
        if event.transfer_to
        else None
    )
    await referral_service.create_from_source(
        uow,
        ctx=ctx,
        sender=event.submitting_org,
        source=ReferralSource(kind="review-opinion", id=f"{event.review_id}:{event.round}"),
        matter_code=case.matter_code,
        place_town=case.place_town,
        # REF-03 runs from when the lack of jurisdiction was established: the opinion.
        found_at=event.issued_at,
        facts=case.facts,
        party=case.party,
        receiver=event.transfer_to,
        override_reason=reason,
    )


async def on_inspection_finding(
    uow: UnitOfWork, event: InspectionFindingRecorded, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-08/REF-01: a violation found outside the inspecting party's jurisdiction → a draft."""
    if event.within_jurisdiction or event.outcome not in (
        FindingOutcome.VIOLATION,
        FindingOutcome.SERIOUS,
    ):
        return
    await referral_service.create_from_source(
        uow,
        ctx=ctx,
        sender=event.inspecting_org,
        source=ReferralSource(kind="inspection-finding", id=event.finding_id),
        matter_code=event.matter_code,
        place_town=event.place_town,
        found_at=event.found_at,
        facts=event.description,
        party=event.target,
        receiver=None,
        override_reason=None,
    )
