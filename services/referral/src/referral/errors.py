"""Errors of the referral service: one root, one problem type per rule that can refuse.

Each class has its English `title` and the Chinese `title_zh` an enforcement clerk reads
(problems are answered in Chinese unless the caller asks for English); every raise gives
its English detail and the Chinese `zh=`.
"""

from __future__ import annotations

from xietong_common.errors import AppError, Conflict, InvalidInput, InvalidTransition


class ReferralError(AppError):
    """Root of the referral service's errors."""

    slug = "referral-error"
    title = "The referral cannot be processed"
    title_zh = "无法处理该移送案件"


class ReferralInvalidTransition(ReferralError, InvalidTransition):
    """The action is not allowed in the referral's current state."""

    slug = "referral-invalid-transition"
    title = "This action is not allowed in the referral's current state"
    title_zh = "移送案件当前状态下不允许此操作"


class NoJurisdiction(ReferralError, InvalidInput):
    """REF-02: the chosen receiver has no jurisdiction and no written override was given."""

    slug = "referral-no-jurisdiction"
    title = "The receiver has no jurisdiction over this matter and place"
    title_zh = "受移送单位对该事项和地点无管辖权"


class OwnJurisdiction(ReferralError, InvalidInput):
    """REF-01: only violations outside the finder's own jurisdiction are referred."""

    slug = "referral-own-jurisdiction"
    title = "The sender has jurisdiction itself; there is nothing to refer"
    title_zh = "移送单位自身有管辖权，无需移送"


class DirectionNotCovered(ReferralError, InvalidInput):
    """REF-01: referrals run town→town, town→department and department→town."""

    slug = "referral-direction-not-covered"
    title = "This direction of referral is not covered by 涪陵府办〔2024〕1号 二(三)"
    title_zh = "涪陵府办〔2024〕1号 二(三)未规定此移送方向"


class StopMeasureMissing(ReferralError, InvalidInput):
    """REF-04: an ongoing violation needs the stop order or measure and its time."""

    slug = "referral-stop-measure-missing"
    title = "An ongoing violation needs the stop measure taken and its time"
    title_zh = "违法行为正在进行的，应记录已采取的制止措施及其时间"


class ImplausibleTime(ReferralError, InvalidInput):
    slug = "referral-implausible-time"
    title = "A time given for the case is not plausible"
    title_zh = "案件时间不合理"


class TimeLimitMissing(ReferralError, InvalidInput):
    """REF-09: a case filed under another procedure states its time limit, or why it has none."""

    slug = "referral-time-limit-missing"
    title = "The procedure's time limit is neither given nor explained"
    title_zh = "未载明办案程序的法定期限，也未说明无期限的理由"


class MaterialsMissing(ReferralError, Conflict):
    """REF-05: a referral is sent with its letter, its item list and disposal evidence."""

    slug = "referral-materials-missing"
    title = "The referral lacks required materials"
    title_zh = "移送材料不齐全"


class OnwardReferralForbidden(ReferralError, Conflict):
    """REF-08: a receiver may not refer a case on; it reports to the district government.
    Also the refusal of a new referral that resembles a case the sender received and has not
    finished, unless the sender states why it is a different case."""

    slug = "referral-onward-referral-forbidden"
    title = "A received case may not be referred on (不得再行移送)"
    title_zh = "受移送的案件不得再行移送"


class ApprovalRequired(ReferralError, Conflict):
    slug = "referral-approval-required"
    title = "A leader must approve this referral before it is sent"
    title_zh = "该移送须经领导审批后方可移送"


class DuplicateCaseNumber(ReferralError, Conflict):
    slug = "referral-duplicate-case-number"
    title = "This case number is already used by another referral of the same party"
    title_zh = "该案号已被同一单位的其他移送案件使用"


class ConclusionPeriodUnfounded(ReferralError, InvalidInput):
    """REF-09: suspending or extending the conclusion period needs a real reason and the law
    and article that allow it; resuming, a real reason."""

    slug = "referral-conclusion-period-unfounded"
    title = "Suspending or extending the conclusion period needs a reason and its legal basis"
    title_zh = "中止或延长办案期限须说明理由并载明法律依据"


class ConclusionPeriodRefused(ReferralError, Conflict):
    """REF-09: the conclusion period cannot be changed so: the case has no running clock, the
    limit already ran out, or the settings' number of suspensions or extensions is used up."""

    slug = "referral-conclusion-period-refused"
    title = "The conclusion period cannot be suspended, resumed or extended now"
    title_zh = "当前不能中止、恢复或延长该案件的办案期限"
