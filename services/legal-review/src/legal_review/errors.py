"""Errors of the legal-review service, each with a stable problem type."""

from __future__ import annotations

from xietong_common.errors import (
    AppError,
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
)


class ReviewError(AppError):
    """Root of the legal-review errors."""

    slug = "review-error"
    title = "Legal review error"


class ReviewNotFound(NotFound):
    slug = "review-not-found"
    title = "No such review"


class InvalidReviewTransition(InvalidTransition):
    slug = "review-invalid-transition"
    title = "This step is not allowed in the review's current state"


class SeparationOfDuties(Forbidden):
    """REV-02."""

    slug = "review-separation-of-duties"
    title = "Handling, review and decision must be done by different people"


class PointsUnanswered(InvalidInput):
    """REV-06."""

    slug = "review-points-unanswered"
    title = "An opinion needs all nine review points answered"


class InconsistentOpinion(InvalidInput):
    """REV-07/08."""

    slug = "review-inconsistent-opinion"
    title = "The opinion or decision does not fit the review's findings"


class SecondMaterialsNotice(Conflict):
    """REV-05: 一次性告知."""

    slug = "review-second-missing-materials-notice"
    title = "Missing materials are notified once, listing everything"


class MaterialsStillMissing(InvalidInput):
    slug = "review-materials-still-missing"
    title = "Materials listed in the notice are still missing"


class UnknownOrganisation(InvalidInput):
    slug = "review-unknown-organisation"
    title = "The organisation is not in the directory"


class NotAReviewParty(Forbidden):
    slug = "review-not-a-party"
    title = "This organisation or role may not do this on the review"
