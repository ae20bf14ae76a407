"""Loading reviews with their access rules, and the pieces every use case shares."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from legal_review.domain import (
    Duties,
    MaterialKind,
    ReviewState,
    Step,
    missing_materials,
    next_state,
)
from legal_review.errors import (
    MaterialsIncomplete,
    NotAReviewParty,
    ReviewNotFound,
)
from legal_review.models import JointOpinion, Review, ReviewMaterial, ReviewRound
from xietong_common.auth import Principal, ensure_party
from xietong_common.contracts.review import ReviewOpinionKind
from xietong_common.errors import NotFound
from xietong_common.reference import OVERSIGHT_ORG, OrganisationDirectory
from xietong_common.uow import UnitOfWork

MECHANISM = "legal-review"
HANDLER_ROLES = ("handler",)  # the brigade's handler submits, supplies, resubmits (REV-04, REV-07)
REVIEWER_ROLES = ("reviewer",)  # the review body reviews and gives the opinion (REV-02..REV-07)
HEAD_ROLES = ("head",)  # the agency head decides (REV-08)
JOINT_ROLES = ("reviewer", "head")  # who brings district departments in (REV-03)
TOWN_ROLES = ("reviewer", "head", "handler")  # who adds the town's 司法所 (REV-09)


def subject(review_id: uuid.UUID) -> str:
    return f"review:{review_id}"


def serving_justice_office(directory: OrganisationDirectory, town: str) -> str | None:
    """REV-09: the 司法所 the directory names as serving the town (`serves_town`), if any."""
    office = directory.justice_office_for(town)
    return office.code if office else None


def parties(review: Review) -> list[str | None]:
    """Who sees a review: the town, the departments reviewing with it (REV-03) and the 司法所
    serving the town, which sees the reviews of its town (REV-09; it acts only once added).
    The justice bureau reads every review besides."""
    return [review.town, review.town_justice_office, *review.joint_departments]


async def load_visible(
    session: AsyncSession, review_id: uuid.UUID, principal: Principal, *, for_update: bool = False
) -> Review:
    """The review, if the caller may see it; 404 otherwise (no hint that it exists)."""
    query = sa.select(Review).where(Review.id == review_id)
    if for_update:
        query = query.with_for_update()
    review = (await session.execute(query)).scalar_one_or_none()
    if review is None:
        raise ReviewNotFound("no such review", zh="未找到该法制审核")
    try:
        ensure_party(principal, parties(review), readers=(OVERSIGHT_ORG,), what="review")
    except NotFound as exc:  # the same answer as for a review that does not exist
        raise ReviewNotFound("no such review", zh="未找到该法制审核") from exc
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


async def duties_of(session: AsyncSession, review: Review) -> Duties:
    """REV-02: everyone who handled, reviewed or decided the case, over all its rounds."""
    rounds = list(
        (
            await session.execute(sa.select(ReviewRound).where(ReviewRound.review_id == review.id))
        ).scalars()
    )
    uploaders = (
        await session.execute(
            sa.select(ReviewMaterial.uploaded_by).where(ReviewMaterial.review_id == review.id)
        )
    ).scalars()
    joint_reviewers = (
        await session.execute(
            sa.select(JointOpinion.person).where(JointOpinion.review_id == review.id)
        )
    ).scalars()
    handlers = {review.handler, *(r.submitted_by for r in rounds), *uploaders}
    reviewers: set[str | None] = {review.reviewer, *joint_reviewers}
    for r in rounds:
        reviewers |= {r.notice_by, r.opinion_by, *(f.get("by") for f in r.findings.values())}
    return Duties(
        handlers=frozenset(handlers),
        reviewers=frozenset(p for p in reviewers if p),
        deciders=frozenset([review.decider] if review.decider else []),
    )


def transition(
    review: Review, step: Step, *, opinion: ReviewOpinionKind | None = None
) -> ReviewState:
    """Apply the domain's transition table (refusing a step the state does not allow)."""
    after = next_state(ReviewState(review.state), step, opinion=opinion)
    review.state = after.value
    return after


def require_town_role(principal: Principal, review: Review, *roles: str) -> None:
    """The town's own people act on its reviews, each in their role."""
    if principal.org != review.town:
        raise NotAReviewParty(
            f"only {review.town} acts on this review",
            zh=f"只有 {review.town} 可以办理此审核",
            allowed_org=review.town,
        )
    principal.require_role(*roles)


async def audit(uow: UnitOfWork, review: Review, action: str, rule: str, **detail: object) -> None:
    review.updated_at = uow.now
    uow.audit(
        action=f"review.{action}",
        subject=subject(review.id),
        rule=rule,
        detail={"round": review.round, **detail},
    )


async def material_kinds(session: AsyncSession, review: Review) -> list[MaterialKind]:
    """The kinds of material uploaded to the review's current round."""
    rows = await session.execute(
        sa.select(ReviewMaterial.kind).where(
            ReviewMaterial.review_id == review.id, ReviewMaterial.round == review.round
        )
    )
    return [MaterialKind(k) for k in rows.scalars()]


async def check_materials_complete(session: AsyncSession, review: Review, *, what: str) -> None:
    """REV-04: the review is not taken up, nor point (3) passed, while a material the brigade
    must submit is missing; REV-05's one notice (`/materials-notice`) is how to ask for it."""
    rnd = await current_round(session, review)
    missing = missing_materials(
        await material_kinds(session, review), hearing=rnd.hearing, assessed=rnd.assessed
    )
    if missing:
        raise MaterialsIncomplete(
            f"cannot {what} while required materials are missing: "
            + ", ".join(k.value for k in missing)
            + "; notify the brigade once (POST /reviews/{id}/materials-notice)",
            zh=f"送审材料不齐全，不能{_WHAT_ZH.get(what, what)}；缺少："
            + "、".join(k.label_zh for k in missing)
            + "。请一次性告知承办机构补正材料",
            missing=[k.value for k in missing],
            notify_at=f"/reviews/{review.id}/materials-notice",
            rule="REV-04",
        )


_WHAT_ZH = {
    "take up the review": "受理审核",
    "pass point (3)": "认定审核要点(3)通过",
}
