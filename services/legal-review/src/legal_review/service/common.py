"""The review as a record (`REVIEW`), and the steps the review use cases share: its current
round, REV-02's duties, who acts for the town, REV-04's materials."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from legal_review import domain
from legal_review.domain import (
    Duties,
    MaterialKind,
    ReviewState,
    Step,
    missing_materials,
    placeholder_kinds,
)
from legal_review.errors import MaterialsIncomplete, NotAReviewParty, ReviewNotFound
from legal_review.models import JointOpinion, Review, ReviewMaterial, ReviewRound
from xietong_common.auth import Principal
from xietong_common.records import RecordKind
from xietong_common.reference import OrganisationDirectory

MECHANISM = "legal-review"
HANDLER_ROLES = ("handler",)  # the brigade's handler submits, supplies, resubmits (REV-04, REV-07)
REVIEWER_ROLES = ("reviewer",)  # the review body reviews and gives the opinion (REV-02..REV-07)
HEAD_ROLES = ("head",)  # the agency head decides (REV-08)
JOINT_ROLES = ("reviewer", "head")  # who brings district departments in (REV-03)
TOWN_ROLES = ("reviewer", "head", "handler")  # who adds the town's 司法所 (REV-09)
LEADER_ROLES = ("leader",)  # the town's leader withdraws a review request (INSP-08/REV-01)


def parties(review: Review) -> list[str | None]:
    """Who sees a review: the town, the departments reviewing with it (REV-03) and the 司法所
    serving the town, which sees the reviews of its town (REV-09; it acts only once added).
    The justice bureau reads every review besides."""
    return [review.town, review.town_justice_office, *review.joint_departments]


def _round_in_audit(review: Review) -> dict[str, Any]:
    return {"round": review.round}


REVIEW: RecordKind[Review, ReviewState, Step] = RecordKind(
    model=Review,
    subject="review",
    mechanism=MECHANISM,
    name="review",
    name_zh="法制审核",
    parties=parties,
    transitions=domain.TRANSITIONS,
    audit_detail=_round_in_audit,
    not_found=ReviewNotFound,
    sort={"created_at": Review.created_at, "updated_at": Review.updated_at},
    # Reviews that sort alike (the same deadline) come oldest first, as the queue always did.
    tiebreak=(Review.created_at, Review.id),
)
"""法制审核: one case's review by the town's review body, over one or more rounds."""


def serving_justice_office(directory: OrganisationDirectory, town: str) -> str | None:
    """REV-09: the 司法所 the directory names as serving the town (`serves_town`), if any."""
    office = directory.justice_office_for(town)
    return office.code if office else None


async def current_round(
    session: AsyncSession, review: Review, *, for_update: bool = False
) -> ReviewRound:
    query = sa.select(ReviewRound).where(
        ReviewRound.review_id == review.id, ReviewRound.number == review.round
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one()


def same_case(
    *, town: str, case_number: str | None, matter_code: str, party: Mapping[str, Any]
) -> sa.ColumnElement[bool]:
    """REV-02: the reviews of one case — the town's, under the same case number, or (a case
    number left out) the same matter and the same party (by its credit code or ID number)."""
    ids = [case_number] if case_number else []
    match: list[sa.ColumnElement[bool]] = [Review.case_number.in_(ids)] if ids else []
    party_id = (party.get("id_number") or "").strip().upper()
    if party_id:
        match.append(
            sa.and_(
                Review.matter_code == matter_code,
                sa.func.upper(Review.party["id_number"].astext) == party_id,
            )
        )
    return sa.and_(Review.town == town, sa.or_(*match)) if match else sa.false()


async def case_review_ids(session: AsyncSession, review: Review) -> list[uuid.UUID]:
    """REV-02: this review and every other review of the same case."""
    rows = await session.execute(
        sa.select(Review.id).where(
            sa.or_(
                Review.id == review.id,
                same_case(
                    town=review.town,
                    case_number=review.case_number,
                    matter_code=review.matter_code,
                    party=review.party or {},
                ),
            )
        )
    )
    return list(rows.scalars())


async def duties_of(session: AsyncSession, review: Review) -> Duties:
    """REV-02: everyone who handled, reviewed or decided the case, over all its rounds and
    every review of the same case (a second review of a case starts with its duties)."""
    ids = await case_review_ids(session, review)
    reviews = list((await session.execute(sa.select(Review).where(Review.id.in_(ids)))).scalars())
    rounds = list(
        (
            await session.execute(sa.select(ReviewRound).where(ReviewRound.review_id.in_(ids)))
        ).scalars()
    )
    uploaders = (
        await session.execute(
            sa.select(ReviewMaterial.uploaded_by).where(ReviewMaterial.review_id.in_(ids))
        )
    ).scalars()
    joint_reviewers = (
        await session.execute(sa.select(JointOpinion.person).where(JointOpinion.review_id.in_(ids)))
    ).scalars()
    handlers = {*(r.handler for r in reviews), *(r.submitted_by for r in rounds), *uploaders}
    reviewers: set[str | None] = {*(r.reviewer for r in reviews), *joint_reviewers}
    for r in rounds:
        reviewers |= {r.notice_by, r.opinion_by, *(f.get("by") for f in r.findings.values())}
    return Duties(
        handlers=frozenset(p for p in handlers if p),
        reviewers=frozenset(p for p in reviewers if p),
        deciders=frozenset(r.decider for r in reviews if r.decider),
    )


def require_town_role(principal: Principal, review: Review, *roles: str) -> None:
    """The town's own people act on its reviews, each in their role."""
    if principal.org != review.town:
        raise NotAReviewParty(
            f"only {review.town} acts on this review",
            zh=f"只有 {review.town} 可以办理此审核",
            allowed_org=review.town,
        )
    principal.require_role(*roles)


