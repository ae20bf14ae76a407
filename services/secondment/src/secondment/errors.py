"""Errors of the secondment and guidance service: one root, one problem type per rule that can refuse.

A 404 is always the shared `not-found` (never a hint that a team or an officer exists); a
roster sheet with bad rows is the shared `table-invalid`, listing every row and column.
"""

from __future__ import annotations

from xietong_common.errors import AppError, Conflict, Forbidden, InvalidInput, InvalidTransition


class SecondmentError(AppError):
    """Root of the secondment and guidance service's errors."""

    slug = "secondment-error"
    title = "The secondment and guidance request cannot be processed"
    title_zh = "下沉指导请求无法处理"


class WrongMode(SecondmentError, InvalidInput):
    """SEC-02: the notice's attachment titles fix each department's mode (派驻 or 划片)."""

    slug = "secondment-wrong-mode"
    title = "The team's mode is not the one the notice fixes for its department"
    title_zh = "队伍的下沉方式与通知附件为该部门确定的方式不符"


class TownsDoNotFitMode(SecondmentError, InvalidInput):
    """SEC-02: a stationed team serves exactly one town; a zone team a zone of several."""

    slug = "secondment-towns-do-not-fit-mode"
    title = "The towns do not fit the team's mode"
    title_zh = "服务乡镇（街道）与队伍的下沉方式不符"


class NotADepartment(SecondmentError, Forbidden):
    """SEC-02/SEC-05: only a district department keeps a roster and records its guidance."""

    slug = "secondment-not-a-department"
    title = "Only a district enforcement department may do this"
    title_zh = "只有区级行政执法部门可以执行此操作"


class PersonnelIsTheDepartments(SecondmentError, Forbidden):
    """SEC-03: establishment, identity, assessment and pay stay with the department."""

    slug = "secondment-personnel-is-the-departments"
    title = "Establishment, identity, assessment and pay stay with the officer's department"
    title_zh = "下沉人员的编制、身份、考核和待遇由区级行政执法部门负责"


class NotTheTownsRecord(SecondmentError, Forbidden):
    """SEC-01: notes on daily work under the town's command are the town's own record."""

    slug = "secondment-not-the-towns-record"
    title = "Only a town the officer serves records his work under its command"
    title_zh = "只有下沉人员所服务的乡镇（街道）可以记录其在本乡镇（街道）的日常工作"


class NotServingOnDay(SecondmentError, InvalidInput):
    """SEC-01: the officer did not serve this town on that day."""

    slug = "secondment-not-serving-on-day"
    title = "The officer did not serve this town on that day"
    title_zh = "该下沉人员在当日不服务于本乡镇（街道）"


class DuplicateTeamName(SecondmentError, Conflict):
    """A roster sheet names teams: a department's teams in force have distinct names."""

    slug = "secondment-duplicate-team-name"
    title = "The department already has a team of this name"
    title_zh = "本部门已有同名的指导队伍"


class EffectiveDateRefused(SecondmentError, InvalidInput):
    """SEC-04: versions take effect in order, and not before today (unless configured)."""

    slug = "secondment-effective-date-refused"
    title = "The roster version cannot take effect on that day"
    title_zh = "名单版本不能自该日起生效"


class TeamInvalidTransition(SecondmentError, InvalidTransition):
    """A dissolved team is on record; it is neither edited nor dissolved again."""

    slug = "secondment-invalid-transition"
    title = "This action is not allowed in the team's current state"
    title_zh = "队伍当前状态下不允许此操作"


class OfficersWouldServeNoTown(SecondmentError, Conflict):
    """A team's towns cannot shrink so far that an officer on its roster serves none."""

    slug = "secondment-officers-would-serve-no-town"
    title = "Officers on the team's roster would serve no town"
    title_zh = "队伍名单中有下沉人员将不服务于任何乡镇（街道）"


class GuidanceIncomplete(SecondmentError, InvalidInput):
    """SEC-05: a guidance activity says what was done, when, for whom."""

    slug = "secondment-guidance-incomplete"
    title = "The guidance activity is incomplete or implausible"
    title_zh = "业务指导活动信息不完整或不合理"


class AssessmentExists(SecondmentError, Conflict):
    """SEC-03: one assessment per officer and year (the department's)."""

    slug = "secondment-assessment-exists"
    title = "The officer's assessment for that year is already recorded"
    title_zh = "该下沉人员该年度的考核结果已记录"


class UnknownVersion(SecondmentError, InvalidInput):
    """A roster version number the department does not have."""

    slug = "secondment-unknown-version"
    title = "No such roster version"
    title_zh = "没有该名单版本"
