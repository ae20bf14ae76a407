"""Loading reviews with their access rules, and the pieces every use case shares."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from legal_review.domain import PartyKind, ProposedDecision, Trigger
from legal_review.errors import NotAReviewParty, ReviewNotFound, UnknownOrganisation
from legal_review.models import Review, ReviewRound
from legal_review.schemas import ProposedDecisionIn
from xietong_common.auth import OVERSIGHT_ORG, Principal
from xietong_common.reference import OrganisationDirectory
from xietong_common.uow import UnitOfWork

MECHANISM = "legal-review"


def subject(review_id: uuid.UUID) -> str:
    return f"review:{review_id}"


def justice_office_of(town: str) -> str:
    """REV-09: the town's 司法所 code (justice-office:<town slug>)."""
    return f"justice-office:{town.split(':', 1)[1]}"


def readers(review: Review) -> set[str]:
    """Who may see a review: the town, its 司法所, invited departments, the justice bureau."""
    return {review.town, justice_office_of(review.town), OVERSIGHT_ORG, *review.joint_departments}


def can_see(principal: Principal, review: Review) -> bool:
    return principal.org in readers(review)


async def load_visible(
    session: AsyncSession, review_id: uuid.UUID, principal: Principal, *, for_update: bool = False
) -> Review:
    """The review, if the caller may see it; 404 otherwise (no hint that it exists)."""
    query = sa.select(Review).where(Review.id == review_id)
    if for_update:
        query = query.with_for_update()
    review = (await session.execute(query)).scalar_one_or_none()
    if review is None or not can_see(principal, review):
        raise ReviewNotFound("no such review")
    return review


async def current_round(
    session: AsyncSession, review: Review, *, for_update: bool = False
) -> ReviewRound:
    query = sa.select(ReviewRound).where(
        ReviewRound.review_id == review.id, ReviewRound.number == review.round
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one()


def require_town_role(principal: Principal, review: Review, *roles: str) -> None:
    """The town's own people act on its reviews, each in their role."""
    if principal.org != review.town:
        raise NotAReviewParty(f"only {review.town} acts on this review", allowed_org=review.town)
    principal.require_role(*roles)


def proposed(decision: ProposedDecisionIn, party_kind: str) -> ProposedDecision:
    return ProposedDecision(
        party_kind=PartyKind(party_kind),
        fine=decision.fine,
        confiscated_gains=decision.confiscated_gains,
        confiscated_property_value=decision.confiscated_property_value,
        adjustment=decision.adjustment,
        hearing=decision.hearing,
        judgements={Trigger(k): v for k, v in decision.judgements.items()},
    )


def check_org(directory: OrganisationDirectory, code: str, *, kind: str | None = None) -> None:
    org = directory.get(code)
    if org is None or (kind is not None and org.kind.value != kind):
        raise UnknownOrganisation(
            f"{code!r} is not {'a ' + kind if kind else 'an organisation'} in the directory",
            organisation=code,
        )


async def audit(uow: UnitOfWork, review: Review, action: str, rule: str, **detail: object) -> None:
    review.updated_at = uow.now
    await uow.audit(
        action=f"review.{action}",
        subject=subject(review.id),
        rule=rule,
        detail={"round": review.round, **detail},
    )
