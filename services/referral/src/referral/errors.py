"""Errors of the referral service: one root, one problem type per rule that can refuse."""

from __future__ import annotations

from xietong_common.errors import AppError, Conflict, InvalidInput, InvalidTransition


class ReferralError(AppError):
    """Root of the referral service's errors."""

    slug = "referral-error"
    title = "The referral cannot be processed"


class ReferralInvalidTransition(ReferralError, InvalidTransition):
    """The action is not allowed in the referral's current state."""

    status = 409
    slug = "referral-invalid-transition"
    title = "This action is not allowed in the referral's current state"


class UnknownMatter(ReferralError, InvalidInput):
    status = 422
    slug = "referral-unknown-matter"
    title = "The matter code is not in the catalogue of matters"


class UnknownOrganisation(ReferralError, InvalidInput):
    status = 422
    slug = "referral-unknown-organisation"
    title = "The organisation is not in the directory or cannot take part here"


class NoJurisdiction(ReferralError, InvalidInput):
    """REF-02: the chosen receiver has no jurisdiction and no written override was given."""

    status = 422
    slug = "referral-no-jurisdiction"
    title = "The receiver has no jurisdiction over this matter and place"


class OwnJurisdiction(ReferralError, InvalidInput):
    """REF-01: only violations outside the finder's own jurisdiction are referred."""

    status = 422
    slug = "referral-own-jurisdiction"
    title = "The sender has jurisdiction itself; there is nothing to refer"


class DirectionNotCovered(ReferralError, InvalidInput):
    """REF-01: referrals run town→town, town→department and department→town."""

    status = 422
    slug = "referral-direction-not-covered"
    title = "This direction of referral is not covered by 涪陵府办〔2024〕1号 二(三)"


class StopMeasureMissing(ReferralError, InvalidInput):
    """REF-04: an ongoing violation needs the stop order or measure and its time."""

    status = 422
    slug = "referral-stop-measure-missing"
    title = "An ongoing violation needs the stop measure taken and its time"


class ImplausibleTime(ReferralError, InvalidInput):
    status = 422
    slug = "referral-implausible-time"
    title = "A time given for the case is not plausible"


class MaterialsMissing(ReferralError, Conflict):
    """REF-05: a referral is sent with its letter, its item list and disposal evidence."""

    status = 409
    slug = "referral-materials-missing"
    title = "The referral lacks required materials"


class OnwardReferralForbidden(ReferralError, Conflict):
    """REF-08: a receiver may not refer a case on; it reports to the district government."""

    status = 409
    slug = "referral-onward-referral-forbidden"
    title = "A received case may not be referred on (不得再行移送)"


class ApprovalRequired(ReferralError, Conflict):
    status = 409
    slug = "referral-approval-required"
    title = "A leader must approve this referral before it is sent"


class DuplicateCaseNumber(ReferralError, Conflict):
    status = 409
    slug = "referral-duplicate-case-number"
    title = "This case number is already used by another referral of the same party"
