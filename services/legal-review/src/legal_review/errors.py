"""Errors of the legal-review service: one root, one problem type per rule that can refuse.

Each class has its English `title` and the Chinese `title_zh` a legal-review clerk reads
(problems are answered in Chinese unless the caller asks for English); every raise gives its
English detail and the Chinese `zh=`."""

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
    title_zh = "法制审核出错"


class ReviewNotFound(ReviewError, NotFound):
    """No such review, or one the caller may not see (never a hint that it exists)."""

    slug = "review-not-found"
    title = "No such review"
    title_zh = "未找到该法制审核"


class InvalidReviewTransition(ReviewError, InvalidTransition):
    """The step does not fit the review's state."""

    slug = "review-invalid-transition"
    title = "This step is not allowed in the review's current state"
    title_zh = "法制审核当前状态下不允许此操作"


class ReviewInvalidInput(ReviewError, InvalidInput):
    """The request cannot be acted on as it stands."""

    slug = "review-invalid-input"
    title = "The review request is not valid"
    title_zh = "法制审核请求无效"


class ReviewNotRequired(ReviewInvalidInput):
    """REV-01: no trigger applies and the submission was not marked voluntary."""

    slug = "review-not-required"
    title = "No REV-01 trigger applies; submit voluntarily if review is wanted"
    title_zh = "不属于应当进行法制审核的情形；如需审核，请以自愿送审方式提交"


class SeparationOfDuties(ReviewError, Forbidden):
    """REV-02: 办理、审核、决定相分离."""

    slug = "review-separation-of-duties"
    title = "Handling, review and decision must be done by different people"
    title_zh = "办理、审核、决定应当由不同人员承担"


class NotAReviewParty(ReviewError, Forbidden):
    """The caller may see the review but not do this step on it."""

    slug = "review-not-a-party"
    title = "This organisation or person may not do this on the review"
    title_zh = "该单位或人员无权对此审核执行此操作"


class JointModeError(ReviewInvalidInput):
    """REV-03: joint opinions need a joint mode; a joint meeting records who met and minutes."""

    slug = "review-joint-mode"
    title = "The joint review (一案双审 / 联合会审) is not set up for this"
    title_zh = "未按此方式设立联合审核(一案双审/联合会审)"


class SecondMaterialsNotice(ReviewError, Conflict):
    """REV-05: 一次性告知 — one notice per submission, listing everything."""

    slug = "review-second-missing-materials-notice"
    title = "Missing materials are notified once, listing everything"
    title_zh = "补正材料应当一次性告知"


class NothingMissing(ReviewInvalidInput):
    """REV-05: a notice of missing materials must list something."""

    slug = "review-nothing-missing"
    title = "The notice lists nothing missing"
    title_zh = "补正通知未列明缺少的材料"


class MaterialsStillMissing(ReviewInvalidInput):
    """REV-05: the brigade says it supplied what the notice listed, but a kind is missing."""

    slug = "review-materials-still-missing"
    title = "Materials listed in the notice are still missing"
    title_zh = "补正通知所列材料仍未提交"


class PointsUnanswered(ReviewInvalidInput):
    """REV-06."""

    slug = "review-points-unanswered"
    title = "An opinion needs all nine review points answered"
    title_zh = "九项审核要点尚未全部审核，不能出具审核意见"


class InconsistentOpinion(ReviewInvalidInput):
    """REV-07/08."""

    slug = "review-inconsistent-opinion"
    title = "The opinion or decision does not fit the review's findings"
    title_zh = "审核意见或决定与审核认定不符"


class MaterialsIncomplete(ReviewError, Conflict):
    """REV-04: the review is not taken up, nor point (3) passed, while a material the brigade
    must submit is missing; REV-05's one notice is how to ask for it."""

    slug = "review-materials-incomplete"
    title = "Materials the brigade must submit are missing"
    title_zh = "承办机构应当提交的送审材料不齐全"


class ImplausibleTime(ReviewInvalidInput):
    """A time of the case that cannot be right (a finding in the future)."""

    slug = "review-implausible-time"
    title = "A time given for the case is not plausible"
    title_zh = "案件时间不合理"


class CaseAlreadyUnderReview(ReviewError, Conflict):
    """REV-02/REV-07: a case is reviewed once, round after round: a second review of a case
    with an open review, or after opinion (2) or (3), would start with no duties and sidestep
    the opinion."""

    slug = "review-case-already-under-review"
    title = "This case already has a review; continue it instead of starting another"
    title_zh = "该案件已有法制审核，应在原审核中继续，不得另行送审"


class ReviewRequestNotFound(ReviewError, NotFound):
    """INSP-08: no such review request, or one of another town (never a hint that it exists)."""

    slug = "review-request-not-found"
    title = "No such review request"
    title_zh = "未找到该法制审核提请"


class ReviewRequestFulfilled(ReviewError, Conflict):
    """INSP-08/REV-01: a review request is fulfilled by one review; the case goes on in it."""

    slug = "review-request-fulfilled"
    title = "This review request already has its review"
    title_zh = "该法制审核提请已送审，应在原审核中继续"


class ReviewRequestIsWithdrawn(ReviewError, Conflict):
    """INSP-08/REV-01: the town withdrew the review request; nothing fulfils it any more."""

    slug = "review-request-withdrawn"
    title = "This review request was withdrawn"
    title_zh = "该法制审核提请已撤回"


class ReviewRequestReasonMissing(ReviewInvalidInput):
    """INSP-08/REV-01: a review request is withdrawn with a reason someone can rule on."""

    slug = "review-request-reason-missing"
    title = "Withdrawing a review request needs a written reason"
    title_zh = "撤回法制审核提请应当书面说明理由"


class ReviewRequestMismatch(ReviewInvalidInput):
    """INSP-08: the review fulfilling a request is of the finding's matter."""

    slug = "review-request-mismatch"
    title = "The submission is not of the matter the review request names"
    title_zh = "送审的执法事项与法制审核提请所列事项不一致"
