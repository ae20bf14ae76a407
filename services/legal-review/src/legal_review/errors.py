"""Errors of the legal-review service: one root, one problem type per rule that can refuse."""

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


class ReviewNotFound(ReviewError, NotFound):
    """No such review, or one the caller may not see (never a hint that it exists)."""

    status = 404
    slug = "review-not-found"
    title = "No such review"


class InvalidReviewTransition(ReviewError, InvalidTransition):
    """The step does not fit the review's state."""

    status = 409
    slug = "review-invalid-transition"
    title = "This step is not allowed in the review's current state"


class ReviewInvalidInput(ReviewError, InvalidInput):
    """The request cannot be acted on as it stands."""

    status = 422
    slug = "review-invalid-input"
    title = "The review request is not valid"


class ReviewNotRequired(ReviewInvalidInput):
    """REV-01: no trigger applies and the submission was not marked voluntary."""

    slug = "review-not-required"
    title = "No REV-01 trigger applies; submit voluntarily if review is wanted"


class UnknownMatter(ReviewInvalidInput):
    slug = "review-unknown-matter"
    title = "The matter code is not in the catalogue of matters"


class UnknownOrganisation(ReviewInvalidInput):
    """An organisation code that is not in the directory, or not of the kind needed."""

    slug = "review-unknown-organisation"
    title = "The organisation is not in the directory or cannot take part here"


class SeparationOfDuties(ReviewError, Forbidden):
    """REV-02: 办理、审核、决定相分离."""

    status = 403
    slug = "review-separation-of-duties"
    title = "Handling, review and decision must be done by different people"


class NotAReviewParty(ReviewError, Forbidden):
    """The caller may see the review but not do this step on it."""

    status = 403
    slug = "review-not-a-party"
    title = "This organisation or person may not do this on the review"


class JointModeError(ReviewInvalidInput):
    """REV-03: joint opinions need a joint mode; a joint meeting records who met and minutes."""

    slug = "review-joint-mode"
    title = "The joint review (一案双审 / 联合会审) is not set up for this"


class SecondMaterialsNotice(ReviewError, Conflict):
    """REV-05: 一次性告知 — one notice per submission, listing everything."""

    status = 409
    slug = "review-second-missing-materials-notice"
    title = "Missing materials are notified once, listing everything"


class NothingMissing(ReviewInvalidInput):
    """REV-05: a notice of missing materials must list something."""

    slug = "review-nothing-missing"
    title = "The notice lists nothing missing"


class MaterialsStillMissing(ReviewInvalidInput):
    """REV-05: the brigade says it supplied what the notice listed, but a kind is missing."""

    slug = "review-materials-still-missing"
    title = "Materials listed in the notice are still missing"


class PointsUnanswered(ReviewInvalidInput):
    """REV-06."""

    slug = "review-points-unanswered"
    title = "An opinion needs all nine review points answered"


class InconsistentOpinion(ReviewInvalidInput):
    """REV-07/08."""

    slug = "review-inconsistent-opinion"
    title = "The opinion or decision does not fit the review's findings"
