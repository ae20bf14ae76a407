"""Handlers of consumed events: each translates its event into the arguments of the use case
the REST API's path calls too, whose checks refuse what a request would be refused for.

The inbox has already recorded the event id in the same transaction, so a redelivered
event is a no-op; the draft is also unique on its source, so even a re-published event
(a new id for the same review round or finding) makes no second draft.

An event that fails those checks (an organisation not in the directory, an unknown matter,
text or times a request could not carry) drafts nothing and is refused
(`refused_like_a_request`): `EventRefused` sends it to the dead-letter topic at once, with
the reason, and no retries. Why the dead-letter topic rather than an audit row of a no-op:
the message is kept whole where operators look for failed messages (`<topic>.dlq`, with
the error in its headers and in `xietong_inbox_events_total`), and it can be replayed once
the reference data is corrected (a town added to the directory late), so nothing a trusted
producer published is lost; an audit row would have no case to attach to and would consume
the event for good.
"""

from __future__ import annotations

from referral import service as referral_service
from referral.schemas import SourcedDraft
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import FindingOutcome, InspectionFindingRecorded
from xietong_common.contracts.referral import ReferralSource
from xietong_common.contracts.review import (
    DecisionOutcome,
    ReviewDecided,
    ReviewOpinionGiven,
    ReviewOpinionKind,
)
from xietong_common.events.envelope import CloudEvent
from xietong_common.messaging.inbox import refused_like_a_request
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
        f"{event.reasons}"[:2000]
        if event.transfer_to
        else None
    )
    with refused_like_a_request():
        await referral_service.create_from_source(
            uow,
            ctx=ctx,
            source=ReferralSource.review_opinion(event.review_id, event.round),
            draft=SourcedDraft(
                sender=event.submitting_org,
                matter_code=case.matter_code,
                place_town=case.place_town,
                # REF-03 runs from when the lack of jurisdiction was established: the opinion.
                found_at=event.issued_at,
                facts=case.facts,
                party=case.party.model_dump(exclude_none=True) if case.party else None,
                receiver=event.transfer_to,
                jurisdiction_override_reason=reason,
            ),
        )


async def on_review_decided(
    uow: UnitOfWork, event: ReviewDecided, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """REV-08: the head decided against the transfer recommended by opinion (4) (with a
    reason): the draft made from that opinion is withdrawn, so no REF-03 breach is recorded
    for a referral nobody owes."""
    if event.opinion is not ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY:
        return
    if event.outcome is DecisionOutcome.TRANSFERRED_TO_AGENCY:
        return
    reason = (
        f"审核 {event.review_id} 第{event.round}轮：负责人决定{event.outcome.label_zh}，"
        f"未采纳移送有管辖权机关的审核意见(REV-08)。理由：{event.reason or '未载明'}"
    )[:2000]
    await referral_service.withdraw_review_draft(
        uow,
        source=ReferralSource.review_opinion(event.review_id, event.round),
        outcome=event.outcome.value,
        reason=reason,
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
    with refused_like_a_request():
        await referral_service.create_from_source(
            uow,
            ctx=ctx,
            source=ReferralSource.inspection_finding(event.finding_id),
            draft=SourcedDraft(
                sender=event.inspecting_org,
                matter_code=event.matter_code,
                place_town=event.place_town,
                found_at=event.found_at,
                facts=event.description,
                party=event.target.model_dump(exclude_none=True) if event.target else None,
            ),
        )
