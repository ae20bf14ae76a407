"""Handlers of the events the joint inspection service consumes: each translates the event and
calls the same code the REST path uses (`async def on_x(uow, event, envelope, *, ctx)`).

- The secondment roster (SEC-02/SEC-04): `secondment.roster-changed` is kept in the local
  projection (`xietong_common.mechanisms.roster`) against which seconded inspectors are
  checked.
- The closed loop (INSP-07): the referral a finding became (`case.referred`, its source the
  finding) and what it returned (`case.filed`, `case.concluded`, or `case.draft-withdrawn`:
  the town decided not to refer, with its reason), or the legal review a finding needed
  (`review.decided` naming the finding, REV-01/REV-08, or `review.request-withdrawn`: the
  town decided not to pursue a penalty decision at all, with its reason). The feedback at the
  target waits for it.

Each consumer accepts its event only from the owning service (the CloudEvents `source`,
checked by the inbox against the contract's producers): a forged `case.filed` closes no loop.
"""

from __future__ import annotations

from joint_inspection.service import loop
from xietong_common.context import ServiceContext
from xietong_common.contracts.referral import (
    CaseConcluded,
    CaseDraftWithdrawn,
    CaseFiled,
    CaseReferred,
    SourceKind,
)
from xietong_common.contracts.review import (
    DecisionOutcome,
    ReviewDecided,
    ReviewRequestWithdrawn,
)
from xietong_common.events.envelope import CloudEvent
from xietong_common.mechanisms.roster import on_roster_changed as on_roster_changed
from xietong_common.uow import UnitOfWork


async def on_case_referred(
    uow: UnitOfWork, event: CaseReferred, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-07: the referral drafted from a finding was sent; the loop now waits for it."""
    if event.source.kind is not SourceKind.INSPECTION_FINDING or not event.source.id:
        return
    await loop.link_referral(uow, finding_id=event.source.id, referral_id=event.referral_id)


async def on_case_filed(
    uow: UnitOfWork, event: CaseFiled, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-07: the party with jurisdiction filed the referred case (立案)."""
    await loop.record_return(
        uow,
        ref_kind="referral",
        ref_id=str(event.referral_id),
        kind="case-filed",
        detail=f"{event.handler} 已立案：{event.case_number}（{event.procedure.label_zh}）",
        at=event.filed_at,
    )


async def on_case_concluded(
    uow: UnitOfWork, event: CaseConcluded, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-07: the party with jurisdiction concluded the referred case (办结)."""
    await loop.record_return(
        uow,
        ref_kind="referral",
        ref_id=str(event.referral_id),
        kind="case-concluded",
        detail=f"{event.handler} 已办结：{event.case_number}，{event.outcome}",
        at=event.concluded_at,
    )


async def on_case_draft_withdrawn(
    uow: UnitOfWork, event: CaseDraftWithdrawn, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-07: the town withdrew the draft referral of a finding, with its reason: that is
    what the loop waited for (the referral will not come)."""
    if event.source.kind is not SourceKind.INSPECTION_FINDING or not event.source.id:
        return
    await loop.record_return(
        uow,
        ref_kind="finding",
        ref_id=event.source.id,
        kind="draft-withdrawn",
        detail=f"移送草稿已撤回：{event.reason}",
        at=event.withdrawn_at,
    )


async def on_review_decided(
    uow: UnitOfWork, event: ReviewDecided, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-07/REV-08: the town decided after the legal review its finding needed (REV-01):
    that is what the loop waited for. A decision naming no finding is not this service's."""
    if not event.finding_id:
        return
    decided = f"法制审核后{event.outcome.label_zh}"
    if event.outcome is DecisionOutcome.DECIDED_AS_PROPOSED and event.decision_number:
        decided += f"：{event.decision_number}"
    if event.reason:
        decided += f"（{event.reason}）"
    await loop.record_return(
        uow,
        ref_kind="review",
        ref_id=event.finding_id,
        kind="review-decided",
        detail=f"{event.town} {decided}",
        at=event.decided_at,
    )


async def on_review_request_withdrawn(
    uow: UnitOfWork, event: ReviewRequestWithdrawn, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INSP-07/REV-01: the town withdrew the review request of a finding, with its reason (no
    penalty decision will be pursued): that is what the loop waited for (no review will
    decide)."""
    await loop.record_return(
        uow,
        ref_kind="review",
        ref_id=event.finding_id,
        kind="review-request-withdrawn",
        detail=f"{event.town} 撤回法制审核提请，不再作出处罚决定：{event.reason}",
        at=event.withdrawn_at,
    )
