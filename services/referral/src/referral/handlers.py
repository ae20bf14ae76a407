"""Handlers of consumed events: they check what the REST path checks, translate, and call the
same use cases as the API.

The inbox has already recorded the event id in the same transaction, so a redelivered
event is a no-op; the draft is also unique on its source, so even a re-published event
(a new id for the same review round or finding) makes no second draft.

An event that fails the checks a request would fail (an organisation not in the directory,
a `transfer_to` that is no town or department, an unknown matter, text or times a request
could not carry) drafts nothing and is refused: `EventRefused` sends it to the dead-letter
topic at once, with the reason, and no retries. Why the dead-letter topic rather than an
audit row of a no-op: the message is kept whole where operators look for failed messages
(`<topic>.dlq`, with the error in its headers and in `xietong_inbox_events_total`), and it
can be replayed once the reference data is corrected (a town added to the directory late),
so nothing a trusted producer published is lost; an audit row would have no case to attach
to and would consume the event for good.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from referral import domain
from referral import service as referral_service
from referral.schemas import ReferralUpdate
from referral.service.common import check_org, matter_jurisdiction
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import FindingOutcome, InspectionFindingRecorded
from xietong_common.contracts.referral import ReferralSource
from xietong_common.contracts.review import (
    CaseParty,
    ReviewDecided,
    ReviewOpinionGiven,
    ReviewOpinionKind,
)
from xietong_common.errors import AppError
from xietong_common.events.envelope import CloudEvent
from xietong_common.messaging.inbox import EventRefused
from xietong_common.uow import UnitOfWork

TRANSFERRED_TO_AGENCY = "transferred-to-agency"
OUTCOME_ZH = {
    "decided-as-proposed": "作出行政执法决定",
    "not-decided": "不予作出决定",
    "transferred-to-judicial-organs": "移送司法机关",
}


def _checked_draft(
    ctx: ServiceContext,
    uow: UnitOfWork,
    *,
    sender: str,
    matter_code: str | None,
    place_town: str,
    found_at: datetime,
    facts: str,
    party: CaseParty | None,
    receiver: str | None,
) -> None:
    """The checks `POST /referrals` makes of the same draft, or EventRefused."""
    body: dict[str, Any] = {
        "matter_code": matter_code,
        "place_town": place_town,
        "found_at": found_at.isoformat(),
        "facts": facts,
        "party": party.model_dump(mode="json", exclude_none=True) if party else None,
        "receiver": receiver,
    }
    try:
        # The field types of a request: bounded text, no NUL, plausible times, codes, party.
        ReferralUpdate.model_validate({k: v for k, v in body.items() if v is not None})
        check_org(ctx, sender)
        if not (domain.is_town(sender) or domain.is_department(sender)):
            raise EventRefused(f"{sender} is not a town or a department: it refers nothing")
        check_org(ctx, place_town, towns_only=True)
        if matter_code is not None:
            matter_jurisdiction(ctx, matter_code)
        if receiver is not None:
            check_org(ctx, receiver)
            if not (domain.is_town(receiver) or domain.is_department(receiver)):
                raise EventRefused(f"{receiver} is not a town or a department")
        domain.check_times(found_at=found_at, now=uow.now)
    except ValidationError as exc:
        raise EventRefused(f"the draft it would make is not valid: {exc}") from exc
    except AppError as exc:
        raise EventRefused(f"refused as a request would be: {exc.detail}") from exc


async def on_review_opinion(
    uow: UnitOfWork, event: ReviewOpinionGiven, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """REV-07 opinion 4 (transfer to the agency with jurisdiction) starts a draft referral."""
    if event.opinion is not ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY:
        return
    case = event.case
    if not domain.is_town(event.submitting_org):
        raise EventRefused(f"{event.submitting_org} is not a town: legal review is a town's duty")
    _checked_draft(
        ctx,
        uow,
        sender=event.submitting_org,
        matter_code=case.matter_code,
        place_town=case.place_town,
        found_at=event.issued_at,
        facts=case.facts,
        party=case.party,
        receiver=event.transfer_to,
    )
    reason = (
        f"法制审核意见(审核 {event.review_id} 第{event.round}轮)建议移送 {event.transfer_to}:"
        f"{event.reasons}"[:2000]
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


async def on_review_decided(
    uow: UnitOfWork, event: ReviewDecided, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """REV-08: the head decided against the transfer recommended by opinion (4) (with a
    reason): the draft made from that opinion is withdrawn, so no REF-03 breach is recorded
    for a referral nobody owes."""
    if event.opinion is not ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY:
        return
    if event.outcome == TRANSFERRED_TO_AGENCY:
        return
    outcome = OUTCOME_ZH.get(event.outcome, event.outcome)
    reason = (
        f"审核 {event.review_id} 第{event.round}轮：负责人决定{outcome}，未采纳移送有管辖权机关的"
        f"审核意见(REV-08)。理由：{event.reason or '未载明'}"
    )[:2000]
    await referral_service.withdraw_review_draft(
        uow,
        review_id=event.review_id,
        round_=event.round,
        outcome=event.outcome,
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
    _checked_draft(
        ctx,
        uow,
        sender=event.inspecting_org,
        matter_code=event.matter_code,
        place_town=event.place_town,
        found_at=event.found_at,
        facts=event.description,
        party=event.target,
        receiver=None,
    )
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