async def material_kinds(session: AsyncSession, review: Review) -> list[MaterialKind]:
    """The kinds of material uploaded to the review's current round."""
    return [kind for kind, _ in await material_files(session, review)]


async def material_files(session: AsyncSession, review: Review) -> list[tuple[MaterialKind, str]]:
    """The (kind, SHA-256) of each material uploaded to the review's current round."""
    rows = await session.execute(
        sa.select(ReviewMaterial.kind, ReviewMaterial.sha256).where(
            ReviewMaterial.review_id == review.id, ReviewMaterial.round == review.round
        )
    )
    return [(MaterialKind(kind), sha256) for kind, sha256 in rows]


async def check_materials_complete(session: AsyncSession, review: Review, *, what: str) -> None:
    """REV-04: the review is not taken up, nor point (3) passed, while a material the brigade
    must submit is missing; REV-05's one notice (`/materials-notice`) is how to ask for it."""
    rnd = await current_round(session, review)
    files = await material_files(session, review)
    missing = missing_materials(
        [kind for kind, _ in files], hearing=rnd.hearing, assessed=rnd.assessed
    )
    # One file filed under several required kinds is one material, not several.
    reused = placeholder_kinds(files, hearing=rnd.hearing, assessed=rnd.assessed)
    missing += [k for k in reused if k not in missing]
    if missing:
        raise MaterialsIncomplete(
            f"cannot {what} while required materials are missing: "
            + ", ".join(k.value for k in missing)
            + "; notify the brigade once (POST /reviews/{id}/materials-notice)",
            zh=f"送审材料不齐全，不能{_WHAT_ZH.get(what, what)}；缺少："
            + "、".join(k.label_zh for k in missing)
            + "。请一次性告知承办机构补正材料",
            missing=[k.value for k in missing],
            same_file_under=[k.value for k in reused],
            notify_at=f"/reviews/{review.id}/materials-notice",
            rule="REV-04",
        )


_WHAT_ZH = {
    "take up the review": "受理审核",
    "pass point (3)": "认定审核要点(3)通过",
}
